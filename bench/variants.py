"""Benchmark: a setting against the way before it, alternated in one process, so that a machine
whose speed drifts between runs (PostgreSQL's here did, by 2x within minutes) moves both alike.

    .venv/bin/python bench/variants.py compression|ping|checkpoints|json|speedups|settle|direct [--rounds 8] [--block 15]
                                       [--db sqlite|postgresql]

- `compression` (PostgreSQL): the instance state stored with pglz, the server's default, or lz4
  (migration 0019), switched with ALTER TABLE between blocks of persisted lifecycles; then one
  case's state written again and again into a table of each kind (the UPDATE and COMMIT alone).
- `ping` (PostgreSQL): a pooled connection pinged at every checkout (SQLAlchemy's pre-ping) or only
  after a second idle (`engine.db.PING_IDLE_SECONDS`).
- `checkpoints` (SQLite): the WAL checkpointed by the commit that crosses 1,000 pages (SQLite's
  default) or by the checkpointer thread (`engine/checkpoints.py`); the pool is emptied between
  blocks, so each block's connections are made the block's way.
- `speedups` (`--db`, SQLite by default): the persisted lifecycle on stock SpiffWorkflow or with
  engine.spiff_speedups installed (uninstalled and installed again between blocks).
- `settle` (`--db`, SQLite by default): the persisted lifecycle with the process's objects in the
  garbage collector's sight (`gc.unfreeze`) or frozen out of it (engine.settle's `gc.freeze`), and
  what a full collection then costs (one is timed after each block: the pause that one of the
  collector's own would put into a step).
- `direct` (`--db`, SQLite by default): the persisted lifecycle with a step's plain writes and its
  reads (the user, the task list, the open task) executed by SQLAlchemy or handed to the driver's
  cursor (engine.direct, switched with `direct.ENABLED`; switched off, the reads' objects are still
  made by `direct.entities`, from rows SQLAlchemy executed).
- `json`: `GET /api/v1/cases` (page 1 of 1,000 cases, the intake operator) with the case JSON
  dumped by marshmallow's `CaseSchema().dump` or by `handlers/jsondump.py` (the same JSON, asserted).

The lifecycles are bench/lifecycle.py's (report + 11 steps, a transaction each), with blocks of the
bare engine between rounds for the ratio. Prints, per way: ms per case (or per request), the median
ratio to the bare engine, and the steps' p50 / p95 / p99 / longest.
"""
import argparse
import gc
import logging
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import lifecycle  # noqa: E402
import scratch  # noqa: E402
from sqlalchemy import event, text  # noqa: E402

import engine.db  # noqa: E402
from app import create_app  # noqa: E402
from engine import checkpoints, cli as engine_cli, direct, spiff_speedups  # noqa: E402
from engine.db import get_db  # noqa: E402
from engine.settle import settle  # noqa: E402
from handlers.demo import tree  # noqa: E402

WAYS = {"compression": ("pglz", "lz4"), "ping": ("every checkout", "after 1 s idle"),
        "checkpoints": ("in the commits", "checkpointer thread"), "json": ("marshmallow", "jsondump"),
        "speedups": ("stock SpiffWorkflow", "the speedups"), "settle": ("nothing frozen", "settled"),
        "direct": ("through SQLAlchemy", "direct writes and reads")}
START_CHECKPOINTER = checkpoints.start


def lifecycle_app(kind, tmp, url):
    app = create_app({"DATABASE_URL": url, "CITYGRID_CLOCK": "real", "SECRET_KEY": "bench", "CITYGRID_UPLOAD_DIR": tmp})
    engine_cli.upgrade(app)
    with get_db(app).unit_of_work() as session:
        tree.load(session)
    app.extensions["citygrid.directory"].invalidate()
    lifecycle.bare_engine(5, app)
    lifecycle.persisted(5, app)
    settle(app)
    return app


def switch(variant, app, way):
    """Make the next block run `way` (0: the way before, 1: this one)."""
    db = get_db(app)
    if variant == "compression":
        with db.engine.begin() as connection:
            connection.execute(text(f"ALTER TABLE instances ALTER COLUMN state SET COMPRESSION "
                                    f"{('pglz', 'lz4')[way]}"))
    elif variant == "ping":
        engine.db.PING_IDLE_SECONDS = (-1.0, 1.0)[way]
    elif variant == "checkpoints":
        db.dispose()                               # the next connections are made the block's way
        app.config["_commits_checkpoint"] = way == 0
        checkpoints.start = (lambda _engine: None) if way == 0 else START_CHECKPOINTER   # no thread, or one
    elif variant == "speedups":
        (spiff_speedups.install if way else spiff_speedups.uninstall)()
    elif variant == "direct":
        direct.ENABLED = bool(way)
    elif variant == "settle":
        if way:
            gc.collect()
            gc.freeze()
        else:
            gc.unfreeze()


def run_lifecycles(variant, rounds, block, db=None):
    kinds = {"checkpoints": "sqlite", "speedups": db or "sqlite", "settle": db or "sqlite", "direct": db or "sqlite"}
    kind = kinds.get(variant, "postgresql")
    with tempfile.TemporaryDirectory() as tmp, scratch.database_url(kind, tmp, "variants") as url:
        app = lifecycle_app(kind, tmp, url)
        if variant == "checkpoints":
            @event.listens_for(get_db(app).engine, "connect")
            def _default_threshold(dbapi_connection, _record):
                if app.config.get("_commits_checkpoint"):
                    dbapi_connection.execute("PRAGMA wal_autocheckpoint=1000")
        collections = Collections()
        try:
            cases, steps, bare, full, pauses = ([], []), ([], []), [], ([], []), ([], [])
            for n in range(rounds):
                for way in ((0, 1) if n % 2 == 0 else (1, 0)):
                    switch(variant, app, way)
                    collections.full.clear()
                    seconds, latencies = lifecycle.persisted(block, app)
                    cases[way].append(seconds / block)
                    steps[way].extend(latencies)
                    full[way].extend(collections.full)
                    if variant == "settle":        # what a full collection costs, the block's garbage freed
                        began = time.perf_counter()
                        gc.collect()
                        pauses[way].append(time.perf_counter() - began)
                bare.append(lifecycle.bare_engine(block, app) / block)
            updates = state_updates(get_db(app)) if variant == "compression" else None
        finally:
            collections.stop()
            switch(variant, app, 1)
            get_db(app).dispose()
    print(f"{variant} ({kind}), {rounds} rounds of {block} lifecycles, the ways alternated:")
    for way, name in enumerate(WAYS[variant]):
        q = statistics.quantiles([s * 1000 for s in steps[way]], n=100)
        ratio = statistics.median(p / b for p, b in zip(cases[way], bare))
        print(f"  {name:20}: {statistics.median(cases[way]) * 1000:7.1f} ms/case, ratio to the bare engine "
              f"{ratio:.2f}x; step p50 {q[49]:.2f}, p95 {q[94]:.2f}, p99 {q[98]:.2f}, "
              f"longest {max(steps[way]) * 1000:.1f} ms; mean {statistics.mean(cases[way]) * 1000:.1f} ms/case, "
              f"{len(full[way])} full collections ({sum(full[way]) * 1000:.0f} ms)"
              + (f"; a full collection after a block {statistics.median(pauses[way]) * 1000:.1f} ms (median)"
                 if pauses[way] else ""))
    print(f"  bare engine         : {statistics.median(bare) * 1000:7.1f} ms/case")
    if updates:
        print("  one case's state written again (UPDATE and COMMIT, 6 rounds of 200 alternated): "
              + ", ".join(f"{name} {ms:.2f} ms ({size} bytes stored)" for name, (ms, size) in updates.items()))


class Collections:
    """The seconds each full collection of the garbage collector took (gc.callbacks) while it listens."""

    def __init__(self):
        self.full, self._began = [], None
        gc.callbacks.append(self._observe)

    def _observe(self, phase, info):
        if info["generation"] != 2:
            return
        if phase == "start":
            self._began = time.perf_counter()
        elif self._began is not None:
            self.full.append(time.perf_counter() - self._began)

    def stop(self):
        gc.callbacks.remove(self._observe)


def state_updates(db, rounds=6, each=200):
    """{compression: (median ms of an UPDATE and COMMIT of a case's state, its stored size)}: the
    state of the last case saved, rewritten (a byte changed each time) in a table of each kind."""
    connection = db.engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT state FROM instances ORDER BY id DESC LIMIT 1")
        state = cursor.fetchone()[0]
        for method in ("pglz", "lz4"):
            cursor.execute(f"CREATE TABLE state_{method} (id int PRIMARY KEY, state text COMPRESSION {method})")
            cursor.execute(f"INSERT INTO state_{method} VALUES (1, %s)", (state,))
        connection.commit()
        times = {"pglz": [], "lz4": []}
        for n in range(rounds):
            for method in (("pglz", "lz4") if n % 2 == 0 else ("lz4", "pglz")):
                began = time.perf_counter()
                for i in range(each):
                    cursor.execute(f"UPDATE state_{method} SET state = %s WHERE id = 1", (state[:-1] + str(i % 10),))
                    connection.commit()
                times[method].append((time.perf_counter() - began) / each * 1000)
        sizes = {}
        for method in times:
            cursor.execute(f"SELECT pg_column_size(state) FROM state_{method}")
            sizes[method] = cursor.fetchone()[0]
            cursor.execute(f"DROP TABLE state_{method}")
        connection.commit()
        return {method: (statistics.median(times[method]), sizes[method]) for method in times}
    finally:
        connection.close()


def run_json(rounds, block):
    os.environ.setdefault("CITYGRID_CLOCK", "simulated")
    import lists
    import map as bulk
    from handlers.cases import schemas
    fast = schemas._DUMP_CASE
    for kind in ("sqlite", "postgresql"):
        with scratch.product(kind, "variants", bulk.NOW) as app:
            logging.getLogger("citygrid.request").setLevel(logging.WARNING)
            bulk.write_cases(get_db(app), app.extensions["citygrid.directory"], 1000, seed=1)
            get = lists.lister(app.test_client(), lists.tokens(app)["intake"])
            seconds = ([], [])
            try:
                schemas._DUMP_CASE = schemas.CASE.dump
                reference = get({})
                schemas._DUMP_CASE = fast
                assert get({}) == reference
                for n in range(rounds):
                    for way in ((0, 1) if n % 2 == 0 else (1, 0)):
                        schemas._DUMP_CASE = (schemas.CASE.dump, fast)[way]
                        for _ in range(block):
                            began = time.perf_counter()
                            get({})
                            seconds[way].append((time.perf_counter() - began) * 1000)
            finally:
                schemas._DUMP_CASE = fast
        print(f"json ({kind}): GET /api/v1/cases page 1 of 1,000 cases, {rounds} rounds of {block} requests:")
        for way, name in enumerate(WAYS["json"]):
            print(f"  {name:12}: median {statistics.median(seconds[way]):6.2f} ms, "
                  f"p90 {statistics.quantiles(seconds[way], n=10)[8]:6.2f} ms")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variant", choices=sorted(WAYS))
    parser.add_argument("--rounds", type=int, default=8)
    parser.add_argument("--block", type=int, default=15)
    parser.add_argument("--db", choices=("sqlite", "postgresql"), help="speedups, settle, direct: the database (SQLite)")
    args = parser.parse_args()
    if args.variant == "json":
        run_json(args.rounds, args.block)
    else:
        run_lifecycles(args.variant, args.rounds, args.block, args.db)


if __name__ == "__main__":
    main()
