"""engine.checkpoints: on SQLite the commits leave the WAL's checkpoints to a thread of the process
(a commit that crossed SQLite's threshold of 1,000 pages copied the log back into the file while its
request waited); the thread's checkpoint copies all of it, writers and readers working meanwhile,
and stops with the engine. Real SQLite files."""
import os
import time

import pytest
from sqlalchemy import Column, Integer, LargeBinary, MetaData, Table, func, insert, select

from engine import checkpoints
from engine.db import Database

META = MetaData()
BLOBS = Table("blobs", META, Column("id", Integer, primary_key=True), Column("data", LargeBinary))
PAGE = 4096


@pytest.fixture
def database(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'wal.db'}")
    META.create_all(db.engine)
    yield db
    db.dispose()


def write(db, megabytes):
    for n in range(megabytes):
        with db.unit_of_work() as session:
            session.execute(insert(BLOBS), {"data": os.urandom(2 ** 20)})


def wal_pages(db):
    return os.path.getsize(db.engine.url.database + "-wal") // PAGE


def test_commits_do_not_checkpoint_and_the_checkpointer_copies_the_whole_log(database):
    checkpointer = database.engine.citygrid_checkpointer
    checkpointer.stop()                  # its thread out of the way: only the commits could checkpoint
    write(database, 12)                  # about 3,000 pages, three times SQLite's default threshold
    assert wal_pages(database) > 3000    # never restarted: no commit checkpointed

    with database.reading() as reader:   # a reader inside and a writer after: neither waits for it
        assert reader.scalar(select(func.count()).select_from(BLOBS)) == 12
        busy, frames, copied = checkpointer.checkpoint()
        write(database, 1)
    assert (busy, copied) == (0, frames) and frames > 3000
    with database.reading() as reader:
        assert reader.scalar(select(func.count()).select_from(BLOBS)) == 13


def test_the_thread_checkpoints_by_itself_and_ends_with_the_engine(tmp_path):
    db = Database(f"sqlite:///{tmp_path / 'thread.db'}")
    META.create_all(db.engine)
    first = db.engine.citygrid_checkpointer
    first.stop()
    checkpointer = db.engine.citygrid_checkpointer = checkpoints.Checkpointer(db.engine, first.path, every=0.01)
    write(db, 2)
    deadline = time.monotonic() + 10
    while checkpointer.checkpoints == 0 and time.monotonic() < deadline:
        checkpointer.stopped.wait(0.01)
    assert checkpointer.checkpoints > 0
    db.dispose()
    assert not checkpointer.thread.is_alive()

