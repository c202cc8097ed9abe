"""Benchmark: the city map (一张图) over N cases, against the plain count of the same visible cases.

    .venv/bin/python bench/map.py [--cases 100000] [--db sqlite|postgresql] [--repeat 15]

The product is set up for real (migrations, the shipped processes, the Xiamen org tree with its
centre points); the cases are then written in bulk straight into the tables the map reads, as the
engine would have left them: a case row (spread over 2026; 5% still open at every stage of the
process, with deadlines on both sides of now; 70% with the reporter's coordinates, the others at
their grid), its units (the `case_units` index the visibility rule asks), the suffixes of its
number (`number_search`), an instance row; and 30
cameras with 3,000 detections. Nothing goes through the engine.

Times, per viewer (the city's committee: its subtree is every unit; an auditor: every case without
asking the index; 思明区's supervisor: a sixth of the city), median and p95 over --repeat runs, for
the open cases and for a whole year (every case reported in 2026: counted in full, the newest 5,000
drawn): the baseline (one count of the visible cases the filters give, the least any map reads);
the columns of the points to draw, read and nothing built from them; the map (points, counts per
district and street, cameras); and the map with its JSON as the API and page send it
(`map_json`, handlers/jsondump.py), beside the JSON alone by that and by marshmallow's own
`MapSchema().dump` (the same output, asserted).
"""
import argparse
import os
import random
import statistics
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from types import SimpleNamespace

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("CITYGRID_CLOCK", "simulated")
os.environ.setdefault("CITYGRID_SCHEDULER", "off")

import scratch  # noqa: E402
from sqlalchemy import delete, func, insert, select, text  # noqa: E402
from tqdm import tqdm  # noqa: E402

from engine.db import get_db  # noqa: E402
from engine.models import Deployment, Instance  # noqa: E402
from handlers.cases import deadlines, number_search, numbers as case_numbers, search, visibility  # noqa: E402
from handlers.cases.models import Case, CaseUnit  # noqa: E402
from handlers.cases.number_search import CaseNoSuffix  # noqa: E402
from handlers.cases.numbers import CaseNumber  # noqa: E402
from handlers.categories.catalogue import get_catalogue  # noqa: E402
from handlers.citymap import points, service  # noqa: E402
from handlers.citymap.forms import MapQuerySchema  # noqa: E402
from handlers.citymap.schemas import MapSchema, map_json  # noqa: E402
from handlers.demo import tree  # noqa: E402
from handlers.intake.cameras import Camera  # noqa: E402
from handlers.intake.video import VideoDetection  # noqa: E402
from handlers.intake.violations import get_violations  # noqa: E402

YEAR_START = datetime(2026, 1, 1, 0, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 12, 31, 2, 0, tzinfo=timezone.utc)          # 10:00 in Beijing
OPEN = ("accepting", "dispatching", "handling", "reviewing", "checking", "closing")
CATEGORIES = ("200115", "200509", "200301", "100102", "200506", "200601", "100401", "200201")
VIEWERS = {"the city's committee (subtree: every unit)": ("supervisor", "350200"),
           "an auditor (every case)": ("auditor", "350200"),
           "思明区's supervisor (subtree)": ("supervisor", "350203")}


def generate(db, directory, count, seed=1):
    """Write `count` cases with their instances and units, then cameras and detections, in batches."""
    open_ids = write_cases(db, directory, count, seed)
    write_cameras(db, directory, open_ids, random.Random(seed))


def write_cases(db, directory, count, seed=1):
    """Write `count` cases with their instances and units in batches, numbered as the service numbers
    them (the Beijing date of the report and that day's serial, from and back to the days' counters
    in `case_numbers`); returns the open cases' (id, grid)."""
    rng = random.Random(seed)
    center, centres = directory.center(), tree.centres()
    grids = directory.of_kind("grid")
    with db.unit_of_work() as session:
        deployment_id = session.scalar(select(func.max(Deployment.id)))
        next_id = (session.scalar(select(func.max(Instance.id))) or 0) + 1
        numbers = dict(session.execute(select(CaseNumber.day, CaseNumber.serial)).all())
    batch = 5000
    seconds = (NOW - YEAR_START).total_seconds()
    open_ids = []
    for start in tqdm(range(0, count, batch), desc="cases", unit_scale=batch, leave=False):
        instances_, cases, units, suffixes = [], [], [], []
        for i in range(start, min(start + batch, count)):
            case_id = next_id + i
            grid = rng.choice(grids)
            community = directory.parent(grid)
            chain = list(reversed(directory.ancestors(community)))[1:]           # district, street, community
            is_open = rng.random() < 0.05
            reported = NOW - timedelta(hours=rng.uniform(1, 200)) if is_open else \
                YEAR_START + timedelta(seconds=rng.uniform(0, seconds - 10 * 86400))
            filed = reported + timedelta(minutes=10)
            due = filed + timedelta(days=rng.choice((1, 2, 4)))
            status = rng.choice(OPEN) if is_open else rng.choice(("closed",) * 9 + ("voided",))
            holder = rng.choice(chain) if is_open and status != "accepting" else (center if is_open else None)
            located = rng.random() < 0.7
            lng, lat = centres[grid]
            instances_.append(dict(id=case_id, deployment_id=deployment_id, state="{}", version=1,
                                   completed=not is_open, timers_digest="", event_seq=0, event_hash="0" * 64,
                                   created_at=reported, updated_at=reported))
            reached = sorted({center, community, grid, *chain[:rng.choice((1, 2, 3))]})
            cases.append(dict(
                id=case_id, case_no=number(numbers, reported), instance_id=case_id, channel="grid" if located else "hotline12345",
                external_ref=None if located else f"ref-{case_id}", category=rng.choice(CATEGORIES), description="bench",
                address="", community=community, grid=grid if located else None,
                lat=round(lat + rng.uniform(-0.0015, 0.0015), 6) if located else None,
                lng=round(lng + rng.uniform(-0.0015, 0.0015), 6) if located else None,
                suggested_urgency=None, fixed_on_spot=False, reporter="bench", reported_at=reported, status=status,
                urgency=None if status in ("accepting", "voided") else rng.choice("ABC"),
                filed_at=None if status in ("accepting", "voided") else filed,
                due_at=None if status in ("accepting", "voided") else due,
                warn_at=None if status in ("accepting", "voided") else filed + (due - filed) * 0.8,
                due_provisional=False, holder_unit=holder, handler_unit=None, reached=reached, merged_into=None,
                closed_at=None if is_open else reported + timedelta(hours=rng.uniform(2, 120)), rework_count=0))
            cases[-1]["overdue_from"] = deadlines.overdue_from(cases[-1]["due_at"], cases[-1]["closed_at"])
            units.extend(visibility.unit_row(SimpleNamespace(**cases[-1]), u) for u in seeing(directory, reached))
            suffixes.extend(number_search.rows(case_id, cases[-1]["case_no"]))
            if is_open:
                open_ids.append((case_id, grid))
        with db.unit_of_work() as session:
            connection = session.connection()
            connection.execute(insert(Instance.__table__), instances_)
            connection.execute(insert(Case.__table__), cases)
            connection.execute(insert(CaseUnit.__table__), units)
            connection.execute(insert(CaseNoSuffix.__table__), suffixes)
    with db.unit_of_work() as session:
        session.execute(delete(CaseNumber).where(CaseNumber.day.in_(numbers)))
        session.execute(insert(CaseNumber), [dict(day=day, serial=serial) for day, serial in numbers.items()])
        if session.bind.dialect.name == "postgresql":     # the ids given above: the service's next ones follow
            for table in ("instances", "cases"):
                session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))"))
    return open_ids


def seeing(directory, units):
    """The units that see a case of these units (they and every unit above them: `case_units`)."""
    return sorted({above for unit in units for above in directory.ancestors(unit)})


def number(numbers, reported):
    """The next case number of the report's Beijing day (`numbers`: {day: last serial})."""
    day = case_numbers.day_of(reported)
    numbers[day] = numbers.get(day, 0) + 1
    return f"{day}{numbers[day]:05d}"


def write_cameras(db, directory, open_ids, rng):
    """30 cameras on random grids and 3,000 detections of the open cases."""
    centres, grids = tree.centres(), directory.of_kind("grid")
    with db.unit_of_work() as session:
        cameras = [dict(code=f"CAM-{n:03d}", name=f"摄像头{n}", grid=grid, lng=centres[grid][0], lat=centres[grid][1],
                        active=True, created_at=YEAR_START, last_detection_at=NOW)
                   for n, grid in enumerate(rng.sample(grids, 30), 1)]
        session.connection().execute(insert(Camera.__table__), cameras)
        detections = []
        for n in range(3000):
            camera = rng.choice(cameras)
            case_id = rng.choice(open_ids)[0]
            at = NOW - timedelta(hours=rng.uniform(0, 2000))
            detections.append(dict(camera_code=camera["code"], event_id=f"e{n}", violation="road_occupying_business",
                                   case_id=case_id, attachment_id=None, filed=n % 5 == 0, detected_at=at,
                                   received_at=at))
        session.connection().execute(insert(VideoDetection.__table__), detections)


def timed(fn, repeat):
    fn()                                  # warm: the directory, the catalogue, the statement cache
    seconds = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        seconds.append(time.perf_counter() - t0)
    return result, seconds


def figures(seconds):
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(seconds), p95


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    with scratch.product(args.db, "map", NOW) as app:
        run(app, args)


def run(app, args):
    db, directory = get_db(app), app.extensions["citygrid.directory"]
    t0 = time.perf_counter()
    generate(db, directory, args.cases)
    set_up = time.perf_counter() - t0
    with db.reading() as session:
        counts = [session.scalar(select(func.count()).select_from(t)) for t in (Case, CaseUnit, VideoDetection)]
        still_open = session.scalar(select(func.count()).where(Case.closed_at.is_(None)))
    if args.db == "postgresql":
        with db.engine.connect() as conn:
            conn.execute(text("ANALYZE"))
            conn.commit()
    print(f"{args.db}: {counts[0]} cases ({still_open} open), {counts[1]} case units, {counts[2]} detections "
          f"(written in {set_up:.1f} s); {args.repeat} runs each, median / p95")
    catalogue, violations = get_catalogue(app), get_violations(app)
    for label, (role, unit) in VIEWERS.items():
        viewer = SimpleNamespace(role=role, unit_code=unit, username="bench")
        print(label)
        for name, query in (("open cases", {}), ("reported in 2026", {"period": "2026"})):
            filters = MapQuerySchema().load(query)

            def baseline():
                with db.reading() as session:
                    where = search.conditions(directory, user=viewer, filters=filters.search_filters(), now=NOW)
                    return session.scalar(select(func.count()).select_from(Case).where(*where))

            def rows():      # the drawn cases' columns read, nothing built from them
                with db.reading() as session:
                    where = search.conditions(directory, user=viewer, filters=filters.search_filters(), now=NOW)
                    return len(session.execute(select(*points.COLUMNS).where(*where).order_by(
                        Case.reported_at.desc(), Case.id.desc()).limit(service.MAX_POINTS)).all())

            def whole():
                with db.reading() as session:
                    return service.get(session, directory, catalogue, violations, viewer=viewer, filters=filters,
                                       now=NOW)
            total, floor_s = timed(baseline, args.repeat)
            _, rows_s = timed(rows, args.repeat)
            found, map_s = timed(whole, args.repeat)
            sent, dump_s = timed(lambda: map_json(found), args.repeat)
            reference, marshmallow_s = timed(lambda: MapSchema().dump(found), args.repeat)
            json_s = [a + b for a, b in zip(map_s, dump_s)]
            assert found.summary.total == total and sent == reference
            floor_median, floor_p95 = figures(floor_s)
            rows_median, rows_p95 = figures(rows_s)
            map_median, map_p95 = figures(map_s)
            json_median, json_p95 = figures(json_s)
            print(f"  {name:17}: {total:6} cases, {found.summary.shown:5} drawn, {len(found.cameras):2} cameras | "
                  f"count {floor_median * 1000:6.1f} / {floor_p95 * 1000:6.1f} ms | "
                  f"rows read {rows_median * 1000:6.1f} / {rows_p95 * 1000:6.1f} ms | "
                  f"map {map_median * 1000:6.1f} / {map_p95 * 1000:6.1f} ms = {map_median / floor_median:.1f}x | "
                  f"with its JSON {json_median * 1000:6.1f} / {json_p95 * 1000:6.1f} ms | "
                  f"the JSON alone {figures(dump_s)[0] * 1000:6.1f} ms, by marshmallow's dump "
                  f"{figures(marshmallow_s)[0] * 1000:6.1f} ms")


if __name__ == "__main__":
    main()
