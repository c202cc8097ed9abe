"""The city map (一张图): the cases the caller may see as points, their counts per district and
street, and the cameras on the grids the caller sees (`handlers.citymap`)."""
from flask import jsonify

from handlers.categories.catalogue import get_catalogue
from handlers.citymap import service
from handlers.citymap.forms import MapQuerySchema
from handlers.citymap.schemas import MapSchema, map_json
from handlers.intake.violations import get_violations

from .. import context, inputs
from ..auth import USER, caller, requires
from ..blueprint import bp
from ..docs import doc

NOTE = ("Without a period: the open cases; with `period` (or `from`/`to`): every case reported in it, unless "
        "`status` says otherwise. A case without coordinates is placed at its grid's or community's centre "
        "(`placed: unit`). Points: the newest 5,000 (`summary.truncated`); the counts cover every case. Cameras: "
        "those watching a grid within the caller's subtree, whatever the filters.")


@bp.get("/map")
@doc("The city map: cases as points, counts per district and street, cameras", tags=["map"], description=NOTE,
     query=MapQuerySchema, responses={200: MapSchema})
@requires(USER)
def city_map():
    filters = inputs.query(MapQuerySchema())
    found = service.get(context.session(), context.directory(), get_catalogue(), get_violations(),
                        viewer=caller().user, filters=filters, now=context.now())
    return jsonify(map_json(found))
