"""接入系统: the external API clients (add one, issue a further token, revoke it; a new token is shown
on the page once, never stored or put in the session), their results back (结果回传: the callback
address, a new signing secret shown once the same way, the latest messages with their delivery
state, a dead one sent again) and the video-detection cameras (add one, take it out of service or
back); by `handlers.org.tokens`, `handlers.callbacks.service` and `handlers.intake.cameras`, the
same functions the `clients` and `cameras` commands call."""
from flask import current_app, flash, render_template, url_for
from marshmallow import fields

from engine.db import get_session
from handlers.callbacks import service as callbacks
from handlers.forms import FormSchema, between, length, one_of
from handlers.intake import cameras
from handlers.org import tokens

from .. import common, labels
from .base import actor, attempt, bp, form_values, load, now, submit, unit_choices, widget

CLIENT = ("name", "channel")
CALLBACK = ("url", "new_secret")
RECENT = 10       # a client's latest callback messages shown
CAMERA = ("code", "name", "grid", "lat", "lng")


class ClientSchema(FormSchema):
    name = fields.String(required=True, validate=length(1, 100))
    channel = fields.String(required=True, validate=one_of(tokens.CLIENT_CHANNELS))


class CallbackSchema(FormSchema):
    url = fields.String(required=True, validate=length(1, 500))
    new_secret = fields.Boolean(load_default=False)


class CameraSchema(FormSchema):
    code = fields.String(required=True, validate=length(1, 50))
    name = fields.String(required=True, validate=length(1, 200))
    grid = fields.String(required=True, validate=length(1, 20))
    lat = fields.Float(required=True, validate=between(-90, 90))
    lng = fields.Float(required=True, validate=between(-180, 180))


def _render(values=None, errors=None, status=200, exc=None, *, form=None, issued=None):
    session = get_session()
    values, errors = values or {}, errors or {}
    # each form shows what was typed in it and its own messages
    cv, ce = (values, errors) if form == "client" else ({}, {})
    mv, me = (values, errors) if form == "camera" else ({}, {})
    client_form = [widget("name", "名称", cv, ce, required=True, hint="如 hotline-xm，不含空格"),
                   widget("channel", "渠道", cv, ce, "select", required=True,
                          choices=[(c, labels.CHANNEL.get(c, c)) for c in tokens.CLIENT_CHANNELS])]
    camera_form = [widget("code", "编号", mv, me, required=True),
                   widget("name", "位置名称", mv, me, required=True, hint="如 明发商业广场东门"),
                   widget("grid", "所在网格", mv, me, "select", required=True,
                          choices=unit_choices(session, kinds={"grid"})),
                   widget("lat", "纬度", mv, me, required=True, attrs={"inputmode": "decimal"}),
                   widget("lng", "经度", mv, me, required=True, attrs={"inputmode": "decimal"})]
    clients = [(c, tokens.last_used(session, c)) for c in tokens.get_all_clients(session)]
    backs = [(c, callbacks.get(session, c), callbacks.deliveries(session, c, per_page=RECENT))
             for c, _ in clients if c.active or callbacks.get(session, c)]
    bv, be = (values, errors) if form and form.startswith("callback:") else ({}, {})
    callback_form = lambda name: [     # noqa: E731 — the same two fields for each client
        widget("url", "回调地址", bv if form == f"callback:{name}" else {}, be if form == f"callback:{name}" else {},
               required=True, hint="https:// 开头；立案、结案、作废、并案时推送签名消息"),
        widget("new_secret", "同时更换签名密钥", {"new_secret": "true"}, {}, "checkbox")]
    return render_template("admin_access.html", clients=clients, cameras=cameras.get_all(session),
                           client_form=client_form, camera_form=camera_form, errors=errors, form=form,
                           issued=issued, backs=backs, callback_form=callback_form), status


@bp.get("/access")
def access_page():
    return _render()


def _refused(form):
    """The page again after a refused form, its messages beside that form's fields."""
    return lambda values, errors, status, exc: _render(values, errors, status, form=form)


def _issued(client, token, message, what="令牌"):
    """The page with the new token (or signing secret), shown this once (200: nothing to redirect
    to that could show it again)."""
    flash(message, "success")
    page, status = _render(issued={"client": client.name, "token": token, "what": what})
    return page, status, {"Cache-Control": "no-store"}


@bp.post("/access/clients")
def client_add():
    values = form_values(CLIENT)

    def action():
        data = load(ClientSchema, values)
        client, token = tokens.create_client(get_session(), at=now(), actor=actor(), label="admin", **data)
        return _issued(client, token, f"已新增接入系统 {client.name}")
    return attempt(action, lambda errors, status, exc: _render(values, errors, status, form="client"))


@bp.post("/access/clients/<name>/token")
def client_token(name):
    def action():
        _, token = tokens.issue_client_token(get_session(), name=name, at=now(), actor=actor(), label="admin")
        return _issued(tokens.get_client_by_name(get_session(), name), token, f"已为 {name} 签发新令牌")
    return attempt(action, lambda errors, status, exc: _render({}, errors, status, form="clients"))


@bp.post("/access/clients/<name>/revoke")
def client_revoke(name):
    return submit((), None, lambda data: tokens.revoke_client(get_session(), name=name, at=now(), actor=actor()),
                  message="已停用接入系统 {result.name}，其令牌已全部吊销",
                  back=lambda client: url_for("admin.access_page"), render=_refused("clients"))


@bp.post("/access/clients/<name>/callback")
def callback_set(name):
    """Set the client's callback address; a new secret (the first time, or when asked) is shown
    on this answer only, like a new token."""
    values = form_values(CALLBACK)

    def action():
        data = load(CallbackSchema, values)
        _, secret = callbacks.set_callback(get_session(), current_app.extensions["citygrid.callback_cipher"],
                                           name=name, url=data["url"], at=now(), actor=actor(),
                                           new_secret=data["new_secret"])
        if secret is None:
            flash(f"已更新 {name} 的回调地址", "success")
            return _render()
        return _issued(tokens.get_client_by_name(get_session(), name), secret,
                       f"已设置 {name} 的回调地址和签名密钥", what="签名密钥")
    return attempt(action, lambda errors, status, exc: _render(values, errors, status, form=f"callback:{name}"))


@bp.post("/access/clients/<name>/callback/clear")
def callback_clear(name):
    return submit((), None, lambda data: callbacks.clear_callback(get_session(), name=name, at=now(), actor=actor()),
                  message=f"已取消 {name} 的结果回传", back=lambda _: url_for("admin.access_page"),
                  render=_refused("clients"))


@bp.post("/access/clients/<name>/callbacks/<int:message_id>/retry")
def callback_retry(name, message_id):
    return submit((), None, lambda data: callbacks.retry(get_session(), callbacks.client_named(get_session(), name),
                                                         message_id, now()),
                  message="已重新排队发送", back=lambda _: url_for("admin.access_page"), render=_refused("clients"))


@bp.post("/access/cameras")
def camera_add():
    return submit(CAMERA, CameraSchema,
                  lambda data: cameras.create(get_session(), common.directory(), at=now(), actor=actor(), **data),
                  message="已新增摄像头 {result.code}", back=lambda camera: url_for("admin.access_page"),
                  render=_refused("camera"))


def _camera_active(code, active):
    return submit((), None, lambda data: cameras.set_active(get_session(), common.directory(), code=code,
                                                            active=active, at=now(), actor=actor()),
                  message=f"已{'启用' if active else '停用'}摄像头 {{result.code}}",
                  back=lambda camera: url_for("admin.access_page"), render=_refused("cameras"))


@bp.post("/access/cameras/<code>/deactivate")
def camera_deactivate(code):
    return _camera_active(code, False)


@bp.post("/access/cameras/<code>/reactivate")
def camera_reactivate(code):
    return _camera_active(code, True)
