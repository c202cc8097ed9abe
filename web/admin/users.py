"""用户: the users (search by name, unit, role), adding one, and a user's page: name, role and unit,
password reset, deactivate or reactivate, their API tokens with revoke; each change by
`handlers.org.accounts`."""
from flask import abort, render_template, request, url_for

from engine.db import get_session
from handlers.org import accounts, schemas
from handlers.org.models import ROLES
from handlers.org.service import get_user_by_username

from .. import labels
from .base import actor, bp, now, page_arg, submit, unit_choices, widget

CREATE = ("username", "display_name", "role", "unit_code", "password", "confirm")
CHANGE = ("display_name", "role", "unit_code")
PASSWORD = ("password", "confirm")
PER_PAGE = 20


def _role_choices():
    return [(r, labels.ROLE.get(r, r)) for r in ROLES]


def _render_list(values=None, errors=None, status=200, exc=None):
    session = get_session()
    values, errors = values or {}, errors or {}
    query = {k: request.args.get(k, "").strip()[:100] for k in ("q", "unit", "role")}
    page = accounts.get_all(session, query=query["q"], unit_code=query["unit"], role=query["role"],
                            page=page_arg(), per_page=PER_PAGE)
    units_ = unit_choices(session)
    form = [widget("username", "用户名", values, errors, required=True, hint="登录名，如 officer-350203011004"),
            widget("display_name", "姓名", values, errors, required=True),
            widget("role", "角色", values, errors, "select", choices=_role_choices(), required=True),
            widget("unit_code", "所属单位", values, errors, "select", choices=units_, required=True),
            widget("password", "初始密码", {}, errors, "password", required=True, hint="至少 8 个字符",
                   attrs={"autocomplete": "new-password"}),
            widget("confirm", "再次输入密码", {}, errors, "password", required=True,
                   attrs={"autocomplete": "new-password"})]
    return render_template("admin_users.html", page=page, query=query, form=form, errors=errors,
                           roles=_role_choices(), units=units_), status


@bp.get("/users")
def users_page():
    return _render_list()


@bp.post("/users")
def user_add():
    return submit(CREATE, schemas.UserCreateSchema,
                  lambda data: accounts.add(get_session(), actor=actor(), at=now(), **data),
                  message="已新增用户 {result.display_name}（{result.username}）",
                  back=lambda user: url_for("admin.user_page", username=user.username),
                  render=lambda values, errors, status, exc: _render_list(values, errors, status))


def _user_or_404(username):
    user = get_user_by_username(get_session(), username)
    if user is None:
        abort(404)
    return user


def _render_user(username, values=None, errors=None, status=200, exc=None):
    session = get_session()
    user = _user_or_404(username)
    values = {"display_name": user.display_name, "role": user.role, "unit_code": user.unit_code, **(values or {})}
    errors = errors or {}
    forms = {
        "change": [widget("display_name", "姓名", values, errors, required=True),
                   widget("role", "角色", values, errors, "select", choices=_role_choices(), required=True),
                   widget("unit_code", "所属单位", values, errors, "select", choices=unit_choices(session), required=True)],
        "password": [widget("password", "新密码", {}, errors, "password", required=True, hint="至少 8 个字符",
                            attrs={"autocomplete": "new-password"}),
                     widget("confirm", "再次输入新密码", {}, errors, "password", required=True,
                            attrs={"autocomplete": "new-password"})],
    }
    return render_template("admin_user.html", user=user, forms=forms, errors=errors,
                           tokens=accounts.user_tokens(session, user), now=now()), status


@bp.get("/users/<username>")
def user_page(username):
    return _render_user(username)


def _change(username, fields, schema, service, message):
    """A change to one user: the posted `fields` through `schema`, then `service(**data)`."""
    _user_or_404(username)
    return submit(fields, schema,
                  lambda data: service(get_session(), actor=actor(), at=now(), username=username, **data),
                  message=message, back=lambda result: url_for("admin.user_page", username=username),
                  render=lambda values, errors, status, exc: _render_user(username, values, errors, status))


@bp.post("/users/<username>/change")
def user_change(username):
    return _change(username, CHANGE, schemas.UserChangeSchema, accounts.change, "已保存 {result.display_name} 的角色和单位")


@bp.post("/users/<username>/password")
def user_password(username):
    return _change(username, PASSWORD, schemas.PasswordSchema, accounts.reset_password,
                   "已重置 {result.display_name} 的密码")


@bp.post("/users/<username>/deactivate")
def user_deactivate(username):
    return _change(username, (), None, lambda *a, **kw: accounts.set_active(*a, active=False, **kw),
                   "已停用 {result.display_name}，其令牌已全部吊销")


@bp.post("/users/<username>/reactivate")
def user_reactivate(username):
    return _change(username, (), None, lambda *a, **kw: accounts.set_active(*a, active=True, **kw),
                   "已启用 {result.display_name}")


@bp.post("/users/<username>/tokens/revoke")
def user_tokens_revoke(username):
    text = request.form.get("token", "").strip()
    token_id = int(text) if text.isdigit() else None
    if text and token_id is None:
        abort(400)
    return _change(username, (), None, lambda *a, **kw: accounts.revoke_tokens(*a, token_id=token_id, **kw),
                   "已吊销 {result} 个令牌")
