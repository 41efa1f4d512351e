"""Frozen values passed between the stages.

The flow is ``Source`` → ``RawItem`` → ``Extracted`` → ``Article`` → ``Feed``.
Datetimes are timezone-aware and in UTC everywhere.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path


class SourceKind(enum.StrEnum):
    CAPTURE = "capture"
    FEED = "feed"
    PAGE = "page"


class Precision(enum.StrEnum):
    """How much of a publication date was known."""

    SECOND = "second"
    MINUTE = "minute"
    DAY = "day"
    MONTH = "month"
    NONE = "none"


@dataclass(frozen=True)
class SiteRules:
    """Extraction rules for the article pages of one site (``[[site]]``) or one source (``rules``).

    Selectors are CSS or XPath strings (see ``feeds.selectors``); an unset one
    leaves that field to the generic extractor.
    """

    host: str | None = None  # [[site]]: the host its rules apply to (subdomains too); None for a source's own
    title: str | None = None
    body: str | None = None
    date: str | None = None
    source: str | None = None
    author: str | None = None
    strip: tuple[str, ...] = ()  # elements removed before anything is read
    date_format: str | None = None  # strptime format of the date text, e.g. "%Y年%m月%d日 %H:%M"
    timezone: str | None = None  # IANA zone of zone-less dates of these pages

    def over(self, fallback: SiteRules | None) -> SiteRules:
        """These rules, with every unset field taken from ``fallback``."""
        if fallback is None:
            return self
        return SiteRules(
            host=self.host or fallback.host,
            title=self.title or fallback.title,
            body=self.body or fallback.body,
            date=self.date or fallback.date,
            source=self.source or fallback.source,
            author=self.author or fallback.author,
            strip=self.strip or fallback.strip,
            date_format=self.date_format or fallback.date_format,
            timezone=self.timezone or fallback.timezone,
        )


@dataclass(frozen=True)
class ListRules:
    """How a page source reads its list page: article links, and the way to the next page."""

    links: str  # selector of the article links (an <a>, or an element holding one)
    title: str | None = None  # selector, within a link's element, of the title shown on the list
    date: str | None = None  # selector, within a link's element, of the date shown on the list
    next_page: str | None = None  # selector of the link to the next list page
    page_pattern: str | None = None  # or their URLs: "index_{i}.html" (i = 1, 2, …), "list_{n}.html" (n = 2, …)
    max_pages: int = 3  # list pages read per run, the first included
    min_delay: float = 1.0  # seconds between two requests to one host


@dataclass(frozen=True)
class Source:
    """One configured origin of articles."""

    id: str
    kind: SourceKind
    category: str
    name: str = ""
    path: Path | None = None  # capture: the folder
    url: str | None = None  # feed / page: where to fetch
    timezone: str = "Asia/Shanghai"
    language: str | None = None  # BCP 47 hint; detected when None
    enabled: bool = True
    rights_template: str | None = None  # overrides the category's and the global template
    interval_minutes: int = 30  # feed / page: how often to look, before ttl, Cache-Control and back-off
    min_interval_minutes: int = 5
    max_interval_minutes: int = 1440  # back-off after errors stops growing here, and keeps retrying
    full_text: bool = False  # feed: fetch each new item's page and extract the article from it
    adaptive: bool = False  # feed: poll at half the observed gap between entries (within min/max)
    link_preference: str = "original"  # published item link: "original" article, or the "reprint" page read from
    listing: ListRules | None = None  # page: how the list page is read
    rules: SiteRules | None = None  # page / full_text: this source's own extraction rules


@dataclass(frozen=True)
class RawItem:
    """A document a source found: the bytes of one article page or capture.

    ``key`` identifies the document within its source (a file's relative path,
    a page URL, a feed entry's guid) and ``content_hash`` its current content,
    so unchanged documents are skipped before any parsing.
    """

    source_id: str
    key: str
    content: bytes
    content_hash: str
    media_type: str  # "text/plain" or "text/html"
    url: str | None = None  # the page this was read from, when it has one
    charset: str | None = None  # declared by the transport, when known
    modified: datetime | None = None  # file mtime or HTTP Last-Modified


@dataclass(frozen=True)
class Block:
    """One block of an article body as extracted, before normalization."""

    text: str
    tag: str = "p"  # p, h2, h3, li, blockquote, pre, img
    html: str | None = None  # inline HTML of the block, when the input was HTML


@dataclass(frozen=True)
class Extracted:
    """What an extractor read off a page: nothing is judged or cleaned yet."""

    title: str
    blocks: tuple[Block, ...]
    meta: dict[str, str] = field(default_factory=dict)  # published, source, author, origin_url, ...
    url: str | None = None  # the page's own URL
    language: str | None = None  # declared language, when any


@dataclass(frozen=True)
class Disclaimer:
    kind: str  # reprint-notice | copyright | takedown | liability
    text: str


@dataclass(frozen=True)
class Upstream:
    """The feed an article came through, for atom:source and RSS <source>."""

    title: str | None
    url: str | None  # the feed document's URL
    id: str | None  # the feed's own id (Atom id, JSON Feed feed_url)
    updated: datetime | None


@dataclass(frozen=True)
class Article:
    """A normalized article; the unit that is stored and published."""

    id: str
    source_id: str
    title: str
    link: str | None
    origin_url: str | None
    source_name: str | None
    author: str | None
    published: datetime | None
    updated: datetime | None
    published_precision: Precision
    language: str
    summary: str
    content_html: str
    content_text: str
    categories: tuple[str, ...]
    disclaimer: Disclaimer | None
    rights: str | None
    content_hash: str  # of the normalized content: changes when the article is edited
    via: tuple[str, ...] = ()  # pages the article was read from (reprints)
    first_seen: datetime | None = None  # set by the store
    signature: bytes = b""  # MinHash of the body's shingles: finds reprints with other URLs
    upstream: Upstream | None = None  # set for articles read from a feed


@dataclass(frozen=True)
class SourceState:
    """What the last fetches of a source left: validators, errors, and when to look again."""

    source_id: str
    url: str | None = None  # the current URL, after permanent redirects
    etag: str | None = None
    last_modified: str | None = None  # the HTTP header value, sent back as is
    body_hash: str | None = None  # sha256 of the last body parsed
    last_fetch_at: datetime | None = None
    last_ok_at: datetime | None = None
    last_status: str | None = None  # ok | not-modified | unchanged | gone | error
    last_error: str | None = None
    parse_warning: str | None = None  # why a feed was only partly readable (feedparser's bozo reason)
    failures: int = 0  # consecutive failures: drives the back-off
    next_check_at: datetime | None = None
    gone: bool = False  # HTTP 410: not fetched again until re-enabled


@dataclass(frozen=True)
class Category:
    slug: str
    title: str
    description: str = ""
    default: bool = False
    keywords: tuple[str, ...] = ()
    patterns: tuple[str, ...] = ()  # regular expressions on title and body
    language: str | None = None
    rights_template: str | None = None  # overrides the global template for this category's sources
    icon: str | None = None  # URL of the feed's icon


@dataclass(frozen=True)
class Feed:
    """Everything one published feed document holds."""

    slug: str  # a category slug, or "all"
    title: str
    description: str
    language: str | None
    articles: tuple[Article, ...]  # newest first
    updated: datetime | None  # the newest change among the articles
    icon: str | None = None  # URL of the feed's icon
    archived: int = 0  # older articles than ``articles``, published in archive pages of ``len(articles)`` each
