"""The map's filters, as the API's query string and the web page's form give them: one schema,
loaded into `MapFilters`. Without a period the map shows the open cases; with one, the cases
reported in it (every status, unless a status is asked)."""
from dataclasses import dataclass

from marshmallow import ValidationError, fields, post_load, validate

from ..cases import search
from ..cases.statuses import STATUSES
from ..errors import Invalid
from ..evaluation import periods
from ..forms import FormSchema, calendar_date, one_of

URGENCIES = ("A", "B", "C")
# A month, quarter or year of 2000-2099 (the same periods as the evaluation's).
PERIOD = validate.Regexp(r"^(20\d\d(-(0[1-9]|1[0-2])|-[Qq][1-4])?)?$", error="如 2026-11、2026-Q4 或 2026")
CATEGORY = validate.Regexp(r"^([12]0(\d\d){1,2})?$", error="六位类别代码或四位大类前缀")


@dataclass(frozen=True)
class MapFilters:
    status: str = ""                 # a status, search.OPEN, or "": open without a period, all with one
    category: str = ""               # six digits, or four for a major class
    urgency: str = ""                # A, B, C
    period: periods.Period | None = None

    @property
    def effective_status(self):
        return self.status or ("" if self.period else search.OPEN)

    def search_filters(self) -> search.Filters:
        """The same filters as the case search's."""
        return search.Filters(status=self.effective_status, category=self.category, urgency=self.urgency,
                              date_from=self.period.first if self.period else None,
                              date_to=self.period.last if self.period else None)


class MapQuerySchema(FormSchema):
    """The map's filters; every one is optional."""

    status = fields.String(load_default="", validate=one_of(("", search.OPEN, *STATUSES)),
                           metadata={"description": "a case status, or `open`; default: the open cases, or with "
                                                    "a period every case reported in it"})
    category = fields.String(load_default="", validate=CATEGORY,
                             metadata={"description": "six digits, or the first four for a major class"})
    urgency = fields.String(load_default="", validate=one_of(("", *URGENCIES)),
                            metadata={"description": "A, B or C (as graded when filed)"})
    period = fields.String(load_default="", validate=PERIOD,
                           metadata={"description": "reported in this month (2026-11), quarter (2026-Q4) or year"})
    date_from = calendar_date(data_key="from", load_default=None,
                              metadata={"description": "reported on or after this Beijing date (with to)"})
    date_to = calendar_date(data_key="to", load_default=None,
                            metadata={"description": "reported on or before this Beijing date (with from)"})

    @post_load
    def _filters(self, data, **kwargs):
        period = None
        if data["period"] or data["date_from"] or data["date_to"]:
            try:
                period = periods.parse(data["period"] or None, date_from=data["date_from"], date_to=data["date_to"],
                                       today=None)
            except Invalid as exc:
                raise ValidationError({exc.field or "period": [str(exc)]}) from None
        return MapFilters(status=data["status"], category=data["category"], urgency=data["urgency"], period=period)
