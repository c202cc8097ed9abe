"""Tokens: log in for a bearer token, log out (revoke it), and who am I."""
from datetime import timedelta

from flask import current_app, jsonify, request

from engine import db
from handlers.org import tokens
from handlers.org.models import User
from handlers.org.throttle import TooManyAttempts

from .. import context, inputs
from ..auth import CLIENT, USER, caller, requires
from ..blueprint import bp
from ..docs import doc
from ..errors import ApiError
from ..schemas import LoginSchema, MeSchema, TokenSchema


@bp.post("/auth/token")
@doc("Log in: a user's username and password for a bearer token", tags=["auth"], json=LoginSchema,
     description="Within the login limit: after too many wrong passwords for the account or from the address "
                 "(default 5 and 20 a minute) every attempt is refused with 429 and `Retry-After` (seconds).",
     responses={201: TokenSchema}, errors=(401, 429))
def login():
    data = LoginSchema().load(inputs.read_json())
    hours = context.config("CITYGRID_API_TOKEN_HOURS")
    session = context.session()
    try:
        issued = current_app.extensions["citygrid.login_limiter"].attempt(
            session, username=data["username"], address=request.remote_addr, now=context.now(),
            verify=lambda: tokens.login(session, username=data["username"], password=data["password"],
                                        at=context.now(), ttl=timedelta(hours=hours) if hours else None))
    except TooManyAttempts as refused:
        raise ApiError(429, str(refused), headers={"Retry-After": str(refused.retry_after)}) from None
    if issued is None:
        db.keep()                           # the failure counts against the limit
        raise ApiError(401, "用户名或密码错误")
    row, token = issued
    user = context.session().get(User, row.user_id)
    return jsonify(TokenSchema().dump(dict(token=token, token_type="Bearer", expires_at=row.expires_at,
                                           username=user.username, role=user.role, unit=user.unit_code))), 201


@bp.delete("/auth/token")
@doc("Log out: revoke the token of this request", tags=["auth"], responses={204: None})
@requires(USER, CLIENT)
def logout():
    tokens.revoke(context.session(), token_row=caller().token, at=context.now())
    return "", 204


@bp.get("/auth/me")
@doc("Who the token belongs to", tags=["auth"], responses={200: MeSchema})
@requires(USER, CLIENT)
def me():
    found = caller()
    if found.user is not None:
        return jsonify(kind=USER, username=found.user.username, role=found.user.role, unit=found.user.unit_code,
                       channel=None)
    return jsonify(kind=CLIENT, username=found.client.username, role=found.client.role, unit=None,
                   channel=found.client.channel)
