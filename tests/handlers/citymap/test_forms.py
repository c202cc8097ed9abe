"""citymap.forms: the map's filters, with a field message for every bad one; without a period the
open cases, with one every status reported in it."""
from datetime import date

import pytest
from marshmallow import ValidationError

from handlers.citymap.forms import MapQuerySchema


def load(**query):
    return MapQuerySchema().load(query)


def errors(**query):
    with pytest.raises(ValidationError) as caught:
        load(**query)
    return caught.value.messages


def test_defaults_and_periods():
    found = load()
    assert (found.effective_status, found.category, found.urgency, found.period) == ("open", "", "", None)
    month = load(period="2026-11", status="closed", urgency="A", category="2001")
    assert (month.period.first, month.period.last, month.effective_status) == (date(2026, 11, 1), date(2026, 11, 30),
                                                                               "closed")
    assert load(period="2026-q4").period.label == "2026-Q4"
    assert load(period="2026").effective_status == ""            # every status reported in the year
    ranged = load(**{"from": "2026-11-03", "to": "2026-11-20"}).search_filters()
    assert (ranged.date_from, ranged.date_to, ranged.status) == (date(2026, 11, 3), date(2026, 11, 20), "")


@pytest.mark.parametrize("query, field", [
    ({"status": "lost"}, "status"), ({"category": "12"}, "category"), ({"category": "2001159"}, "category"),
    ({"urgency": "D"}, "urgency"), ({"period": "2026-13"}, "period"), ({"period": "1999"}, "period"),
    ({"period": "11-2026"}, "period"), ({"from": "2026-11-03"}, "to"), ({"to": "2026-11-03"}, "from"),
    ({"from": "2026-11-20", "to": "2026-11-03"}, "to"), ({"from": "2026-02-30", "to": "2026-03-01"}, "from"),
    ({"period": "2026-11", "from": "2026-11-01", "to": "2026-11-02"}, "period"), ({"zoom": "3"}, "zoom"),
    ({"status": "open\x00"}, "status"),
])
def test_bad_filters_are_refused_with_a_field_message(query, field):
    messages = errors(**query)
    assert list(messages) == [field] and all(isinstance(m, str) and m for m in messages[field])
