"""案件类别: the case category catalogue as loaded (kinds, major classes, codes and names) with each
minor class's standard (立案条件, 结案条件, usual urgency) and what the current version of the
default process decides for it (time limits per urgency, default responsible unit), read only.
The catalogue is a data file (`CITYGRID_CATEGORIES`, TOML with comments, read once per process),
so it is edited there and the app restarted; an editor here would have to rewrite that file and
tell every process, for a list that changes about once a year. The limits and units are rules of
the process, edited in the modeller."""
from flask import render_template

from engine import deployments
from engine.db import get_session
from handlers.process import contract, decisions

from .. import common
from .base import bp


@bp.get("/categories")
def categories_page():
    catalogue = common.catalogue()
    version = deployments.current(get_session(), contract.PROCESS_ID)
    rules = decisions.by_category(common.runtime(), version, [c.code for c in catalogue.all()]) if version else {}
    usual = decisions.time_limits(common.runtime(), version) if version else {}
    return render_template("admin_categories.html", catalogue=catalogue, total=len(catalogue), version=version,
                           rules=rules, usual=usual)
