"""The `/api/v1` blueprint: one unit of work per request, errors as JSON (set up once, here)."""
from flask import Blueprint

from . import context, errors

bp = Blueprint("api", __name__, url_prefix="/api/v1")
bp.before_request(context.begin)
bp.after_request(context.finish)
errors.register(bp)
