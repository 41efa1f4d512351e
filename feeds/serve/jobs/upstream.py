"""Feed sources: the entries of a due feed, and reading a file or URL without storing it."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from feeds.config import Settings
from feeds.errors import FeedsError, FetchError
from feeds.extract import extract, extract_entry
from feeds.fetch import (
    Fetcher,
    FetchPolicy,
    FetchResult,
    Validators,
)
from feeds.models import Article, Extracted, RawItem, Source, SourceState
from feeds.normalize import normalize
from feeds.serve.jobs.polling import Intervals, Listed, answered, failed, observed_interval, started
from feeds.serve.jobs.reports import Document, SourceReport
from feeds.sources import capture
from feeds.sources.feed import FeedItem, parse_feed
from feeds.store import Store

log = logging.getLogger(__name__)


def feed_documents(
    settings: Settings,
    store: Store,
    fetcher: Fetcher,
    source: Source,
    now: datetime,
    result: SourceReport,
    listed: Listed,
) -> Iterator[Document]:
    """The entries of a feed source, fetched politely; the source's state is saved either way.

    ``listed`` looks an entry up among the documents already processed (a new entry of a
    ``full_text`` source has its page read).
    """
    state = started(store, source, now)
    last_ok = state.last_ok_at
    try:
        result.url = state.url or (source.path.as_uri() if source.path is not None else None)
        fetched = _fetch(fetcher, source, state)
        result.url, result.status = fetched.final_url, fetched.status
        if fetched.status == "gone":
            store.save_source_state(answered(source, state, fetched, now))
            result.note = "gone (HTTP 410)"
            return
        parsed = (
            parse_feed(fetched.content, url=fetched.final_url, charset=fetched.charset, timezone=source.timezone)
            if fetched.status == "ok"
            else None
        )
    except FeedsError as exc:
        result.status = "error"
        failed(store, source, state, now, exc)
        raise
    observed = None
    if source.adaptive and parsed is not None:
        usual = Intervals.of(source).usual
        observed = observed_interval([i.published for i in parsed.items if i.published], fallback=usual)
    state = answered(
        source,
        state,
        fetched,
        now,
        interval=observed,
        ttl_minutes=parsed.ttl_minutes if parsed is not None else None,
    )
    if parsed is None:
        store.save_source_state(state)
        listed.carry(last_ok)  # not modified: it lists what it listed then
        result.note = fetched.status
        return
    state = replace(state, parse_warning=parsed.bozo_reason)
    for item in parsed.items:
        if source.full_text and item.link and listed(item.key) is None:
            yield item.key, _item_hash(item), lambda item=item: full_text(settings, fetcher, source, item)  # type: ignore[misc]
        else:
            yield item.key, _item_hash(item), lambda item=item: entry_of(item)  # type: ignore[misc]
    # Saved once every entry is stored: a run cut short (a crash, a stop) keeps the old
    # validators, so the next run reads the whole feed again and stores what was missed.
    store.save_source_state(state)


def full_text(settings: Settings, fetcher: Fetcher, source: Source, item: FeedItem) -> Extracted:
    """A new entry of a summary-only feed: the article read from its page (with its site's rules), dated and
    titled by the entry.

    When the page cannot be fetched or holds no article, the entry's own content stands in.
    """
    entry = entry_of(item)
    assert item.link is not None
    try:
        fetched = fetcher.fetch(item.link)
        page = extract(
            RawItem(
                source_id=source.id,
                key=item.key,
                content=fetched.content,
                content_hash=hashlib.sha256(fetched.content).hexdigest(),
                media_type=fetched.media_type or "text/html",
                url=fetched.final_url,
                charset=fetched.charset,
            ),
            settings.rules_for(source, fetched.final_url),
        )
    except FeedsError as exc:
        log.warning("full text unavailable", extra={"source_id": source.id, "url": item.link, "error": str(exc)})
        return entry
    if not page.blocks:
        return entry
    return replace(page, title=entry.title or page.title, meta={**page.meta, **entry.meta}, url=entry.url)


def _fetch(fetcher: Fetcher, source: Source, state: SourceState) -> FetchResult:
    """Fetch the feed's URL, or read its local file (with the same body-hash skip)."""
    validators = Validators(state.etag, state.last_modified, state.body_hash)
    if source.url is not None:
        return fetcher.fetch(state.url or source.url, validators)
    assert source.path is not None
    try:
        content = source.path.read_bytes()
    except OSError as exc:
        raise FetchError(f"source {source.id!r}: cannot read {source.path}: {exc.strerror or exc}") from exc
    body_hash = hashlib.sha256(content).hexdigest()
    url = source.path.as_uri()
    return FetchResult(
        status="unchanged" if body_hash == state.body_hash else "ok",
        url=url,
        final_url=url,
        permanent_url=None,
        content=content,
        charset=None,
        media_type=None,
        validators=Validators(None, None, body_hash),
        retry_after=None,
        max_age=None,
        http_status=0,  # read from disk: no HTTP status
        elapsed=0.0,
    )


FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json", ".feed")


def parse_document(settings: Settings, target: str, source: Source, *, now: datetime | None = None) -> list[Article]:
    """Normalized articles of one capture file, feed file or URL (page or feed), stored nowhere."""
    moment = now or datetime.now(UTC)
    if target.startswith(("http://", "https://")):
        with Fetcher(FetchPolicy.from_settings(settings.fetch)) as fetcher:
            fetched = fetcher.fetch(target)
        media_type = (fetched.media_type or "").lower()
        if media_type in ("text/html", "application/xhtml+xml") or media_type.startswith("text/plain"):
            raw = RawItem(
                source_id=source.id,
                key=fetched.final_url,
                content=fetched.content,
                content_hash=hashlib.sha256(fetched.content).hexdigest(),
                media_type=media_type,
                url=fetched.final_url,
                charset=fetched.charset,
            )
            return [normalize(extract(raw, settings.rules_for(source, raw.url)), source, settings, now=moment)]
        content, url, charset = fetched.content, fetched.final_url, fetched.charset
    else:
        path = Path(target)
        if path.suffix.lower() not in FEED_SUFFIXES:
            return [normalize(extract(capture.read_file(path)), source, settings, now=moment)]
        try:
            content = path.read_bytes()
        except OSError as exc:
            raise FetchError(f"cannot read {path}: {exc.strerror or exc}") from exc
        url, charset = path.resolve().as_uri(), None
    parsed = parse_feed(content, url=url, charset=charset, timezone=source.timezone)
    return [normalize(entry_of(item), source, settings, now=moment) for item in parsed.items]


def _item_hash(item: FeedItem) -> str:
    parts = (
        item.title,
        item.link or "",
        item.content_html,
        *(d.isoformat() if d else "" for d in (item.published, item.updated)),
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def entry_of(item: FeedItem) -> Extracted:
    meta = {
        "published": item.published.isoformat() if item.published else "",
        "updated": item.updated.isoformat() if item.updated else "",
        "author": ", ".join(item.authors),
        "categories": ",".join(item.categories),
        "source": item.upstream.feed_title or "",
        "upstream_title": item.upstream.feed_title or "",
        "upstream_url": item.upstream.feed_url or "",
        "upstream_id": item.upstream.feed_id or "",
        "upstream_updated": item.upstream.feed_updated.isoformat() if item.upstream.feed_updated else "",
    }
    return extract_entry(item.content_html or item.summary_html, title=item.title, url=item.link, meta=meta)
