"""What a feed source gives: the feed (``ParsedFeed``) and its items, with their enclosures and upstream."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

__all__ = ["Enclosure", "FeedItem", "ParsedFeed", "Upstream"]


class Enclosure(NamedTuple):
    url: str
    type: str | None
    length: int | None


@dataclass(frozen=True)
class Upstream:
    """The feed an item was read from: the item's own ``<source>`` when it names one, else the feed itself."""

    feed_title: str | None
    feed_url: str | None
    feed_id: str | None
    feed_updated: datetime | None


@dataclass(frozen=True)
class FeedItem:
    key: str  # identity within the feed
    link: str | None  # the alternate link, absolute
    title: str
    authors: tuple[str, ...]
    published: datetime | None
    updated: datetime | None
    content_html: str  # the full content when the feed has it, else the summary
    summary_html: str
    categories: tuple[str, ...]
    enclosures: tuple[Enclosure, ...]
    upstream: Upstream


@dataclass(frozen=True)
class ParsedFeed:
    title: str
    link: str | None
    id: str | None
    updated: datetime | None
    items: tuple[FeedItem, ...]
    bozo_reason: str | None = None  # why the document was only partly readable
    ttl_minutes: int | None = None  # RSS <ttl>: how long the feed may be cached
