"""Bearer-token authentication: `Authorization: Bearer cg_...` names a user or an external client;
`requires` guards a view and says (for the OpenAPI document) who may call it."""
from functools import wraps

from flask import g, request

from engine.db import READ_METHODS, get_db
from handlers.org import tokens

from . import context
from .errors import ApiError

USER, CLIENT = "user", "client"
CHALLENGE = {"WWW-Authenticate": 'Bearer realm="citygrid"'}


def bearer_token():
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _note_use(caller):
    """Note the token's use, at most once a minute: in the request's unit of work when it writes
    anyway, else in a short one of its own (a read's unit of work takes no write lock)."""
    at = context.now()
    if not tokens.use_is_due(caller.token, at):
        return
    if request.method in READ_METHODS:
        with get_db().unit_of_work() as session:
            tokens.note_use(session, caller.token.id, at)
    else:
        caller.token.last_used_at = at


def authenticate():
    """The request's caller (cached), or ApiError 401."""
    if "api_caller" not in g:
        token = bearer_token()
        if not token:
            raise ApiError(401, "缺少令牌：请在 Authorization 头中提供 Bearer 令牌", headers=CHALLENGE)
        caller = tokens.authenticate(context.session(), token, at=context.now())
        if caller is None:
            raise ApiError(401, "令牌无效、已过期或已吊销", headers=CHALLENGE)
        _note_use(caller)
        g.api_caller = caller
    return g.api_caller


def caller() -> tokens.Caller:
    return authenticate()


def requires(*kinds):
    """Only callers of these kinds (USER, CLIENT) may call the view: no token 401, wrong kind 403."""
    def decorate(view):
        @wraps(view)
        def guarded(*args, **kwargs):
            found = authenticate()
            kind = USER if found.user is not None else CLIENT
            if kind not in kinds:
                who = "外部系统客户端" if kind == CLIENT else "用户"
                raise ApiError(403, f"{who}不能调用此接口")
            return view(*args, **kwargs)
        guarded.api_auth = kinds
        return guarded
    return decorate
