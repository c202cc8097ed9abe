"""A page of a list (the case list, notifications, dead letters): its rows, how many there are in
all, and which page of how many this is; for a list read in a stable order, the cursor of the
next page (`next`, see `Cursor`), which reads it without skipping the rows before it."""
import base64
import binascii
from dataclasses import dataclass
from datetime import datetime, timezone


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int
    next: str | None = None     # the cursor of the page after this one (None: this is the last, or no cursor)

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page))


class BadCursor(ValueError):
    """A cursor this list did not give."""


@dataclass(frozen=True)
class Cursor:
    """Where a page ended in a list ordered newest first by (instant, id): the last row's instant and
    id and the page's number. Written as an opaque URL-safe text (`encode`, `decode`)."""

    page: int
    at: datetime
    id: int

    def encode(self) -> str:
        text = f"{self.page}|{self.at.astimezone(timezone.utc).isoformat()}|{self.id}"
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str) -> "Cursor":
        try:
            page, at, row_id = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)).decode().split("|")
            found = cls(int(page), datetime.fromisoformat(at), int(row_id))
        except (binascii.Error, UnicodeDecodeError, ValueError, OverflowError) as exc:
            raise BadCursor(text) from exc
        if found.at.tzinfo is None or not 1 <= found.page <= 100_000 or not 1 <= found.id < 2 ** 31:
            raise BadCursor(text)
        return found
