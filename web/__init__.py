"""The staff web UI (server-rendered, Simplified Chinese, usable on a phone): login, 我的待办,
上报, task forms, the case page with its diagram, the case list, 态势 (web/dashboard.py), 考评
(web/evaluation.py), 一张图 (web/citymap.py), 通知 (web/notifications.py); the process owners'
modeller, versions and migration (web/process.py), the auditors' pages (web/audit.py) and the
admins' pages (web/admin/). Views
are thin: they parse the form, call one service of handlers/ and render; the request's one unit
of work (engine.db) commits after a success and rolls back after any error.

`init_app` sets up Flask-Login, CSRF protection on every form (not on the token-authenticated API
under /api/), the cookie flags, security headers, the error pages, the UI's own static files and
the local copies of bpmn-js and ECharts (from node_modules, installed by `npm ci`; never a CDN)."""
from pathlib import Path

from flask import Blueprint, Flask, abort, current_app, render_template, request, send_from_directory
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from handlers import errors

from . import admin, audit, auth, cases, citymap, common, dashboard, evaluation, labels, notifications, process, report, tasks

ROOT = Path(__file__).resolve().parent.parent
VENDOR = {
    "bpmn-js": ROOT / "node_modules" / "bpmn-js" / "dist",
    # the modeller's style sheets and fonts (its script is web/static/build/modeller.js, see package.json)
    "dmn-js": ROOT / "node_modules" / "dmn-js" / "dist",
    "properties-panel": ROOT / "node_modules" / "@bpmn-io" / "properties-panel" / "dist",
    # charts (the dashboard, the evaluation, the map)
    "echarts": ROOT / "node_modules" / "echarts" / "dist",
}
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; "
       "connect-src 'self'; font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; "
       "frame-ancestors 'none'")
ERRORS = {
    400: "请求无效", 401: "请先登录", 403: "无权访问或办理此事项", 404: "未找到该页面或案件",
    405: "不支持的操作", 409: "案件已被他人更新，请刷新后重试", 413: "上传的文件太大", 422: "提交的内容有误",
}

csrf = CSRFProtect()
ui = Blueprint("web", __name__, template_folder="templates", static_folder="static", static_url_path="/assets")


def _is_api():
    blueprint = request.blueprint or ""
    return blueprint.split(".")[0] == "api" or request.path.startswith("/api/")


def _csrf_protect():
    """Every form post of the web UI carries a CSRF token; the API authenticates by bearer token instead."""
    if not _is_api():
        csrf.protect(apply_exemptions=True)


def _security_headers(response):
    if not _is_api():
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def _error_page(exc):
    if _is_api():
        return exc                     # the API answers its own errors (JSON)
    code = exc.code or 500
    message = ERRORS.get(code, exc.name)
    if isinstance(exc, CSRFError):
        message = "表单已失效（安全校验失败），请刷新页面后重试"
    return render_template("error.html", code=code, message=message), code


def refusal_page(exc):
    """A domain refusal that reached the request's end (a commit that lost a race, a database that
    cannot serve) as an error page with its status; anything that is not a refusal is raised (a bug: 500)."""
    found = errors.classify(exc)
    if found is None:
        raise exc
    if found.status == 503:
        return unavailable_page(found, exc)
    return render_template("error.html", code=found.status, message=ERRORS.get(found.status, found.message)), \
        found.status


def unavailable_page(found, exc):
    """503 with Retry-After: the database is unreachable or busy. The page reads nothing from the
    database (not even the signed-in user); a page that was only being read reloads itself."""
    errors.log_unavailable(found, exc)
    # Without the context processors: Flask-Login's would load the signed-in user from the database.
    page = current_app.jinja_env.get_template("unavailable.html").render(
        code=503, message=found.message, retry_after=found.retry_after, refresh=request.method in ("GET", "HEAD"))
    return page, 503, {"Retry-After": str(found.retry_after), "Content-Type": "text/html; charset=utf-8"}


@ui.get("/vendor/<package>/<path:filename>")
def vendor(package, filename):
    """A file of a front-end package's dist folder."""
    folder = VENDOR.get(package)
    if folder is None:
        abort(404)
    return send_from_directory(folder, filename, max_age=86400)


BLUEPRINTS = (ui, auth.bp, tasks.bp, report.bp, cases.bp, dashboard.bp, evaluation.bp, citymap.bp, process.bp,
              audit.bp, notifications.bp, admin.bp)
for _blueprint in BLUEPRINTS:
    # Per blueprint, since the API answers HTTP errors app-wide (JSON under /api/).
    _blueprint.register_error_handler(HTTPException, _error_page)


def init_app(app: Flask):
    app.config.setdefault("SESSION_COOKIE_HTTPONLY", True)
    app.config["SESSION_COOKIE_SAMESITE"] = app.config.get("SESSION_COOKIE_SAMESITE") or "Lax"
    app.config.setdefault("REMEMBER_COOKIE_HTTPONLY", True)
    app.config.setdefault("REMEMBER_COOKIE_SAMESITE", "Lax")
    app.config.setdefault("REMEMBER_COOKIE_SECURE", app.config.get("SESSION_COOKIE_SECURE", False))
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False        # checked by _csrf_protect, which skips /api/
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # as long as the login session: forms filled on site take time
    csrf.init_app(app)
    app.before_request(_csrf_protect)
    auth.login_manager.init_app(app)
    common.install_filters(app)
    app.jinja_env.globals["labels"] = labels
    app.jinja_env.globals["unread_notifications"] = notifications.unread_count
    for blueprint in BLUEPRINTS:
        app.register_blueprint(blueprint)
    # The HTML error page, for an app-wide HTTP error handler to use outside /api/ (e.g. unknown URLs).
    app.extensions["citygrid.web_error_page"] = _error_page
    app.after_request(_security_headers)
