"""工作日历: the official and the provisional years, uploading next year's file (checked, installed
and followed at once by a recompute of the open provisional deadlines, whose summary the answer
shows) and recomputing a year again; by `handlers.workcalendar.years`."""
from flask import render_template, request

from engine.db import get_session
from handlers import localtime
from handlers.errors import Invalid
from handlers.workcalendar import years

from .. import common
from .base import actor, attempt, bp, now


def _render(errors=None, status=200, exc=None, *, result=None):
    cal = common.calendar()
    table = years.status(get_session(), cal, localtime.local_date(now()))
    return render_template("admin_calendar.html", years=table, errors=errors or {}, result=result,
                           next_year=localtime.local_date(now()).year + 1), status


@bp.get("/calendar")
def calendar_page():
    return _render()


def _done(year, moved):
    return _render(result={"year": year, "moved": moved, "summary": years.summary(moved)})


@bp.post("/calendar/upload")
def calendar_upload():
    upload = request.files.get("file")
    raw = upload.read(years.MAX_BYTES + 1) if upload else b""

    def action():
        data, moved = years.install(get_session(), common.runtime(), common.calendar(), raw, actor=actor())
        return _done(data.year, moved)
    return attempt(action, lambda errors, status, exc: _render(errors, status))


@bp.post("/calendar/recompute")
def calendar_recompute():
    text = request.form.get("year", "")

    def action():
        if not (text.isdigit() and int(text) in years.YEARS):
            raise Invalid("年份无效", "year")
        year = int(text)
        return _done(year, years.recompute(get_session(), common.runtime(), common.calendar(), year, actor=actor()))
    return attempt(action, lambda errors, status, exc: _render(errors, status))
