"""案件类别: the case category catalogue as loaded (kinds, major classes, codes and names), read
only. The catalogue is a data file (`CITYGRID_CATEGORIES`, TOML with comments, read once per
process), so it is edited there and the app restarted; an editor here would have to rewrite that
file and tell every process, for a list that changes about once a year."""
from flask import render_template

from .. import common
from .base import bp


@bp.get("/categories")
def categories_page():
    catalogue = common.catalogue()
    return render_template("admin_categories.html", catalogue=catalogue, total=len(catalogue))
