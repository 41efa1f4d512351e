"""RSS 2.0 and Atom 1.0 documents of one feed; the only module that uses feedgen.

The same feed always renders to the same bytes: every date comes from the
data (never from the clock) and entries keep the order of ``Feed.articles``.

feedgen 1.0.0 needs these workarounds, each covered by a test:

- Atom entry links lose ``rel`` and ``type`` (python-feedgen #135), so the
  produced Atom is fixed up with lxml: a via link stays a via link.
- ``add_entry()`` prepends by default: entries are added with ``order='append'``.
- The RSS channel ``<link>`` is the last link set, and both formats share one
  self link: each format gets its own generator, self link first and the
  alternate (the site's index page) last.
- ``updated`` / ``lastBuildDate`` default to now: both are set from the data,
  with a fixed epoch for a feed without any date at all.
- RSS ``<author>`` needs an e-mail address: names go to ``dc:creator``, and
  per-item rights to ``dc:rights``.
- ``atom:source`` would carry only a title and a link, which RFC 4287 does not
  allow: it is never produced; the page an article was read from is a
  ``rel="via"`` link instead.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from urllib.parse import urlsplit

from feedgen.feed import FeedGenerator
from lxml import etree

from feeds.models import Article, Feed

Footer = Callable[[Article], str | None]
Format = Literal["rss", "atom"]

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
TAG_YEAR = 2026
GENERATOR = "feeds"
UNTITLED = "(untitled)"
MEDIA_TYPES: dict[Format, str] = {"rss": "application/rss+xml", "atom": "application/atom+xml"}

_ATOM = "{http://www.w3.org/2005/Atom}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# Characters XML 1.0 cannot carry at all; lxml refuses them.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# --------------------------------------------------------------------------- public


def render_rss(feed: Feed, *, base_url: str, footer: Footer | None = None) -> bytes:
    """The RSS 2.0 document of ``feed``, UTF-8 encoded."""
    generator = _generator(feed, _entries(feed, base_url, footer), base_url, "rss")
    data: bytes = generator.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return data


def render_atom(feed: Feed, *, base_url: str, footer: Footer | None = None) -> bytes:
    """The Atom 1.0 document of ``feed``, UTF-8 encoded."""
    entries = _entries(feed, base_url, footer)
    generator = _generator(feed, entries, base_url, "atom")
    data: bytes = generator.atom_str(pretty=False, encoding="UTF-8", xml_declaration=True)
    return _fix_atom(data, entries, feed.language)


def feed_url(base_url: str, slug: str, fmt: Format) -> str:
    """Where the ``fmt`` document of feed ``slug`` is served."""
    return f"{_base(base_url)}feeds/{slug}.{fmt}"


def last_change(feed: Feed) -> datetime | None:
    """``Feed.updated``, else the newest date any of its articles carries."""
    if feed.updated is not None:
        return _utc(feed.updated)
    dates = [
        _utc(moment)
        for article in feed.articles
        for moment in (article.updated, article.published, article.first_seen)
        if moment is not None
    ]
    return max(dates, default=None)


# --------------------------------------------------------------------------- entries


@dataclass(frozen=True)
class _Link:
    href: str
    rel: str  # alternate | via
    type: str = "text/html"


@dataclass(frozen=True)
class _Entry:
    """An article as both formats show it."""

    id: str
    title: str
    links: tuple[_Link, ...]
    updated: datetime
    published: datetime | None
    author: str | None
    summary: str
    content: str  # HTML, the footer included
    rights: str | None
    language: str | None
    categories: tuple[str, ...]


def _entries(feed: Feed, base_url: str, footer: Footer | None) -> list[_Entry]:
    host = _host(base_url)
    return [_entry(article, host, footer) for article in feed.articles]


def _entry(article: Article, host: str, footer: Footer | None) -> _Entry:
    link = article.link or article.origin_url
    links: list[_Link] = [_Link(link, "alternate")] if link else []
    for page in article.via:
        if page and page != link and all(page != known.href for known in links):
            links.append(_Link(page, "via"))
    content = article.content_html
    extra = footer(article) if footer is not None else None
    if extra:
        content += extra
    if not content and not link:
        # Atom wants content or an alternate link: show the summary (or the title) as the content.
        content = f"<p>{html.escape(article.summary or article.title, quote=False)}</p>"
    updated = article.updated or article.published or article.first_seen
    return _Entry(
        id=f"tag:{host},{TAG_YEAR}:article/{article.id}",
        title=article.title,
        links=tuple(links),
        updated=_utc(updated) if updated is not None else EPOCH,
        published=_utc(article.published) if article.published is not None else None,
        author=article.author or None,
        summary=article.summary,
        content=content,
        rights=article.rights or None,
        language=article.language or None,
        categories=article.categories,
    )


# --------------------------------------------------------------------------- feedgen


def _generator(feed: Feed, entries: Sequence[_Entry], base_url: str, fmt: Format) -> FeedGenerator:
    base = _base(base_url)
    fg = FeedGenerator()
    fg.load_extension("dc", atom=False, rss=True)
    fg.id(f"tag:{_host(base_url)},{TAG_YEAR}:feeds/{feed.slug}")
    fg.title(_text(feed.title) or feed.slug)
    if fmt == "atom" and feed.description:
        fg.subtitle(_text(feed.description))
    if fmt == "rss":
        fg.description(_text(feed.description) or _text(feed.title) or feed.slug)
    fg.author({"name": _text(feed.title) or feed.slug})
    if feed.language:
        fg.language(feed.language)
    fg.generator(GENERATOR)
    # Self first, alternate last: RSS takes the last link as the channel <link>.
    fg.link(href=feed_url(base_url, feed.slug, fmt), rel="self", type=MEDIA_TYPES[fmt])
    fg.link(href=base, rel="alternate", type="text/html")
    fg.updated(last_change(feed) or EPOCH)
    for entry in entries:
        _add(fg, entry, fmt)
    return fg


def _add(fg: FeedGenerator, entry: _Entry, fmt: Format) -> None:
    fe = fg.add_entry(order="append")
    fe.id(entry.id)  # also the RSS guid, isPermaLink="false"
    fe.title(_text(entry.title).strip() or UNTITLED)
    fe.updated(entry.updated)
    if entry.published is not None:
        fe.published(entry.published)
    for link in entry.links:
        fe.link(href=link.href, rel=link.rel, type=link.type)
    if fmt == "atom":
        if entry.summary:
            fe.summary(_text(entry.summary))
        if entry.author:
            fe.author({"name": _text(entry.author)})
        if entry.rights:
            fe.rights(_text(entry.rights))
    else:
        # description is HTML in RSS: the plain-text summary is escaped once more.
        if entry.summary:
            fe.description(html.escape(_text(entry.summary), quote=False), isSummary=True)
        if entry.author:
            fe.dc.dc_creator(_text(entry.author))
        if entry.rights:
            fe.dc.dc_rights(_text(entry.rights))
    if entry.content:
        fe.content(_text(entry.content), type="html")
    for term in entry.categories:
        fe.category(term=term)


# --------------------------------------------------------------------------- Atom fix-up


def _fix_atom(data: bytes, entries: Sequence[_Entry], feed_language: str | None) -> bytes:
    """Put back what feedgen drops from Atom entries: link attributes and xml:lang."""
    parser = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)
    root = etree.fromstring(data, parser)
    elements = root.findall(f"{_ATOM}entry")
    for element, entry in zip(elements, entries, strict=True):
        if element.findtext(f"{_ATOM}id") != entry.id:
            raise ValueError(f"atom entry out of order: expected {entry.id}")
        links = element.findall(f"{_ATOM}link")
        if [link.get("href") for link in links] != [link.href for link in entry.links]:
            raise ValueError(f"atom entry {entry.id}: links differ from the data")
        for link, data_link in zip(links, entry.links, strict=True):
            link.set("rel", data_link.rel)
            link.set("type", data_link.type)
        if entry.language and entry.language != feed_language:
            element.set(_XML_LANG, entry.language)
    out: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
    return out


# --------------------------------------------------------------------------- helpers


def _base(base_url: str) -> str:
    return base_url if base_url.endswith("/") else base_url + "/"


def _host(base_url: str) -> str:
    host = urlsplit(base_url).hostname
    if not host:
        raise ValueError(f"base_url has no host: {base_url!r}")
    return host


def _utc(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()} (expected an aware UTC time)")
    return moment.astimezone(UTC)


def _text(value: str) -> str:
    return _NOT_XML.sub("", value)
