"""JSON Feed 1.1 documents (https://jsonfeed.org/version/1.1) of one feed.

Items carry the same ids, titles, links, dates, authors and tags as the RSS
and Atom documents of the feed (all three render from ``entries``). The
layout is that of ``json.dumps(..., ensure_ascii=False, indent=2)``, keys keep
a fixed order and dates come from the data, so the same feed always gives the
same bytes. What JSON Feed has no field for goes to the ``_feeds`` extension
object: an item's ``rights``, ``via`` (the pages it was read from) and
``source`` (the upstream feed it came through).

Older items are reached the JSON Feed way, through ``next_url``: the
subscription document of a feed with archive pages (see
``feeds.publish.archive``) points to the newest page, each page to the next
older one, and the oldest page has none. An archive page keeps the
subscription document's ``feed_url`` (the feed's identity) and says what it
is in its own ``_feeds`` object: ``archive`` (true), ``page_url`` (where the
page is served) and ``newer_url`` (the next newer page, on every page but the
newest).
"""

from __future__ import annotations

import functools
import html
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from feeds.models import Feed
from feeds.publish.entries import Entry, Footer, Paging, clean, entries, feed_url, site_base

VERSION = "https://jsonfeed.org/version/1.1"
EXTENSION = "_feeds"

_string: Callable[[str], str] = json.encoder.encode_basestring


def render_json(
    feed: Feed,
    *,
    base_url: str,
    footer: Footer | None = None,
    hub: str | None = None,
    items: Sequence[Entry] | None = None,
    paging: Paging | None = None,
) -> bytes:
    """The JSON Feed 1.1 document of ``feed``, UTF-8 encoded, ending with a newline.

    ``hub`` adds a WebSub hub; ``items`` are the feed's entries when the caller
    already computed them (``entries(feed, base_url, footer)``). ``paging``
    gives the archive links, as for ``render_atom``: its ``prev_archive`` (the
    next older page) becomes ``next_url``; with ``archive`` set the document
    is that archive page.
    """
    found = list(items) if items is not None else entries(feed, base_url, footer)
    title = clean(feed.title) or feed.slug
    archive = paging if paging is not None and paging.archive else None
    document: dict[str, Any] = {
        "version": VERSION,
        "title": title,
        "home_page_url": site_base(base_url),
        "feed_url": (archive.current if archive is not None else None) or feed_url(base_url, feed.slug, "json"),
    }
    if feed.description:
        document["description"] = clean(feed.description)
    if paging is not None and paging.prev_archive:
        document["next_url"] = paging.prev_archive
    if feed.icon:
        document["icon"] = feed.icon
    document["authors"] = [{"name": title}]  # as in Atom: the author of the items that name none
    if feed.language:
        document["language"] = feed.language
    if hub:
        document["hubs"] = [{"type": "WebSub", "url": hub}]
    if archive is not None:
        page: dict[str, Any] = {"archive": True, "page_url": archive.self_url}
        if archive.next_archive:
            page["newer_url"] = archive.next_archive
        document[EXTENSION] = page
    document["items"] = [_item(entry) for entry in found]
    return (_dump(document, 0) + "\n").encode("utf-8")


def _item(entry: Entry) -> dict[str, Any]:
    item: dict[str, Any] = {"id": entry.id}
    url = entry.url
    if url:
        item["url"] = url
    if entry.origin_url and entry.origin_url != url:
        item["external_url"] = entry.origin_url
    item["title"] = entry.title
    # JSON Feed requires content_html or content_text: an item without a body shows its summary or title.
    item["content_html"] = entry.content or f"<p>{html.escape(entry.summary or entry.title, quote=False)}</p>"
    if entry.summary:
        item["summary"] = entry.summary
    if entry.published is not None:
        item["date_published"] = _date(entry.published)
    if entry.modified is not None:
        item["date_modified"] = _date(entry.modified)
    if entry.author:
        item["authors"] = [{"name": entry.author}]
    if entry.categories:
        item["tags"] = list(entry.categories)
    if entry.language:
        item["language"] = entry.language
    extension: dict[str, Any] = {}
    if entry.rights:
        extension["rights"] = entry.rights
    if entry.via:
        extension["via"] = list(entry.via)
    if entry.upstream is not None:
        upstream = entry.upstream
        source = {"id": upstream.id, "title": upstream.title, "feed_url": upstream.url}
        if upstream.updated is not None:
            source["updated"] = _date(upstream.updated)
        extension["source"] = {key: value for key, value in source.items() if value}
    if extension:
        item[EXTENSION] = extension
    return item


def _dump(value: Any, level: int) -> str:
    """``json.dumps(value, ensure_ascii=False, indent=2)``, several times faster.

    With ``indent`` the standard encoder runs in pure Python; here only the
    nesting does, and strings (most values) go straight to the C string encoder.
    """
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is dict:
        if not value:
            return "{}"
        inner, sub = _indent(level + 1), level + 1
        members = [
            f"{inner}{_string(key)}: {_string(item) if type(item) is str else _dump(item, sub)}"
            for key, item in value.items()
        ]
        return "{" + ",".join(members) + _indent(level) + "}"
    if kind is list or kind is tuple:
        if not value:
            return "[]"
        inner, sub = _indent(level + 1), level + 1
        members = [inner + (_string(item) if type(item) is str else _dump(item, sub)) for item in value]
        return "[" + ",".join(members) + _indent(level) + "]"
    return json.dumps(value)


@functools.cache
def _indent(level: int) -> str:
    return "\n" + "  " * level


def _date(moment: datetime) -> str:
    """RFC 3339, as in the Atom document."""
    return moment.isoformat()
