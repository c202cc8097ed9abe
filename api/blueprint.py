"""The `/api/v1` blueprint: the clock read at the start of every request, errors as JSON (set up
once, here). The request's unit of work (one commit after a success, a rollback after any error)
is the app's, the same for the web UI (engine.db)."""
from flask import Blueprint

from . import context, errors

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(context.begin)
errors.register(bp)
