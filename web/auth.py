"""Login and logout of staff (Flask-Login on handlers.org.models.User; passwords are checked against
their stored hashes, within the login limit of handlers.org.throttle: 429 with Retry-After once an
account or an address has given too many wrong ones). The session cookie is HttpOnly and
SameSite=Lax (see web.init_app)."""
from urllib.parse import urlsplit

from flask import (Blueprint, current_app, flash, redirect, render_template, request, session as cookie_session,
                   url_for)
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user

from engine import db
from engine.db import get_session
from handlers.org.service import check_credentials, get_user
from handlers.org.throttle import TooManyAttempts

from . import common

bp = Blueprint("auth", __name__)
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = "请先登录"
login_manager.login_message_category = "info"
login_manager.session_protection = "basic"


class Staff(UserMixin):
    """The Flask-Login face of an org.User row (of the request's session)."""

    def __init__(self, user):
        self.user = user

    def get_id(self):
        return str(self.user.id)

    @property
    def is_active(self):
        return bool(self.user.active)

    def __getattr__(self, name):        # username, display_name, role, unit_code, ...
        return getattr(self.user, name)


@login_manager.user_loader
def load_user(user_id):
    try:
        user = get_user(get_session(), int(user_id))
    except (TypeError, ValueError):
        return None
    return Staff(user) if user is not None and user.active else None


def _safe_next(target):
    """Only a path on this site, never another host (no open redirect)."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    return target


@bp.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("tasks.home"))
    error, username = None, ""
    if request.method == "POST":
        username = request.form.get("username", "").strip()
        password = request.form.get("password", "")
        session = get_session()
        try:
            user = current_app.extensions["citygrid.login_limiter"].attempt(
                session, username=username, address=request.remote_addr, now=common.runtime().clock.now(),
                verify=lambda: check_credentials(session, username, password))
        except TooManyAttempts as refused:
            return render_template("login.html", error=str(refused), username=username), 429, \
                {"Retry-After": str(refused.retry_after)}
        if user is None:
            db.keep()                       # the failure counts against the limit
            error = "用户名或密码错误"
            return render_template("login.html", error=error, username=username), 401
        next_url = _safe_next(request.form.get("next"))
        cookie_session.clear()              # no session fixation: a new session for the new user
        login_user(Staff(user))
        return redirect(next_url or url_for("tasks.home"))
    return render_template("login.html", error=error, username=username, next=_safe_next(request.args.get("next")))


@bp.post("/logout")
@login_required
def logout():
    logout_user()
    cookie_session.clear()
    flash("已退出登录", "info")
    return redirect(url_for("auth.login"))


bp.before_request(common.sync_clock)
