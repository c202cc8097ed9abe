"""Task forms generated from the marshmallow schema of each step (`handlers.worklist.forms.FORMS`),
the same schema that validates them when the task is completed: one definition of every form.

A schema field becomes a widget by its type and validators (Boolean -> two radio buttons, a
OneOf string -> radio buttons, Integer with a Range -> a number input, a long text -> textarea);
a few fields get choices from the case's context, asked of the same schema that checks them (the
units the holder may dispatch to, what it may do) or of the catalogue of categories; the accept
form's hint says the limits the case's own time-limit table gives for the chosen category, and
beside it the category's 立案条件 (`accept_standards`, for the page's script when the category
changes)."""
from dataclasses import dataclass, field as dc_field

from marshmallow import fields as mf, validate

from handlers.process import decisions
from handlers.worklist.forms import FORMS, DispatchSchema

from . import labels


@dataclass
class Widget:
    name: str
    label: str
    kind: str                      # radio, select, textarea, text, number
    value: str = ""
    choices: list = dc_field(default_factory=list)   # [(value, label)] or [(group label, [(value, label)])]
    grouped: bool = False
    required: bool = False
    hint: str = ""
    errors: list = dc_field(default_factory=list)
    show_when: tuple | None = None     # (other field, (values...))
    attrs: dict = dc_field(default_factory=dict)


def _validator(field, kind):
    return next((v for v in field.validators if isinstance(v, kind)), None)


def _as_text(value):
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def schema_for(step):
    return FORMS.get(step)


def defaults(step, *, case, catalogue):
    """Initial values of a step's form, from what the case already knows (the urgency: the one the
    reporter suggested, else the usual one of the category's standard)."""
    if step == "accept_report":
        known = catalogue.get(case.category)
        usual = known.standard.urgency if known and known.standard else ""
        return {"decision": "file", "category": case.category, "urgency": case.suggested_urgency or usual}
    return {}


def urgency_hint(limits, unit="个工作日"):
    """立案时必填：A 1个工作日，… from {urgency: limit} (the case's time-limit table, counting `unit`)."""
    said = "，".join(f"{u} {days:g}{unit}" for u, days in limits.items() if days is not None)
    return f"立案时必填：{said}" if said else "立案时必填"


def accept_standards(runtime, deployment, catalogue) -> dict:
    """{category: {"filing": its 立案条件 or "", "hint": the urgency hint}} for every category of the
    catalogue, the limits as the version's time-limit table answers for each."""
    found = decisions.by_category(runtime, deployment, [c.code for c in catalogue.all()])
    unit = decisions.limit_unit(runtime, deployment)
    return {c.code: {"filing": c.standard.filing if c.standard else "", "hint": urgency_hint(found[c.code][0], unit)}
            for c in catalogue.all()}


def widgets(step, *, values, errors, case, task, directory, catalogue, limits=None, limit_unit="个工作日"):
    """The widgets of a step's form, in the schema's field order, with values and errors filled in;
    `limits`: {urgency: limit in `limit_unit`} of the case's version for the chosen category (the
    accept form's hint)."""
    schema = schema_for(step)()
    result = []
    for name, field in schema.fields.items():
        hint = urgency_hint(limits or {}, limit_unit) if (step, name) == ("accept_report", "urgency") else \
            labels.HINT.get((step, name), "")
        widget = Widget(name=name, label=labels.field_label(step, name), kind="text",
                        value=_as_text(values.get(name)), required=field.required, hint=hint,
                        errors=errors.get(name, []), show_when=labels.SHOW_WHEN.get((step, name)))
        one_of, length, span = (_validator(field, validate.OneOf), _validator(field, validate.Length),
                                _validator(field, validate.Range))
        if isinstance(field, mf.Boolean):
            widget.kind = "radio"
            widget.choices = [("true", labels.choice_label(step, name, True)),
                              ("false", labels.choice_label(step, name, False))]
        elif name == "category":
            widget.kind, widget.grouped = "select", True
            widget.choices = [(g.label, [(c.code, c.label) for c in g.categories]) for g in catalogue.groups]
            widget.attrs["data-searchable"] = "1"
        elif step == "dispatch" and name == "unit":
            targets = DispatchSchema.targets(directory, task.unit_code)
            if not targets:          # nothing below to assign to: 下派 is not offered either
                continue
            widget.kind = "select"
            widget.choices = [(c, f"{directory.name(c)}（{c}）") for c in targets]
        elif one_of is not None:
            widget.kind = "radio"
            choices = list(one_of.choices)
            if step == "dispatch" and name == "action":   # the dispatch task's unit is the holder
                choices = [c for c in choices if c in DispatchSchema.actions(directory, task.unit_code, directory.center())]
            widget.choices = [(c, labels.choice_label(step, name, c)) for c in choices]
        elif isinstance(field, mf.Integer):
            widget.kind = "number"
            if span is not None:
                widget.attrs.update(min=span.min, max=span.max)
            widget.attrs["inputmode"] = "numeric"
        elif isinstance(field, mf.String):
            widget.kind = "textarea" if name in labels.LONG_TEXT else "date" if (step, name) in labels.DATES else "text"
            if length is not None and length.max:
                widget.attrs["maxlength"] = length.max
        result.append(widget)
    return result


def submitted(step, form):
    """The step's fields from a submitted HTML form: known fields only, blanks left out (so the
    schema's defaults and `required` rules decide), text trimmed."""
    data = {}
    for name in schema_for(step)().fields:
        value = form.get(name)
        if value is not None and value.strip() != "":
            data[name] = value.strip()
    return data
