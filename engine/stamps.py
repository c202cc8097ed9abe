"""Stamps: one version number per dataset that processes cache in memory (the org tree, the
working-day calendar), so that a change made through one process is seen by every other at its
next request. The transaction that changes the data bumps its stamp; each process reads all the
stamps once per request (one small query through a connection of its own) and reloads whatever
copy is older than its stamp. Cheaper than dropping the caches, which are read on almost every step."""
from sqlalchemy import select, update

from .models import Stamp


def bump(session, name) -> None:
    """Move the stamp `name` on, in the caller's unit of work (its rows are made by the migration;
    a missing one is created)."""
    moved = session.execute(update(Stamp).where(Stamp.name == name).values(version=Stamp.version + 1))
    if not moved.rowcount:
        session.add(Stamp(name=name, version=1))
        session.flush()


def read_all(database) -> dict:
    """{name: version} of every stamp, read outside any unit of work (never waits for a writer)."""
    return dict(database.read(select(Stamp.name, Stamp.version)))
