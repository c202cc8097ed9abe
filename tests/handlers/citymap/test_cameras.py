"""citymap.cameras: the cameras on grids the viewer sees, each with its latest detections and the
open cases it filed, from detections taken through the real video service."""
from datetime import timedelta

from handlers.intake import cameras, video
from handlers.intake.violations import get_violations
from handlers.org import tokens
from tests.api.httpapi import png
from tests.handlers.citymap.scenario import city_map

SIMING_GRID, HULI_GRID = "35020301100301", "35020600100101"


def detect(city, client_name, camera, violation, event_id):
    def do(session):
        client = tokens.get_client_by_name(session, client_name)
        event = video.VideoEventSchema().load({"camera": camera, "violation": violation, "event_id": event_id})
        case, filed = video.detect(session, city.runtime, city.directory, get_violations(city.app), client=client,
                                   event=event, snapshot=png(), folder=city.app.config["CITYGRID_UPLOAD_DIR"],
                                   max_bytes=city.app.config["CITYGRID_MAX_PHOTO_BYTES"])
        return case.case_no, filed
    return city.work(do)


def test_cameras_with_their_latest_detections(city):
    city.set_clock("2026-03-02 09:00")

    def register(session):
        now = city.runtime.clock.now()
        tokens.create_client(session, name="detector", channel="video", at=now)
        cameras.create(session, city.directory, code="cam-jl-1", name="嘉莲路口", grid=SIMING_GRID, lat=24.488,
                       lng=118.13, at=now)
        cameras.create(session, city.directory, code="cam-hl-1", name="湖里大道", grid=HULI_GRID, lat=24.512,
                       lng=118.11, at=now)
    city.work(register)
    first, filed = detect(city, "detector", "cam-jl-1", "road_occupying_business", "e1")
    assert filed
    for n in range(2, 7):                       # five more sightings of the same, attached to its case
        city.set_clock(city.now() + timedelta(minutes=10))
        assert detect(city, "detector", "cam-jl-1", "road_occupying_business", f"e{n}") == (first, False)
    city.set_clock(city.now() + timedelta(minutes=10))
    other, filed = detect(city, "detector", "cam-jl-1", "garbage_overflow", "e7")
    assert filed and other != first

    found = city_map(city, "supervisor-committee")
    assert [c.code for c in found.cameras] == ["cam-hl-1", "cam-jl-1"]
    jl = found.cameras[1]
    assert (jl.name, jl.grid, jl.grid_name, jl.lng, jl.lat, jl.active) == ("嘉莲路口", SIMING_GRID, "盈翠社区第1网格",
                                                                          118.13, 24.488, True)
    assert jl.detections_total == 7 and len(jl.detections) == 5
    assert [(d.violation_name, d.case_no, d.filed) for d in jl.detections] == \
        [("垃圾满溢", other, True)] + [("占道经营", first, False)] * 4
    assert jl.detections[0].detected_at > jl.detections[1].detected_at
    assert jl.last_detection_at == jl.detections[0].detected_at
    assert sorted(jl.open_cases) == sorted([first, other])
    assert found.cameras[0].detections == [] and found.cameras[0].detections_total == 0
    # the cases the camera filed are points at its location too
    points = {p.case_no: p for p in found.points}
    assert (points[first].lng, points[first].lat, points[first].placed) == (118.13, 24.488, "reported")

    # a camera whose grid is outside the viewer's subtree is not shown
    assert [c.code for c in city_map(city, "supervisor-350203").cameras] == ["cam-jl-1"]
    assert [c.code for c in city_map(city, "officer-350206").cameras] == ["cam-hl-1"]
    assert [c.code for c in city_map(city, f"grid-{SIMING_GRID}").cameras] == ["cam-jl-1"]
    assert city_map(city, "grid-35020301100302").cameras == []
