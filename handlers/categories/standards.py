"""The per-category standards of the command manual (精细化标准 / 指挥手册): for a minor class, when a
report is filed as a case (立案条件), when the case may be closed (结案条件) and the urgency a case
of that class usually gets. They are the `[standards."<code>"]` tables of the catalogue file,
checked here when it is read, so that a typo names its entry and field instead of showing staff
a blank.

The time limits and the unit a category goes to are not here: they are rules of the process
(`time_limit.dmn`, `default_unit.dmn`), versioned and edited in the modeller with the diagram."""
from dataclasses import dataclass

from marshmallow import ValidationError, fields

from ..cases.forms import URGENCIES
from ..forms import FormSchema, length, one_of

MAX_TEXT = 200      # a condition staff read beside a form: a sentence or two


@dataclass(frozen=True)
class Standard:
    filing: str          # 立案条件
    closing: str         # 结案条件
    urgency: str         # the default grading, A/B/C


def _not_blank(value):
    if not value.strip():
        raise ValidationError("不能为空")


class StandardSchema(FormSchema):
    """One `[standards."<code>"]` table: every field required, unknown keys refused."""

    filing = fields.String(required=True, validate=[_not_blank, length(max=MAX_TEXT)])
    closing = fields.String(required=True, validate=[_not_blank, length(max=MAX_TEXT)])
    urgency = fields.String(required=True, validate=one_of(URGENCIES))


def read(entries, known_codes, where) -> dict:
    """{code: Standard} from the file's `standards` table; raises ValueError naming the entry and
    its field (`where` is the file, for the message)."""
    if not isinstance(entries, dict):
        raise ValueError(f"{where}: standards must be a table of [standards.\"<code>\"] entries")
    found = {}
    for code, entry in entries.items():
        if code not in known_codes:
            raise ValueError(f"{where}: standards.{code}: no minor class {code!r} in the catalogue")
        if not isinstance(entry, dict):
            raise ValueError(f"{where}: standards.{code}: must be a table with filing, closing and urgency")
        try:
            data = StandardSchema().load(entry)
        except ValidationError as err:
            field, messages = next(iter(err.messages.items()))
            said = "；".join(messages) if isinstance(messages, list) else str(messages)
            raise ValueError(f"{where}: standards.{code}: field {field!r}: {said}") from None
        found[code] = Standard(**{k: v.strip() for k, v in data.items()})
    return found
