"""What an ingest reports, per source and in all."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from feeds.models import Extracted


@dataclass
class SourceReport:
    source_id: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    error: str | None = None  # the source as a whole failed
    note: str | None = None  # not due, not modified, …
    ran: bool = True  # False for a source that was not due
    url: str | None = None  # what was read: the feed or list page URL (after redirects), or the folder
    status: str | None = None  # how the fetch of that URL went: ok, not-modified, unchanged, gone, error
    seconds: float = 0.0  # how long its run took


@dataclass
class IngestReport:
    sources: list[SourceReport] = field(default_factory=list)
    dirty: set[str] = field(default_factory=set)  # categories whose feeds changed

    @property
    def ok(self) -> bool:
        return all(r.error is None for r in self.sources)


# A document ready for extraction: its key within the source, its content hash, and how to read it.
Document = tuple[str, str, Callable[[], Extracted]]
