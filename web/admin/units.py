"""组织机构: the unit tree, a unit's page (rename, move, centre point, deactivate or reactivate) and
adding a unit; each change by `handlers.org.units`."""
from flask import abort, render_template, url_for

from engine.db import get_session
from handlers.cases import service as cases, visibility
from handlers.org import schemas, units
from handlers.org.models import Unit

from .. import common
from .base import actor, bp, now, submit, unit_choices, widget

CREATE = ("code", "name", "kind", "parent_code", "lng", "lat")
KIND_CHOICES = [(k, units.KIND_NAMES[k]) for k in schemas.UNIT_KINDS]


def _render_tree(values=None, errors=None, status=200, exc=None):
    session = get_session()
    values, errors = values or {}, errors or {}
    form = [widget("kind", "类型", values, errors, "select", choices=KIND_CHOICES, required=True),
            widget("parent_code", "上级单位", values, errors, "select", required=True,
                   choices=unit_choices(session, kinds=set(units.PARENT_KIND.values()))),
            widget("code", "单位代码", values, errors, required=True, hint="数字或字母，最多 20 位，如 350203011004"),
            widget("name", "名称", values, errors, required=True),
            widget("lng", "中心点经度", values, errors, attrs={"inputmode": "decimal"}, hint="可不填；地图上无坐标的案件放在此处"),
            widget("lat", "中心点纬度", values, errors, attrs={"inputmode": "decimal"})]
    return render_template("admin_units.html", tree=units.tree(session), form=form, errors=errors,
                           kinds=units.KIND_NAMES), status


@bp.get("/units")
def units_page():
    return _render_tree()


@bp.post("/units")
def unit_add():
    return submit(CREATE, schemas.UnitCreateSchema,
                  lambda data: units.add(get_session(), actor=actor(), at=now(), **data),
                  message="已新增单位 {result.name}（{result.code}）",
                  back=lambda unit: url_for("admin.unit_page", code=unit.code),
                  render=lambda values, errors, status, exc: _render_tree(values, errors, status))


def _unit_or_404(code):
    unit = get_session().get(Unit, code)
    if unit is None:
        abort(404)
    return unit


def _render_unit(code, values=None, errors=None, status=200, exc=None):
    session = get_session()
    unit = _unit_or_404(code)
    values = {"name": unit.name, "parent_code": unit.parent_code, "lng": unit.lng if unit.lng is not None else "",
              "lat": unit.lat if unit.lat is not None else "", **(values or {})}
    errors = errors or {}
    parents = unit_choices(session, kinds={units.PARENT_KIND.get(unit.kind)}, exclude=unit.code)
    forms = {
        "rename": [widget("name", "名称", values, errors, required=True)],
        "move": [widget("parent_code", "上级单位", values, errors, "select", choices=parents, required=True)],
        "centre": [widget("lng", "经度", values, errors, attrs={"inputmode": "decimal"}, hint="都不填则清除中心点"),
                   widget("lat", "纬度", values, errors, attrs={"inputmode": "decimal"})],
    }
    open_cases = cases.open_in_unit(session, common.directory(), user=common.me(), code=code, now=now())
    children = [u for u, depth in units.tree(session) if u.parent_code == code]
    return render_template("admin_unit.html", unit=unit, forms=forms, errors=errors, kinds=units.KIND_NAMES,
                           open_cases=open_cases, children=children,
                           busy=exc if isinstance(exc, units.UnitBusy) else None), status


@bp.get("/units/<code>")
def unit_page(code):
    return _render_unit(code)


def _change(code, fields, schema, service, message):
    """A change to one unit: the posted `fields` through `schema`, then `service(**data)`."""
    _unit_or_404(code)
    return submit(fields, schema,
                  lambda data: service(get_session(), actor=actor(), at=now(), code=code, **data),
                  message=message, back=lambda unit: url_for("admin.unit_page", code=code),
                  render=lambda values, errors, status, exc: _render_unit(code, values, errors, status, exc))


def _open_cases(code):
    return cases.open_in_unit(get_session(), common.directory(), user=common.me(), code=code, now=now())


@bp.post("/units/<code>/rename")
def unit_rename(code):
    return _change(code, ("name",), schemas.UnitRenameSchema, units.rename, "已改名为 {result.name}")


@bp.post("/units/<code>/centre")
def unit_centre(code):
    return _change(code, ("lng", "lat"), schemas.CentreSchema, units.set_centre, "已保存 {result.name} 的中心点")


@bp.post("/units/<code>/move")
def unit_move(code):
    return _change(code, ("parent_code",), schemas.UnitMoveSchema,
                   lambda *a, **kw: units.move(*a, open_cases=_open_cases, moved=visibility.reindex_below, **kw),
                   "已调整 {result.name} 的上级单位")


@bp.post("/units/<code>/deactivate")
def unit_deactivate(code):
    return _change(code, (), None, lambda *a, **kw: units.deactivate(*a, open_cases=_open_cases, **kw),
                   "已停用 {result.name}")


@bp.post("/units/<code>/reactivate")
def unit_reactivate(code):
    return _change(code, (), None, units.reactivate, "已启用 {result.name}")
