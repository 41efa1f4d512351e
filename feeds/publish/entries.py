"""What every published format shows of a feed and its articles, computed once.

RSS, Atom and JSON Feed documents of one feed are rendered from the same
``Entry`` values, so an article has the same id, title, links, dates, authors
and tags in all three.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

from feeds.models import Article, Feed, Upstream

Footer = Callable[[Article], str | None]
Format = Literal["rss", "atom", "json"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TAG_YEAR = 2026
UNTITLED = "(untitled)"
MEDIA_TYPES: dict[Format, str] = {
    "rss": "application/rss+xml",
    "atom": "application/atom+xml",
    "json": "application/feed+json",
}
STYLESHEET = "feed.xsl"
ARCHIVE_DIR = "archive"  # under feeds/: the RFC 5005 archive pages, <slug>-<n>.<format>

# Characters XML 1.0 cannot carry at all; lxml refuses them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")


@dataclass(frozen=True)
class Link:
    href: str
    rel: str  # alternate | via
    type: str = "text/html"


@dataclass(frozen=True)
class Entry:
    """An article as every format shows it; text is already free of characters XML cannot carry."""

    id: str
    title: str  # never empty
    links: tuple[Link, ...]  # the alternate first, when there is one
    origin_url: str | None
    modified: datetime | None  # the article's own newest date, None when it has none
    published: datetime | None
    author: str | None
    summary: str
    content: str  # HTML, the footer included
    rights: str | None
    language: str | None
    categories: tuple[str, ...]
    via: tuple[str, ...]
    upstream: Upstream | None = None  # the feed the article came through: atom:source, RSS <source>

    @property
    def updated(self) -> datetime:
        """Atom's required ``updated``: the fixed epoch when the article has no date at all."""
        return self.modified or EPOCH

    @property
    def url(self) -> str | None:
        return next((link.href for link in self.links if link.rel == "alternate"), None)


@dataclass(frozen=True)
class Paging:
    """The RFC 5005 links of one document: a subscription document's, or an archive page's."""

    self_url: str
    current: str | None = None  # archive page: the subscription document
    prev_archive: str | None = None  # the next older archive page
    next_archive: str | None = None  # the next newer archive page
    archive: bool = False  # an archive page (fh:archive)


def entries(feed: Feed, base_url: str, footer: Footer | None, reprint_sources: Collection[str] = ()) -> list[Entry]:
    """The entries of ``feed`` in its order (newest first).

    An article links to its original when it is known, with the page it was
    read from as a via link; an article of a source in ``reprint_sources``
    links to that page instead, with the original as a via link.
    """
    host = site_host(base_url)
    return [_entry(article, host, footer, article.source_id in reprint_sources) for article in feed.articles]


def _entry(article: Article, host: str, footer: Footer | None, reprint: bool = False) -> Entry:
    page = article.link
    original = article.origin_url or None
    link = (page or original) if reprint else (original or page)
    links: list[Link] = [Link(link, "alternate")] if link else []
    candidates = (*article.via, original) if reprint else (page, *article.via)
    for other in candidates:
        if other and other != link and all(other != known.href for known in links):
            links.append(Link(other, "via"))
    content = article.content_html
    extra = footer(article) if footer is not None else None
    if extra:
        content += extra
    if not content and not link:
        # Atom wants content or an alternate link: show the summary (or the title) as the content.
        content = f"<p>{html.escape(article.summary or article.title, quote=False)}</p>"
    modified = article.updated or article.published or article.first_seen
    return Entry(
        id=f"tag:{host},{TAG_YEAR}:article/{article.id}",
        title=clean(article.title).strip() or UNTITLED,
        links=tuple(links),
        origin_url=article.origin_url or None,
        modified=utc(modified) if modified is not None else None,
        published=utc(article.published) if article.published is not None else None,
        author=clean(article.author) if article.author else None,
        summary=clean(article.summary),
        content=clean(content),
        rights=clean(article.rights) if article.rights else None,
        language=article.language or None,
        categories=article.categories,
        via=tuple(link.href for link in links if link.rel == "via"),
        upstream=_upstream(article.upstream),
    )


def _upstream(upstream: Upstream | None) -> Upstream | None:
    if upstream is None or not (upstream.url or upstream.id):
        return None
    return Upstream(
        title=clean(upstream.title) if upstream.title else None,
        url=upstream.url,
        id=upstream.id,
        updated=utc(upstream.updated) if upstream.updated is not None else None,
    )


# --------------------------------------------------------------------------- the feed


def feed_id(base_url: str, slug: str) -> str:
    return f"tag:{site_host(base_url)},{TAG_YEAR}:feeds/{slug}"


def feed_url(base_url: str, slug: str, fmt: Format) -> str:
    """Where the ``fmt`` document of feed ``slug`` is served."""
    return f"{site_base(base_url)}feeds/{slug}.{fmt}"


def archive_url(base_url: str, slug: str, number: int, fmt: Format) -> str:
    """Where archive page ``number`` (1: the oldest articles) of feed ``slug`` is served."""
    return f"{site_base(base_url)}feeds/{ARCHIVE_DIR}/{slug}-{number}.{fmt}"


def archive_pages(feed: Feed) -> int:
    """How many archive pages hold the articles older than ``feed.articles``.

    Pages hold ``len(feed.articles)`` articles each, counted from the oldest;
    only the newest page is partial. When the archived articles fill their
    pages exactly, an empty newest page follows, so a full page always links
    to a newer one and never needs rewriting when new articles arrive.
    """
    if feed.archived <= 0 or not feed.articles:
        return 0
    return feed.archived // len(feed.articles) + 1


def stylesheet_url(base_url: str) -> str:
    """Where the stylesheet that shows RSS and Atom in a browser is served."""
    return f"{site_base(base_url)}{STYLESHEET}"


def last_change(feed: Feed) -> datetime | None:
    """``Feed.updated``, else the newest date any of its articles carries."""
    if feed.updated is not None:
        return utc(feed.updated)
    dates = [
        utc(moment)
        for article in feed.articles
        for moment in (article.updated, article.published, article.first_seen)
        if moment is not None
    ]
    return max(dates, default=None)


# --------------------------------------------------------------------------- helpers


def site_base(base_url: str) -> str:
    return base_url if base_url.endswith("/") else base_url + "/"


def site_host(base_url: str) -> str:
    host = urlsplit(base_url).hostname
    if not host:
        raise ValueError(f"base_url has no host: {base_url!r}")
    return host


def utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} (expected an aware UTC time)")
    return moment.astimezone(UTC)


def clean(value: str) -> str:
    """``value`` without the characters XML 1.0 cannot carry (and lone surrogates)."""
    return _NOT_XML.sub("", value)
