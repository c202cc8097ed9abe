"""The staff web UI (server-rendered, Simplified Chinese)."""
from flask import Blueprint, render_template
from sqlalchemy import func, select

from engine.db import get_session
from handlers import cases

bp = Blueprint("web", __name__, template_folder="templates")


@bp.get("/")
def index():
    session = get_session()
    counts = dict(session.execute(select(cases.Case.status, func.count()).group_by(cases.Case.status)).all())
    return render_template("index.html", counts=counts)


def init_app(app):
    app.register_blueprint(bp)
