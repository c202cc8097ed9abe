"""The case category catalogue (案件类别): editable data in `handlers/categories/categories.toml`
(CITYGRID_CATEGORIES), read once per app; names, lookup and search for the forms and lists, and
each minor class's standard (`standards`) where the manual sets one."""
import re
import tomllib
from dataclasses import dataclass, replace
from pathlib import Path

from flask import current_app

from .standards import Standard, read as read_standards

EXTENSION = "citygrid.categories"
DEFAULT_PATH = Path(__file__).resolve().parent / "categories.toml"


class CategoryDataError(ValueError):
    """The catalogue file is malformed; the message says where."""


@dataclass(frozen=True)
class Category:
    code: str          # six digits: kind, "0", major class, minor class
    name: str          # the minor class, e.g. 乱倒乱排污水废水
    kind: str          # 部件 or 事件
    major: str         # the major class, e.g. 市容环境
    standard: Standard | None = None     # 立案条件, 结案条件, default urgency; None where the manual sets none

    @property
    def label(self):
        return f"{self.code} {self.name}"

    @property
    def path(self):
        return f"{self.kind} / {self.major} / {self.name}"


@dataclass(frozen=True)
class Group:
    label: str                      # 事件 · 市容环境
    categories: tuple[Category, ...]


class Catalogue:
    def __init__(self, groups):
        self.groups = tuple(groups)
        self._by_code = {c.code: c for g in self.groups for c in g.categories}

    def __len__(self):
        return len(self._by_code)

    def __contains__(self, code):
        return code in self._by_code

    def get(self, code):
        return self._by_code.get(code)

    def name(self, code):
        """The minor class's name, or the code itself for a code not in the catalogue."""
        found = self._by_code.get(code)
        return found.name if found else (code or "")

    def all(self):
        return list(self._by_code.values())

    def search(self, text):
        """Categories whose code, name or class names contain every word of `text`."""
        words = [w for w in re.split(r"\s+", (text or "").strip()) if w]
        return [c for c in self._by_code.values()
                if all(w in c.code or w in c.path for w in words)]


def load(path) -> Catalogue:
    """Read and check a catalogue file; raises CategoryDataError naming the bad entry."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise CategoryDataError(f"{path}: {exc}") from None
    groups = []
    for kind in data.get("kinds", []):
        kind_code, kind_name = str(kind.get("code", "")), kind.get("name", "")
        if kind_code not in ("1", "2") or not kind_name:
            raise CategoryDataError(f"{path}: kind {kind_code!r} must be 1 or 2 and have a name")
        for cls in kind.get("classes", []):
            major, major_name = str(cls.get("code", "")), cls.get("name", "")
            if not re.fullmatch(r"\d\d", major) or not major_name:
                raise CategoryDataError(f"{path}: class {major!r} of kind {kind_code} needs a 2-digit code and a name")
            members = []
            for minor, name in (cls.get("minor") or {}).items():
                if not re.fullmatch(r"\d{4}", minor) or not minor.startswith(major) or not name:
                    raise CategoryDataError(f"{path}: minor class {minor!r} of {kind_code}0{major} must be 4 digits "
                                            f"starting with {major}, with a name")
                members.append(Category(code=f"{kind_code}0{minor}", name=name, kind=kind_name, major=major_name))
            if members:
                groups.append(Group(f"{kind_name} · {major_name}", tuple(sorted(members, key=lambda c: c.code))))
    if not groups:
        raise CategoryDataError(f"{path}: no categories")
    known = {c.code for g in groups for c in g.categories}
    try:
        found = read_standards(data.get("standards", {}), known, path)
    except ValueError as exc:
        raise CategoryDataError(str(exc)) from None
    return Catalogue(Group(g.label, tuple(replace(c, standard=found.get(c.code)) for c in g.categories))
                     for g in groups)


def get_catalogue(app=None) -> Catalogue:
    """The app's catalogue, read once from CITYGRID_CATEGORIES."""
    app = app or current_app
    catalogue = app.extensions.get(EXTENSION)
    if catalogue is None:
        catalogue = app.extensions[EXTENSION] = load(app.config.get("CITYGRID_CATEGORIES") or DEFAULT_PATH)
    return catalogue
