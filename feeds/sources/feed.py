"""Feed source: the bytes of an RSS, Atom or JSON Feed document to ``FeedItem``s.

RSS 0.9x/1.0/2.0 and Atom 0.3/1.0 are read by feedparser, whose dictionaries
stay inside this module; JSON Feed 1.0/1.1 (a JSON object whose ``version``
starts with ``https://jsonfeed.org/version/``) is mapped here to the same items.

* The bytes are decoded once, by ``feeds.extract.encoding.decode``: a byte order
  mark, the transport's charset, the XML declaration, then detection; GB2312 is
  read as GB18030. feedparser then sees UTF-8.
* A DOCTYPE is defused before parsing (``feeds.sources.xmlsafe``); feedparser's
  strict parser never fetches external entities either.
* Item identity (``FeedItem.key``): the guid or id, else the link, else a hash
  of title and content; a key repeated within one feed gets ``#2``, ``#3``.
* Dates are aware UTC; a date written without a zone is read in the source's
  time zone.
* A feed feedparser found malformed (bozo) still gives what was recovered, and
  the reason goes to ``ParsedFeed.bozo_reason``. A document that is not a feed
  at all raises ``ParseError``.
"""

from __future__ import annotations

import calendar
import dataclasses
import hashlib
import html
import io
import json
import re
import time
import warnings
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, tzinfo
from typing import Any
from urllib.parse import urljoin
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import feedparser
from dateutil import parser as dateutil_parser
from feedparser.datetimes import _parse_date

from feeds.errors import ParseError
from feeds.extract.encoding import decode
from feeds.sources.items import Enclosure, FeedItem, ParsedFeed, Upstream
from feeds.sources.xmlsafe import declared_charset, defuse

__all__ = ["Enclosure", "FeedItem", "ParsedFeed", "Upstream", "parse_feed"]

MIN_YEAR = 1970  # an earlier date is a placeholder, not a date
JSON_FEED_VERSION = "https://jsonfeed.org/version/"
_XML_DECLARATION = re.compile(r"""^\s*<\?xml[^>]*?\?>""")
_TAGS = re.compile(r"<[^>]*>")


def parse_feed(
    content: bytes, *, url: str | None, charset: str | None = None, timezone: str = "Asia/Shanghai"
) -> ParsedFeed:
    """The feed in ``content`` (fetched from ``url``, with the transport's ``charset``).

    Raises ``ParseError`` when ``content`` is not a feed at all or is unsafe to parse.
    """
    where = url or "the document"
    try:
        zone: tzinfo = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ParseError(f"{where}: unknown time zone {timezone!r}") from exc
    text = decode(content, declared_charset(content, charset), html=False)
    if text.lstrip("\ufeff \t\r\n").startswith(("{", "[")):
        return _json_feed(text, url, zone, where)
    return _xml_feed(defuse(text, where), url, zone, where)


# --------------------------------------------------------------------------- RSS and Atom


def _xml_feed(text: str, url: str | None, zone: tzinfo, where: str) -> ParsedFeed:
    declaration = _XML_DECLARATION.match(text)
    if declaration is not None:
        text = text[: declaration.start()] + '<?xml version="1.0" encoding="utf-8"?>' + text[declaration.end() :]
    headers = {"content-type": "application/xml; charset=utf-8"}
    if url:
        headers["content-location"] = url
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = feedparser.parse(io.BytesIO(text.encode("utf-8")), response_headers=headers)
    bozo_reason = _bozo_reason(result)
    entries: list[Mapping[str, Any]] = list(result.get("entries", []))
    channel: Mapping[str, Any] = result.get("feed", {})
    if not entries and not result.get("version") and (bozo_reason or not channel):
        why = f" ({bozo_reason})" if bozo_reason else ""
        raise ParseError(f"{where}: not an RSS, Atom or JSON feed{why}")
    feed_link = _absolute(channel.get("link"), url)
    feed_updated = _date(channel, ("updated", "published"), zone)
    upstream = Upstream(
        feed_title=_text(channel, "title") or None,
        feed_url=_self_link(channel, url) or url,
        feed_id=channel.get("id") or None,
        feed_updated=feed_updated,
    )
    items = [_xml_item(entry, url, zone, upstream) for entry in entries]
    return ParsedFeed(
        title=_text(channel, "title"),
        link=feed_link,
        id=channel.get("id") or None,
        updated=feed_updated,
        items=_unique_keys(items),
        bozo_reason=bozo_reason,
        ttl_minutes=_length(channel.get("ttl")),
    )


def _xml_item(entry: Mapping[str, Any], url: str | None, zone: tzinfo, feed: Upstream) -> FeedItem:
    title = _text(entry, "title")
    link = _absolute(entry.get("link"), url)
    content_html = _content(entry)
    summary_html = _html_of(entry.get("summary_detail")) or ""
    content_html = content_html or summary_html
    guid = (entry.get("id") or "").strip()
    return FeedItem(
        key=guid or link or _hash_key(title, content_html),
        link=link,
        title=title,
        authors=_authors(entry),
        published=_date(entry, ("published",), zone),
        updated=_date(entry, ("updated",), zone),
        content_html=content_html,
        summary_html=summary_html,
        categories=_unique(t.get("term") or t.get("label") or "" for t in entry.get("tags") or ()),
        enclosures=tuple(_enclosures(entry, url)),
        upstream=_source(entry.get("source"), url, zone) or feed,
    )


def _bozo_reason(result: Mapping[str, Any]) -> str | None:
    if not result.get("bozo"):
        return None
    exc = result.get("bozo_exception")
    if exc is None:
        return "malformed feed"
    line = getattr(exc, "getLineNumber", None)
    where = f" at line {line()}" if callable(line) else ""
    message = getattr(exc, "getMessage", None)
    text = message() if callable(message) else str(exc)
    return f"{type(exc).__name__}: {text}{where}"


def _text(data: Mapping[str, Any], name: str) -> str:
    """A text construct as plain text (an HTML title loses its markup)."""
    value = str(data.get(name) or "")
    detail = data.get(f"{name}_detail") or {}
    if "html" in str(detail.get("type", "")):
        value = html.unescape(_TAGS.sub("", value))
    return value.strip()


def _html_of(detail: Mapping[str, Any] | None) -> str | None:
    if not detail:
        return None
    value = str(detail.get("value") or "")
    if not value.strip():
        return None
    if "html" in str(detail.get("type", "text/html")):
        return value.strip()
    return _text_to_html(value)


def _content(entry: Mapping[str, Any]) -> str | None:
    contents: list[Mapping[str, Any]] = list(entry.get("content") or [])
    contents.sort(key=lambda c: "html" not in str(c.get("type", "")))  # HTML first, stable otherwise
    for detail in contents:
        if (value := _html_of(detail)) is not None:
            return value
    return None


def _authors(entry: Mapping[str, Any]) -> tuple[str, ...]:
    names = [str(a.get("name") or a.get("email") or "") for a in entry.get("authors") or () if hasattr(a, "get")]
    if not any(names) and entry.get("author"):
        names = [str(entry["author"])]
    return _unique(names)


def _enclosures(entry: Mapping[str, Any], url: str | None) -> Iterable[Enclosure]:
    seen: set[str] = set()
    for enclosure in entry.get("enclosures") or ():
        href = _absolute(enclosure.get("href"), url)
        if href is None or href in seen:
            continue
        seen.add(href)
        yield Enclosure(href, enclosure.get("type") or None, _length(enclosure.get("length")))


def _source(source: Mapping[str, Any] | None, url: str | None, zone: tzinfo) -> Upstream | None:
    if not source:
        return None
    feed_url = _self_link(source, url) or _absolute(source.get("href") or source.get("link"), url)
    title = _text(source, "title") or None
    if not (title or feed_url or source.get("id")):
        return None
    return Upstream(
        feed_title=title,
        feed_url=feed_url,
        feed_id=source.get("id") or None,
        feed_updated=_date(source, ("updated", "published"), zone),
    )


def _self_link(data: Mapping[str, Any], url: str | None) -> str | None:
    for link in data.get("links") or ():
        if link.get("rel") == "self" and link.get("href"):
            return _absolute(link["href"], url)
    return None


def _date(data: Mapping[str, Any], names: tuple[str, ...], zone: tzinfo) -> datetime | None:
    """The first of ``names`` that holds a date, in UTC; a zone-less date is read in ``zone``."""
    for name in names:
        # dict.get: feedparser's own get answers "updated" with "published" when there is no updated.
        raw, parsed = dict.get(data, name), dict.get(data, f"{name}_parsed")  # type: ignore[call-overload]
        if (when := _read_date(raw, parsed, zone)) is not None:
            return when
    return None


def _read_date(raw: object, parsed: object, zone: tzinfo) -> datetime | None:
    """feedparser's reading of ``raw`` (``parsed``, zone-less read as UTC) with a zone-less date read in ``zone``.

    dateutil tells whether ``raw`` names a zone, and reads what feedparser could not (a zone-less RFC 822 date).
    """
    theirs = datetime.fromtimestamp(calendar.timegm(parsed), UTC) if isinstance(parsed, time.struct_time) else None
    mine: datetime | None = None
    if isinstance(raw, str) and raw.strip():
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                mine = dateutil_parser.parse(raw, default=datetime(1, 1, 1))
        except (ValueError, OverflowError, TypeError, LookupError):
            mine = None
    if mine is not None and mine.year < MIN_YEAR:
        mine = None
    if theirs is None:
        if mine is None:
            return None
        return (mine if mine.tzinfo else mine.replace(tzinfo=zone)).astimezone(UTC)
    if (
        mine is None
        or mine.tzinfo is not None
        or mine.replace(microsecond=0) != theirs.replace(tzinfo=None, microsecond=0)
    ):
        return theirs
    return theirs.replace(tzinfo=zone).astimezone(UTC)


# --------------------------------------------------------------------------- JSON Feed


def _json_feed(text: str, url: str | None, zone: tzinfo, where: str) -> ParsedFeed:
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"{where}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from exc
    version = document.get("version") if isinstance(document, dict) else None
    if not isinstance(version, str) or not version.startswith(JSON_FEED_VERSION):
        raise ParseError(f"{where}: JSON without a JSON Feed version ({JSON_FEED_VERSION}…)")
    entries = document.get("items", [])
    if not isinstance(entries, list):
        raise ParseError(f"{where}: JSON Feed 'items' is not a list")
    feed_url = _string(document.get("feed_url")) or url
    base = feed_url or url
    upstream = Upstream(
        feed_title=_string(document.get("title")) or None, feed_url=feed_url, feed_id=feed_url, feed_updated=None
    )
    feed_authors = _json_authors(document)
    items = [_json_item(e, base, zone, upstream, feed_authors) for e in entries if isinstance(e, dict)]
    return ParsedFeed(
        title=_string(document.get("title")),
        link=_absolute(_string(document.get("home_page_url")), base),
        id=feed_url,
        updated=None,
        items=_unique_keys(items),
    )


def _json_item(
    entry: Mapping[str, Any], base: str | None, zone: tzinfo, upstream: Upstream, feed_authors: tuple[str, ...]
) -> FeedItem:
    title = _string(entry.get("title")).strip()
    link = _absolute(_string(entry.get("url")) or _string(entry.get("external_url")), base)
    text = _string(entry.get("content_text"))
    content_html = _string(entry.get("content_html")).strip() or (_text_to_html(text) if text.strip() else "")
    summary = _string(entry.get("summary"))
    summary_html = _text_to_html(summary) if summary.strip() else ""
    content_html = content_html or summary_html
    identifier = entry.get("id")
    key = str(identifier).strip() if isinstance(identifier, str | int) and not isinstance(identifier, bool) else ""
    enclosures = []
    for attachment in _list(entry.get("attachments")):
        href = _absolute(_string(attachment.get("url")), base) if isinstance(attachment, dict) else None
        if href is not None:
            enclosures.append(
                Enclosure(href, _string(attachment.get("mime_type")) or None, _length(attachment.get("size_in_bytes")))
            )
    return FeedItem(
        key=key or link or _hash_key(title, content_html),
        link=link,
        title=title,
        authors=_json_authors(entry) or feed_authors,
        published=_json_date(entry.get("date_published"), zone),
        updated=_json_date(entry.get("date_modified"), zone),
        content_html=content_html,
        summary_html=summary_html,
        categories=_unique(_string(tag) for tag in _list(entry.get("tags"))),
        enclosures=tuple(enclosures),
        upstream=upstream,
    )


def _json_authors(data: Mapping[str, Any]) -> tuple[str, ...]:
    people = data.get("authors")
    if not isinstance(people, list):
        people = [data["author"]] if isinstance(data.get("author"), dict) else []
    return _unique(_string(p.get("name")) for p in people if isinstance(p, dict))


def _json_date(value: object, zone: tzinfo) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    return _read_date(value, _parse_date(value), zone)


# --------------------------------------------------------------------------- shared


def _unique_keys(items: list[FeedItem]) -> tuple[FeedItem, ...]:
    """The items, a key seen before in the feed suffixed with ``#2``, ``#3``…"""
    seen: Counter[str] = Counter()
    used = {item.key for item in items}
    result = []
    for item in items:
        seen[item.key] += 1
        if seen[item.key] > 1:
            number = seen[item.key]
            while f"{item.key}#{number}" in used:
                number += 1
            new_key = f"{item.key}#{number}"
            used.add(new_key)
            item = dataclasses.replace(item, key=new_key)
        result.append(item)
    return tuple(result)


def _hash_key(title: str, content: str) -> str:
    return "sha256:" + hashlib.sha256(f"{title}\n{content}".encode()).hexdigest()


def _absolute(link: object, base: str | None) -> str | None:
    if not isinstance(link, str) or not link.strip():
        return None
    link = link.strip()
    return urljoin(base, link) if base else link


def _length(value: object) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return value if value > 0 else None  # 0 stands for "unknown" in many feeds
    if isinstance(value, str) and value.strip().isdigit():
        return _length(int(value.strip()))
    return None


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _string(value: object) -> str:
    return value if isinstance(value, str) else ""


def _unique(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(v.strip() for v in values if v and v.strip()))


def _text_to_html(text: str) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(f"<p>{html.escape(p).replace(chr(10), '<br>')}</p>" for p in paragraphs)
