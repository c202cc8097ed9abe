"""The violation kinds of the video detector (data in `violations.toml`, or CITYGRID_VIOLATIONS):
each has an ASCII code, a Chinese name and the event category its detections are filed as."""
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from flask import current_app

EXTENSION = "citygrid.violations"
DEFAULT_PATH = Path(__file__).resolve().parent / "violations.toml"


class ViolationDataError(ValueError):
    """The violations file is malformed; the message names the entry."""


@dataclass(frozen=True)
class Violation:
    code: str        # what detectors send, e.g. road_occupying_business
    name: str        # 占道经营 (also accepted from a detector)
    category: str    # the six-digit event category, e.g. 200509


class Violations:
    def __init__(self, kinds):
        self.kinds = tuple(kinds)
        self._lookup = {k.code: k for k in self.kinds} | {k.name: k for k in self.kinds}

    def get(self, code_or_name):
        """The kind named by its code or its Chinese name, or None."""
        return self._lookup.get((code_or_name or "").strip())

    def accepted(self):
        """Every value a detector may send (codes, then names)."""
        return [k.code for k in self.kinds] + [k.name for k in self.kinds]


def load(path) -> Violations:
    """Read and check a violations file; raises ViolationDataError."""
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ViolationDataError(f"{path}: {exc}") from None
    kinds, seen = [], set()
    for i, entry in enumerate(data.get("violation", []), 1):
        code, name, category = (str(entry.get(k, "")).strip() for k in ("code", "name", "category"))
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,49}", code) or not name:
            raise ViolationDataError(f"{path}: violation #{i} needs a lower-case ASCII code and a name")
        if not re.fullmatch(r"20\d{4}", category):
            raise ViolationDataError(f"{path}: violation {code} needs an event category (20xxxx), not {category!r}")
        if code in seen or name in seen:
            raise ViolationDataError(f"{path}: violation {code} ({name}) is listed twice")
        seen.update((code, name))
        kinds.append(Violation(code, name, category))
    if not kinds:
        raise ViolationDataError(f"{path}: no violations")
    return Violations(kinds)


def get_violations(app=None) -> Violations:
    """The app's violation kinds, read once."""
    app = app or current_app
    found = app.extensions.get(EXTENSION)
    if found is None:
        found = app.extensions[EXTENSION] = load(app.config.get("CITYGRID_VIOLATIONS") or DEFAULT_PATH)
    return found
