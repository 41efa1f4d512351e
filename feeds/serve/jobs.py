"""The jobs that wire the stages together: ingest sources, publish feeds.

This is the only module that calls every stage::

    capture.scan ──────────────► extract ──────► normalize ─► store.upsert ─► publish
    fetch ─► feed.parse_feed ──► extract_entry ─┤
    fetch ─► page.parse_list ──► fetch, extract ┘  (with the site's rules)

A failure of one document is logged and recorded, never stops the others; a
failure of one source never stops the other sources. Feed and page sources are
fetched only when due (``next_check_at`` in the store), with conditional GET,
and back off after errors; page sources obey robots.txt. ``dry_run`` reads a
source without storing anything (``run.py sources test``).
"""

from __future__ import annotations

import hashlib
import html
import logging
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import NamedTuple

from feeds.config import Settings
from feeds.errors import ConfigError, FeedsError, FetchError, StoreError
from feeds.extract import extract, extract_entry
from feeds.extract.rules import rule_date
from feeds.fetch import (
    Disallowed,
    Fetcher,
    FetchPolicy,
    FetchResult,
    RetryLater,
    StatusError,
    Validators,
    backoff,
    next_check,
    observed_interval,
)
from feeds.models import Article, Extracted, Feed, Precision, RawItem, Source, SourceKind, SourceState
from feeds.normalize import normalize
from feeds.normalize.dates import parse_date
from feeds.publish import publish
from feeds.robots import RobotsCache
from feeds.sources import capture
from feeds.sources.feed import FeedItem, parse_feed
from feeds.sources.page import ListLink, parse_list
from feeds.store import PruneResult, Store

log = logging.getLogger(__name__)


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
    seconds: float = 0.0  # how long its run took


@dataclass
class IngestReport:
    sources: list[SourceReport] = field(default_factory=list)
    dirty: set[str] = field(default_factory=set)  # categories whose feeds changed

    @property
    def ok(self) -> bool:
        return all(r.error is None for r in self.sources)


def ingest(
    settings: Settings,
    store: Store,
    *,
    source_ids: Iterable[str] | None = None,
    now: datetime | None = None,
    on_source: Callable[[SourceReport, int, int], None] | None = None,
    stop: threading.Event | None = None,
    robots: RobotsCache | None = None,
) -> IngestReport:
    """Run the due sources once, or the ones named (due or not), and store what changed.

    Capture folders are scanned every time. Every other enabled source runs
    when due: it is claimed in the store first (``Store.claim``), so a source
    runs once however many ticks or processes look, and a restart resumes with
    the sources that are due. Up to ``[schedule] concurrency`` sources run at
    once; writes to the store are taken one at a time. ``on_source(report,
    done, total)`` is called as each source finishes. The reports come back in
    the order of the configuration either way.

    Once ``stop`` is set, no further source starts; the running ones get
    ``STOP_GRACE`` seconds to finish, then are abandoned (each article is
    stored in a transaction of its own, so an abandoned source leaves no half
    write). The claims of the sources that did not finish are released, so
    they are due again at once. ``robots`` keeps robots.txt across runs (the
    service passes one for its lifetime); without it, each run reads it anew.
    """
    moment = now or datetime.now(UTC)
    wanted = set(source_ids) if source_ids is not None else None
    report = IngestReport()
    until = moment + CLAIM_LEASE
    if wanted is not None:
        chosen = [s for s in settings.sources if s.id in wanted]
        skipped: dict[str, SourceReport] = {}
    else:
        enabled = [s for s in settings.sources if s.enabled]
        scheduled = [s.id for s in enabled if s.kind is not SourceKind.CAPTURE]
        claimed = set(store.claim(scheduled, now=moment, until=until))
        chosen = [s for s in enabled if s.kind is SourceKind.CAPTURE or s.id in claimed]
        skipped = {i: _not_due(store, i) for i in scheduled if i not in claimed}
    run = _Run(settings, store, moment, report.dirty, stop or threading.Event())
    results: dict[str, SourceReport] = {}
    fetcher = Fetcher(FetchPolicy.from_settings(settings.fetch), robots=robots)
    pool = ThreadPoolExecutor(max(1, min(settings.schedule.concurrency, len(chosen))), thread_name_prefix="ingest")
    abandoned = False
    try:
        pending = {pool.submit(_ingest_source, run, fetcher, source, force=True) for source in chosen}
        stopping: float | None = None
        while pending:
            finished, pending = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
            for future in finished:
                result = future.result()
                results[result.source_id] = result
                if on_source is not None:
                    on_source(result, len(results), len(chosen))
            if pending and run.stop.is_set():
                stopping = stopping if stopping is not None else time.monotonic()
                abandoned = time.monotonic() - stopping >= STOP_GRACE
                if abandoned:
                    break
    finally:
        pool.shutdown(wait=not abandoned, cancel_futures=True)
        if not abandoned:
            fetcher.close()
    unfinished = [s.id for s in chosen if s.id not in results or not results[s.id].ran]
    if unfinished:
        store.release(unfinished, until=until)
        log.warning("sources left for the next run", extra={"items": len(unfinished), "sources": ",".join(unfinished)})
        for source_id in unfinished:
            results.setdefault(source_id, SourceReport(source_id, note="abandoned at stop", ran=False))
    results.update(skipped)
    report.sources = [results[s.id] for s in settings.sources if s.id in results]
    return report


CLAIM_LEASE = timedelta(minutes=15)  # a claimed source whose run never saved its state is due again after this
STOP_GRACE = 5.0  # seconds the running sources get to finish once a stop is asked for


@dataclass
class _Run:
    """What the sources of one ingest share; ``write`` serializes their writes to the store."""

    settings: Settings
    store: Store
    now: datetime
    dirty: set[str]
    stop: threading.Event
    write: threading.Lock = field(default_factory=threading.Lock)


def _not_due(store: Store, source_id: str) -> SourceReport:
    state = store.source_state(source_id)
    if state.gone:
        return SourceReport(source_id, note="gone (HTTP 410): fetched again only with --source", ran=False)
    when = state.next_check_at.isoformat() if state.next_check_at is not None else "later"
    return SourceReport(source_id, note=f"not due until {when}", ran=False)


# A document ready for extraction: its key within the source, its content hash, and how to read it.
_Document = tuple[str, str, Callable[[], Extracted]]


def _ingest_source(run: _Run, fetcher: Fetcher, source: Source, *, force: bool) -> SourceReport:
    settings, store, now = run.settings, run.store, run.now
    if run.stop.is_set():
        return SourceReport(source.id, note="not run: stopping", ran=False)
    result = SourceReport(source.id)
    started = time.monotonic()
    try:
        if source.kind is SourceKind.CAPTURE:
            documents: Iterable[_Document] = (
                (raw.key, raw.content_hash, lambda raw=raw: extract(raw))  # type: ignore[misc]
                for raw in capture.scan(source, lambda key: store.seen(source.id, key))
            )
        elif source.kind is SourceKind.FEED:
            documents = _feed_documents(store, fetcher, source, now, result, force=force)
        elif source.kind is SourceKind.PAGE:
            documents = _page_documents(settings, store, fetcher, source, now, result, force=force)
        else:
            raise FetchError(f"source {source.id!r}: kind {source.kind.value!r} is not supported yet")
        for key, content_hash, read in documents:
            if store.seen(source.id, key) == content_hash:
                result.unchanged += 1
                continue
            try:
                article = normalize(read(), source, settings, now=now)
                with run.write:
                    outcome = store.upsert(article, now=now)
                    store.mark_seen(source.id, key, content_hash, outcome.article_id, now)
                    run.dirty.update(outcome.categories)
            except StoreError:
                raise  # the database failed, not the document: the source stops and the document is read again
            except FeedsError as exc:
                result.failed += 1
                store.mark_seen(source.id, key, content_hash, None, now)
                log.warning("document failed", extra={"source_id": source.id, "path": key, "error": str(exc)})
                continue
            if outcome.status == "new":
                result.new += 1
            elif outcome.status == "unchanged":
                result.unchanged += 1
            else:
                result.updated += 1
    except FeedsError as exc:
        result.error = str(exc)
        log.error("source failed", extra={"source_id": source.id, "error": result.error})
    result.seconds = time.monotonic() - started
    log.info(
        "source ingested",
        extra={
            "source_id": source.id,
            "new": result.new,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "failed": result.failed,
            "duration_ms": round(result.seconds * 1000),
        },
    )
    return result


def _feed_documents(
    store: Store, fetcher: Fetcher, source: Source, now: datetime, result: SourceReport, *, force: bool
) -> Iterator[_Document]:
    """The entries of a feed source that is due, fetched politely; the source's state is saved either way."""
    state = store.source_state(source.id)
    if state.gone and not force:
        result.note = "gone (HTTP 410): fetched again only with --source"
        return
    if not force and state.next_check_at is not None and state.next_check_at > now:
        result.note = f"not due until {state.next_check_at.isoformat()}"
        return
    interval = timedelta(minutes=source.interval_minutes)
    shortest, longest = timedelta(minutes=source.min_interval_minutes), timedelta(minutes=source.max_interval_minutes)
    state = replace(state, last_fetch_at=now, url=state.url or source.url)
    try:
        fetched = _fetch(fetcher, source, state)
        if fetched.status == "gone":
            store.save_source_state(replace(state, gone=True, last_status="gone", last_error=None, failures=0))
            result.note = "gone (HTTP 410)"
            return
        parsed = (
            parse_feed(fetched.content, url=fetched.final_url, charset=fetched.charset, timezone=source.timezone)
            if fetched.status == "ok"
            else None
        )
    except FeedsError as exc:
        failures = state.failures + 1
        wait = timedelta(seconds=backoff(failures, base=interval.total_seconds(), max_interval=longest.total_seconds()))
        retry_after = exc.retry_after if isinstance(exc, RetryLater) else None
        due = next_check(now, interval=wait, min_interval=shortest, max_interval=longest, retry_after=retry_after)
        store.save_source_state(
            replace(state, last_status="error", last_error=str(exc), failures=failures, next_check_at=due)
        )
        raise
    state = replace(
        state,
        url=fetched.permanent_url or state.url,
        etag=fetched.validators.etag,
        last_modified=fetched.validators.last_modified,
        body_hash=fetched.validators.body_hash,
        last_ok_at=now,
        last_status=fetched.status,
        last_error=None,
        failures=0,
        gone=False,
        parse_warning=parsed.bozo_reason if parsed is not None else state.parse_warning,
        next_check_at=next_check(
            now,
            interval=observed_interval([i.published for i in parsed.items if i.published], fallback=interval)
            if source.adaptive and parsed is not None
            else interval,
            min_interval=shortest,
            max_interval=longest,
            ttl_minutes=parsed.ttl_minutes if parsed is not None else None,
            max_age=fetched.max_age,
        ),
    )
    if parsed is None:
        store.save_source_state(state)
        result.note = fetched.status
        return
    for item in parsed.items:
        if source.full_text and item.link and store.seen(source.id, item.key) is None:
            yield item.key, _item_hash(item), lambda item=item: _full_text(fetcher, source, item)  # type: ignore[misc]
        else:
            yield item.key, _item_hash(item), lambda item=item: _entry(item)  # type: ignore[misc]
    # Saved once every entry is stored: a run cut short (a crash, a stop) keeps the old
    # validators, so the next run reads the whole feed again and stores what was missed.
    store.save_source_state(state)


def _page_documents(
    settings: Settings,
    store: Store,
    fetcher: Fetcher,
    source: Source,
    now: datetime,
    result: SourceReport,
    *,
    force: bool,
) -> Iterator[_Document]:
    """The new articles of a page source that is due: its list pages walked, each unseen article fetched.

    The first list page is fetched with conditional GET; when it did not change,
    nothing else is. Later pages are read while the one before listed an
    unseen article (all of them on a first run, and after article errors), up
    to ``max_pages``. Every request obeys robots.txt and the
    source's ``min_delay``. An article that robots.txt disallows, or that answers
    404 or 410, is marked seen and never fetched again (a 404 counts as failed);
    other article errors are retried at the next run, whose list page is then
    read in full. List-page errors back off like a feed's.
    """
    assert source.listing is not None and source.url is not None
    state = store.source_state(source.id)
    if state.gone and not force:
        result.note = "gone (HTTP 410): fetched again only with --source"
        return
    if not force and state.next_check_at is not None and state.next_check_at > now:
        result.note = f"not due until {state.next_check_at.isoformat()}"
        return
    listing = source.listing
    interval = timedelta(minutes=source.interval_minutes)
    shortest, longest = timedelta(minutes=source.min_interval_minutes), timedelta(minutes=source.max_interval_minutes)
    full = not (state.etag or state.last_modified or state.body_hash)  # first run, or articles to retry
    state = replace(state, last_fetch_at=now, url=state.url or source.url)
    list_url = state.url or source.url
    try:
        fetched = fetcher.fetch(
            list_url,
            Validators(state.etag, state.last_modified, state.body_hash),
            robots=True,
            min_delay=listing.min_delay,
        )
        page = (
            parse_list(fetched.content, fetched.final_url, fetched.charset, listing) if fetched.status == "ok" else None
        )
    except FeedsError as exc:
        failures = state.failures + 1
        wait = timedelta(seconds=backoff(failures, base=interval.total_seconds(), max_interval=longest.total_seconds()))
        retry_after = exc.retry_after if isinstance(exc, RetryLater) else None
        due = next_check(now, interval=wait, min_interval=shortest, max_interval=longest, retry_after=retry_after)
        store.save_source_state(
            replace(state, last_status="error", last_error=str(exc), failures=failures, next_check_at=due)
        )
        raise
    gone = fetched.status == "gone"
    state = replace(
        state,
        url=fetched.permanent_url or state.url,
        etag=fetched.validators.etag,
        last_modified=fetched.validators.last_modified,
        body_hash=fetched.validators.body_hash,
        last_ok_at=now,
        last_status="gone" if gone else fetched.status,
        last_error=None,
        failures=0,
        gone=gone,
        next_check_at=next_check(
            now, interval=interval, min_interval=shortest, max_interval=longest, max_age=fetched.max_age
        ),
    )
    store.save_source_state(state)
    if page is None:
        result.note = "gone (HTTP 410)" if gone else fetched.status
        return
    retry = False
    disallowed = 0
    visited = [page.url]
    while True:
        unseen = [link for link in page.links if store.seen(source.id, link.url) is None]
        for link in unseen:
            outcome = _page_article(fetcher, source, link)
            if isinstance(outcome, RawItem):
                yield link.url, outcome.content_hash, partial(_listed, settings, source, outcome, link, now)
            elif outcome.kind == "disallowed":
                disallowed += 1
                store.mark_seen(source.id, link.url, "disallowed", None, now)
            elif outcome.kind == "missing":
                result.failed += 1
                store.mark_seen(source.id, link.url, "missing", None, now)
            else:
                result.failed += 1
                retry = True
        if (not unseen and not full) or page.next_url is None or len(visited) >= listing.max_pages:
            break
        try:
            more = fetcher.fetch(page.next_url, robots=True, min_delay=listing.min_delay)
            page = parse_list(
                more.content, more.final_url, more.charset, listing, page=len(visited) + 1, visited=tuple(visited)
            )
        except FeedsError as exc:
            log.warning("list page failed", extra={"source_id": source.id, "url": page.next_url, "error": str(exc)})
            break
        visited.append(page.url)
    if disallowed:
        result.note = f"{disallowed} article(s) disallowed by robots.txt"
    if retry:  # read the list in full next time, so the failed articles are tried again
        store.save_source_state(replace(state, etag=None, last_modified=None, body_hash=None))


class _Missed(NamedTuple):
    """Why a listed article has no page: ``disallowed`` (robots.txt), ``missing`` (404, 410) or ``error``."""

    kind: str
    reason: str


def _page_article(fetcher: Fetcher, source: Source, link: ListLink) -> RawItem | _Missed:
    """The page of one listed article, or why there is none."""
    assert source.listing is not None
    where = {"source_id": source.id, "url": link.url}
    try:
        fetched = fetcher.fetch(link.url, robots=True, min_delay=source.listing.min_delay)
    except Disallowed as exc:
        if exc.temporary:  # robots.txt unreadable: tried again at the next run
            log.warning("article failed", extra={**where, "error": str(exc)})
            return _Missed("error", str(exc))
        log.info("article disallowed by robots.txt", extra={**where, "error": str(exc)})
        return _Missed("disallowed", "disallowed by robots.txt")
    except StatusError as exc:
        log.warning("article failed", extra={**where, "error": str(exc)})
        return _Missed("missing" if exc.status in (404, 410) else "error", f"HTTP {exc.status}")
    except FeedsError as exc:
        log.warning("article failed", extra={**where, "error": str(exc)})
        return _Missed("error", str(exc))
    if fetched.status == "gone":
        log.warning("article gone (HTTP 410)", extra=where)
        return _Missed("missing", "HTTP 410")
    return RawItem(
        source_id=source.id,
        key=link.url,
        content=fetched.content,
        content_hash=hashlib.sha256(fetched.content).hexdigest(),
        media_type=fetched.media_type or "text/html",
        url=fetched.final_url,
        charset=fetched.charset,
    )


def _listed(settings: Settings, source: Source, raw: RawItem, link: ListLink, now: datetime) -> Extracted:
    """A listed article read with its site's rules; the list's title and date stand in for missing ones.

    A zone-less date of a site whose rules name a time zone is read in that zone.
    """
    rules = settings.rules_for(source, raw.url or link.url)
    page = extract(raw, rules)
    meta = dict(page.meta)
    if not meta.get("published") and link.date:
        meta["published"] = rule_date(link.date, rules) if rules is not None else link.date
    if rules is not None and rules.timezone and rules.timezone != source.timezone and meta.get("published"):
        found = parse_date(meta["published"], rules.timezone, now=now)
        if found is not None and found.precision is Precision.SECOND:
            meta["published"] = found.when.isoformat()
        elif found is not None and found.precision is Precision.MINUTE:
            meta["published"] = found.when.strftime("%Y-%m-%dT%H:%M+00:00")
    return replace(page, title=page.title or link.title, meta=meta)


@dataclass(frozen=True)
class Preview:
    """One article of a dry run: what would be stored, or why nothing would be."""

    url: str
    article: Article | None = None
    error: str | None = None


@dataclass(frozen=True)
class DryRun:
    """What ``dry_run`` read: the first list page (or feed), and its first articles."""

    source: Source
    url: str  # the list page or feed read
    links: tuple[ListLink, ...]  # every article it lists, in its order
    next_url: str | None  # the next list page
    articles: tuple[Preview, ...]


def dry_run(settings: Settings, source_id: str, *, limit: int = 3, now: datetime | None = None) -> DryRun:
    """Read a page or feed source's first list page (or feed) and its first ``limit`` articles, store nothing.

    Articles are fetched whether seen before or not, with robots.txt and the
    source's delay obeyed; each is extracted with its site's rules and
    normalized. The tool for writing a site's rules.
    """
    source = settings.source(source_id)
    moment = now or datetime.now(UTC)
    if source.kind is SourceKind.CAPTURE or source.url is None:
        raise ConfigError(
            f"source {source_id!r} is a {source.kind.value} source without a URL: only page and feed sources can be "
            "tested",
            file="sources.toml",
        )
    previews: list[Preview] = []
    with Fetcher(FetchPolicy.from_settings(settings.fetch)) as fetcher:
        if source.listing is None:
            fetched = fetcher.fetch(source.url)
            feed = parse_feed(fetched.content, url=fetched.final_url, charset=fetched.charset, timezone=source.timezone)
            links = tuple(ListLink(url=i.link or i.key, title=i.title) for i in feed.items)
            for item in feed.items[:limit]:
                entry = (
                    partial(_full_text, fetcher, source, item)
                    if source.full_text and item.link
                    else partial(_entry, item)
                )
                previews.append(_preview(settings, source, item.link or item.key, entry, moment))
            return DryRun(source, fetched.final_url, links, None, tuple(previews))
        fetched = fetcher.fetch(source.url, robots=True, min_delay=source.listing.min_delay)
        page = parse_list(fetched.content, fetched.final_url, fetched.charset, source.listing)
        for link in page.links[:limit]:
            outcome = _page_article(fetcher, source, link)
            if isinstance(outcome, RawItem):
                read = partial(_listed, settings, source, outcome, link, moment)
                previews.append(_preview(settings, source, link.url, read, moment))
            else:
                previews.append(Preview(link.url, error=outcome.reason))
    return DryRun(source, page.url, page.links, page.next_url, tuple(previews))


def _preview(settings: Settings, source: Source, url: str, read: Callable[[], Extracted], now: datetime) -> Preview:
    try:
        return Preview(url, article=normalize(read(), source, settings, now=now))
    except FeedsError as exc:
        return Preview(url, error=str(exc))


def _full_text(fetcher: Fetcher, source: Source, item: FeedItem) -> Extracted:
    """A new entry of a summary-only feed: the article read from its page, dated and titled by the entry.

    When the page cannot be fetched or holds no article, the entry's own content stands in.
    """
    entry = _entry(item)
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
            )
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
            return [normalize(extract(raw), source, settings, now=moment)]
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
    return [normalize(_entry(item), source, settings, now=moment) for item in parsed.items]


def _item_hash(item: FeedItem) -> str:
    parts = (
        item.title,
        item.link or "",
        item.content_html,
        *(d.isoformat() if d else "" for d in (item.published, item.updated)),
    )
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def _entry(item: FeedItem) -> Extracted:
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


def build(settings: Settings, store: Store, *, only: Iterable[str] | None = None) -> list[Path]:
    """Render the feeds, their archive pages, the index and the OPML list; return the files rewritten.

    ``only`` names the category slugs whose feeds changed (the ``all`` feed is
    rendered with them); None renders every feed and every archive page. Files
    whose bytes did not change are left untouched, so a rebuild of unchanged
    data rewrites nothing.
    """
    started = time.monotonic()
    feeds = [_feed(settings, store, c.slug, c.title, c.description, c.language, c.icon) for c in settings.categories]
    default = settings.default_category
    everything = "Every article of every category"
    feeds.append(_feed(settings, store, None, settings.site_title, everything, default.language, default.icon))
    footer = _footer if settings.disclaimers.footer else None

    def archive(slug: str, offset: int, limit: int) -> list[Article]:
        return store.archive_articles(None if slug == "all" else slug, limit, offset)

    written = publish(
        feeds,
        output_dir=settings.output_dir,
        base_url=settings.base_url,
        site_title=settings.site_title,
        footer=footer,
        only=None if only is None else {*only, "all"},
        hub=settings.websub_hub,
        archive=archive if settings.retention.archives else None,
        reprint_sources={s.id for s in settings.sources if s.link_preference == "reprint"},
    )
    log.info(
        "published",
        extra={"files": len(written), "duration_ms": round((time.monotonic() - started) * 1000)},
    )
    return written


def _feed(
    settings: Settings,
    store: Store,
    slug: str | None,
    title: str,
    description: str,
    language: str | None,
    icon: str | None = None,
) -> Feed:
    articles = tuple(store.feed_articles(slug, settings.items_per_feed))
    changes = [a.updated or a.first_seen or a.published for a in articles]
    full = len(articles) == settings.items_per_feed and settings.retention.archives
    archived = store.count_feed_articles(slug) - len(articles) if full else 0
    return Feed(
        slug=slug or "all",
        title=title,
        description=description,
        language=language,
        articles=articles,
        updated=max((c for c in changes if c is not None), default=None),
        icon=icon,
        archived=max(archived, 0),
    )


def prune(settings: Settings, store: Store, *, now: datetime | None = None) -> PruneResult | None:
    """Apply ``[retention]``: forget what is older than ``days`` and shown nowhere; None when ``days`` is 0.

    With archives on (the default) every article stays, as archive pages show
    them all; only the near-duplicate index of old articles and the records of
    old failed documents go. With ``archives = false``, old articles that no
    feed shows any more go as well.
    """
    days = settings.retention.days
    if days == 0:
        return None
    started = time.monotonic()
    before = (now or datetime.now(UTC)) - timedelta(days=days)
    shown = [(c.slug, settings.items_per_feed) for c in settings.categories] + [(None, settings.items_per_feed)]
    result = store.prune(before=before, keep=None if settings.retention.archives else shown)
    log.info(
        "pruned",
        extra={
            "before": before.isoformat(),
            "articles": result.articles,
            "documents": result.documents,
            "bands": result.bands,
            "duration_ms": round((time.monotonic() - started) * 1000),
        },
    )
    return result


def _footer(article: Article) -> str | None:
    if not article.rights:
        return None
    return f'<hr/><p class="rights">{html.escape(article.rights)}</p>'
