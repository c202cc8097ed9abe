"""The org tree in memory: small, read on almost every step, so one copy per process, loaded
outside any transaction. Every change to the units bumps the `org` stamp (`engine.stamps`) in its
own transaction; each request hands the stamp it read to `warm`, which loads the tree again when
the copy is older, so a change made through any process is seen by every process at its next
request (`invalidate` drops the copy at once, for the process that knows it changed the units)."""
from threading import Lock

from sqlalchemy import select

from .models import Unit


class Directory:
    """The unit tree: names, kinds, parents, children, ancestors."""

    def __init__(self, database):
        self._db = database
        self._tree = None    # (units, centres, inactive codes), loaded together and dropped together
        self._version = None  # the `org` stamp the tree was loaded under
        self._lock = Lock()

    def _loaded(self):
        with self._lock:
            if self._tree is None:
                rows = self._db.read(select(Unit.code, Unit.name, Unit.kind, Unit.parent_code, Unit.lng, Unit.lat,
                                            Unit.active))
                self._tree = ({code: (name, kind, parent) for code, name, kind, parent, *_ in rows},
                              {code: (lng, lat) for code, _, _, _, lng, lat, _ in rows
                               if lng is not None and lat is not None},
                              frozenset(code for code, *_, active in rows if not active))
            return self._tree

    def _load(self):
        return self._loaded()[0]

    def warm(self, version=None):
        """Load the tree now unless it is loaded under the stamp `version` (the `org` stamp the
        request read; None: any copy will do). Loading reads through a connection of its own, so
        a request asks this before it holds one: otherwise the requests of a fresh process, each
        holding a pooled connection while the first of them waits for one more to load the tree,
        could take the whole pool and wait for its timeout."""
        if version is not None and version != self._version:
            with self._lock:
                if version != self._version:
                    self._tree, self._version = None, version
        self._loaded()

    def invalidate(self):
        with self._lock:
            self._tree = None

    def is_active(self, code):
        """Whether the unit exists and takes new work (not deactivated)."""
        return self.exists(code) and code not in self._loaded()[2]

    def active_children(self, code):
        """The units directly below `code` that take new work."""
        inactive = self._loaded()[2]
        return [c for c in self.children(code) if c not in inactive]

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
