"""The org tree in memory: small, read on almost every step, so one copy per process, loaded
outside any transaction and dropped (`invalidate`) after a change to the units."""
from threading import Lock

from sqlalchemy import select

from .models import Unit


class Directory:
    """The unit tree: names, kinds, parents, children, ancestors."""

    def __init__(self, database):
        self._db = database
        self._tree = None    # (units, centres), loaded together and dropped together
        self._lock = Lock()

    def _loaded(self):
        with self._lock:
            if self._tree is None:
                rows = self._db.read(select(Unit.code, Unit.name, Unit.kind, Unit.parent_code, Unit.lng, Unit.lat))
                self._tree = ({code: (name, kind, parent) for code, name, kind, parent, _, _ in rows},
                              {code: (lng, lat) for code, _, _, _, lng, lat in rows if lng is not None and lat is not None})
            return self._tree

    def _load(self):
        return self._loaded()[0]

    def warm(self):
        """Load the tree now unless it is loaded. Loading reads through a connection of its own, so
        a request asks this before it holds one: otherwise the requests of a fresh process, each
        holding a pooled connection while the first of them waits for one more to load the tree,
        could take the whole pool and wait for its timeout."""
        self._loaded()

    def invalidate(self):
        with self._lock:
            self._tree = None

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

    def centre(self, code):
        """(lng, lat) of the unit's own centre point, else of its nearest ancestor that has one (None
        when none has): where the map places what has no coordinates of its own."""
        unit = self.centre_unit(code)
        return self._loaded()[1][unit] if unit else None

    def centre_unit(self, code):
        """The unit whose centre point `centre(code)` is: the unit itself or its nearest ancestor with one."""
        centres = self._loaded()[1]
        return next((unit for unit in self.ancestors(code) if unit in centres), None)

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
