"""The admin pages' blueprint (403 for all but admins) and what their views share: the acting
admin and instant, reading a posted form, running one service with a refused form shown again, the
form widgets, and the index page with the latest recorded changes."""
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request
from flask_login import current_user

from engine.db import discard, get_session
from handlers import errors
from handlers.org import journal, units

from .. import common
from ..taskforms import Widget

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
def _admins_only():
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if not common.can("administer"):
        abort(403)
    common.sync_clock()


def actor():
    return common.me().username


def now():
    return common.runtime().clock.now()


def form_values(names):
    """The posted fields, stripped; empty ones left out (an empty number is no number)."""
    return {name: request.form.get(name, "").strip() for name in names}


def load(schema, values):
    """The values a schema accepts (empty fields count as not given); raises ValidationError."""
    return schema().load({k: v for k, v in values.items() if v != ""})


def attempt(action, render):
    """Run `action()` (parse, then one service); on a refusal throw away what it wrote and answer
    `render(field errors, status)`: the form again, with the messages beside its fields."""
    try:
        return action()
    except errors.REFUSALS as exc:
        found = errors.classify(exc)
        if found is None or found.status == 503:   # a bug (500), or the database's page (503)
            raise
        discard()
        return render(found.errors or {"_schema": [found.message]}, found.status, exc)


def submit(fields, schema, service, *, message, back, render):
    """One posted form: the `fields` through `schema` (None: the form has none), then
    `service(data)`, the one service call; its result is `{result}` in the flashed `message` and
    `back(result)` the address to go on to. Refused: `render(values, errors, status, exc)`."""
    values = form_values(fields)

    def action():
        data = load(schema, values) if schema else {}
        data.pop("confirm", None)     # a repeated password: checked by the schema, no input of the service
        result = service(data)
        flash(message.format(result=result), "success")
        return redirect(back(result), 303)
    return attempt(action, lambda errors, status, exc: render(values, errors, status, exc))


def widget(name, label, values, errors_, kind="text", **kwargs):
    return Widget(name=name, label=label, kind=kind, value=str(values.get(name) or ""),
                  errors=list(errors_.get(name, [])), **kwargs)


def page_arg():
    text = request.args.get("page", "1")
    return min(int(text), 100000) if text.isdigit() and int(text) > 0 else 1


def unit_choices(session, *, kinds=None, exclude=None):
    """Active units as indented (code, label) choices, in tree order; of `kinds` only, without
    `exclude`'s subtree."""
    found, skipping = [], None
    for unit, depth in units.tree(session):
        if skipping is not None and depth > skipping:
            continue
        skipping = depth if unit.code == exclude else None
        if skipping is None and unit.active and (kinds is None or unit.kind in kinds):
            found.append((unit.code, f"{'　' * depth}{unit.name}（{unit.code}）"))
    return found


@bp.get("")
def index():
    return render_template("admin_index.html", changes=journal.recent(get_session(), 30), kinds=journal.KINDS)
