"""citymap.areas: the map's cases counted per district (named as the map's GeoJSON regions) and per
street (at the street's centre point), open and overdue, for what the viewer may see, against
cases filed through the real services."""
import json
from pathlib import Path

from handlers.demo import tree
from tests.handlers.citymap.scenario import DATONG, HULI, JIALIAN, SIMING, TONGAN, YUNDANG, city_map, scenario

GEOJSON = Path(__file__).resolve().parents[3] / "web" / "static" / "geo" / "xiamen.geojson"


def counts(found):
    return ({a.code: (a.count, a.overdue) for a in found.areas.districts if a.count or a.overdue},
            {s.code: (s.count, s.overdue) for s in found.areas.streets})


def test_counts_per_district_and_street(city):
    scenario(city)
    found = city_map(city, "supervisor-committee")
    assert counts(found) == ({SIMING: (2, 0), HULI: (1, 0), TONGAN: (1, 0)},
                             {JIALIAN: (2, 0), "350206001": (1, 0), DATONG: (1, 0)})
    assert sum(a.count for a in found.areas.districts) == found.summary.total == 4
    streets = {s.code: s for s in found.areas.streets}
    assert (streets[JIALIAN].lng, streets[JIALIAN].lat) == tree.CENTRES[JIALIAN]
    assert (streets[JIALIAN].name, streets[JIALIAN].district) == ("嘉莲街道", SIMING)
    # every district is listed, by the names of the map's regions
    regions = {f["properties"]["name"] for f in json.loads(GEOJSON.read_text(encoding="utf-8"))["features"]}
    assert {a.name for a in found.areas.districts} == regions and len(regions) == 6
    # a period: every case reported in it, 筼筜街道's voided and closed ones too
    month = city_map(city, "supervisor-committee", period="2026-03")
    assert counts(month)[0] == {SIMING: (4, 0), HULI: (1, 0), TONGAN: (1, 0)}
    assert counts(month)[1][YUNDANG] == (2, 0)


def test_overdue_counts(city):
    scenario(city)
    city.set_clock("2026-03-03 09:05")             # the A case's deadline (Tue 09:05)
    found = city_map(city, "supervisor-committee")
    assert counts(found)[0] == {SIMING: (2, 1), HULI: (1, 0), TONGAN: (1, 0)}
    city.set_clock("2026-03-04 09:15")             # the B case's (Wed 09:15)
    assert counts(city_map(city, "supervisor-committee"))[0][SIMING] == (2, 2)
    assert city_map(city, "supervisor-committee").summary.overdue == 2
    assert counts(city_map(city, "supervisor-committee", urgency="B"))[0] == {SIMING: (1, 1)}


def test_a_district_counts_only_what_it_may_see(city):
    scenario(city)
    assert counts(city_map(city, "supervisor-350203")) == ({SIMING: (2, 0)}, {JIALIAN: (2, 0)})
    assert counts(city_map(city, "officer-350212")) == ({TONGAN: (1, 0)}, {DATONG: (1, 0)})
    assert counts(city_map(city, "officer-350213")) == ({}, {})
    assert len(city_map(city, "officer-350213").areas.districts) == 6      # the map's regions, all at zero
