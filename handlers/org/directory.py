"""The org tree in memory: small, read on almost every step, so one copy per process, loaded
outside any transaction and dropped (`invalidate`) after a change to the units."""
from threading import Lock

from sqlalchemy import select

from .models import Unit


class Directory:
    """The unit tree: names, kinds, parents, children, ancestors."""

    def __init__(self, database):
        self._db = database
        self._units = None
        self._lock = Lock()

    def _load(self):
        with self._lock:
            if self._units is None:
                rows = self._db.read(select(Unit.code, Unit.name, Unit.kind, Unit.parent_code))
                self._units = {code: (name, kind, parent) for code, name, kind, parent in rows}
            return self._units

    def invalidate(self):
        with self._lock:
            self._units = None

    def get(self, code):
        return self._load().get(code)

    def exists(self, code):
        return code in self._load()

    def name(self, code):
        unit = self.get(code)
        return unit[0] if unit else code

    def kind(self, code):
        unit = self.get(code)
        return unit[1] if unit else None

    def parent(self, code):
        unit = self.get(code)
        return unit[2] if unit else None

    def children(self, code):
        return [c for c, (_, _, parent) in self._load().items() if parent == code]

    def of_kind(self, kind):
        """Every unit of a kind, by code."""
        return sorted(c for c, (_, k, _) in self._load().items() if k == kind)

    def center(self):
        return next(c for c, (_, kind, _) in self._load().items() if kind == "center")

    def ancestors(self, code):
        """The chain from the unit up to the root, the unit first."""
        chain = []
        while code is not None and code not in chain:
            chain.append(code)
            code = self.parent(code)
        return chain

    def is_within(self, code, ancestor):
        return ancestor in self.ancestors(code)
