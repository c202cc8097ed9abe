"""A page of a list (the case list, notifications, dead letters): its rows, how many there are in
all, and which page of how many this is."""
from dataclasses import dataclass


@dataclass
class Page:
    items: list
    total: int
    page: int
    per_page: int

    @property
    def pages(self):
        return max(1, -(-self.total // self.per_page))
