"""Page sources: list pages walked, unseen articles fetched, and the dry run."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from typing import NamedTuple

from feeds.config import Settings
from feeds.errors import ConfigError, FeedsError
from feeds.extract import extract
from feeds.extract.rules import rule_date
from feeds.fetch import (
    Disallowed,
    Fetcher,
    FetchPolicy,
    StatusError,
    Validators,
)
from feeds.models import Article, Extracted, Precision, RawItem, Source, SourceKind
from feeds.normalize import normalize
from feeds.normalize.dates import parse_date
from feeds.serve.jobs.polling import Listed, answered, failed, started
from feeds.serve.jobs.reports import Document, SourceReport
from feeds.serve.jobs.upstream import entry_of, full_text
from feeds.sources.feed import parse_feed
from feeds.sources.page import ListLink, parse_list
from feeds.store import Store

log = logging.getLogger(__name__)

MISSING = "missing"  # the mark of an article that answered 410, or 404 at every try
MISSING_TRIES = 3  # runs that request an article answering 404 (a list can link to it a moment before it is up)


def page_documents(
    settings: Settings,
    store: Store,
    fetcher: Fetcher,
    source: Source,
    now: datetime,
    result: SourceReport,
    listed: Listed,
) -> Iterator[Document]:
    """The new articles of a page source: its list pages walked, each unseen article fetched.

    The first list page is fetched with conditional GET; when it did not change,
    nothing else is. Later pages are read while the one before listed an
    unseen article (all of them on a first run, after article errors, and, with
    retention, once in each third of ``[retention] days``), up to
    ``max_pages``. Every request obeys robots.txt and the source's
    ``min_delay``. An article that robots.txt disallows, or that answers 410,
    is marked seen and never fetched again; one that answers 404 is tried at
    ``MISSING_TRIES`` runs before it is given up the same way. Other article
    errors are retried at the next run. After a 404 or an error, the next run
    reads the list in full. List-page errors back off like a feed's.
    """
    assert source.listing is not None and source.url is not None
    listing = source.listing
    state = started(store, source, now)
    walk = _walk_due(state.last_ok_at, now, settings.retention.days)
    full = walk or not (state.etag or state.last_modified or state.body_hash)  # first run, or articles to retry
    last_ok = state.last_ok_at
    try:
        result.url = state.url or source.url
        fetched = fetcher.fetch(
            state.url or source.url,
            Validators() if walk else Validators(state.etag, state.last_modified, state.body_hash),
            robots=True,
            min_delay=listing.min_delay,
        )
        page = (
            parse_list(fetched.content, fetched.final_url, fetched.charset, listing) if fetched.status == "ok" else None
        )
    except FeedsError as exc:
        result.status = "error"
        failed(store, source, state, now, exc)
        raise
    result.url, result.status = fetched.final_url, fetched.status
    gone = fetched.status == "gone"
    state = answered(source, state, fetched, now)
    if page is None:
        store.save_source_state(state)
        if not gone:
            listed.carry(last_ok)  # not modified: it lists what it listed then
        result.note = "gone (HTTP 410)" if gone else fetched.status
        return
    retry = False
    disallowed = 0
    visited = [page.url]
    while True:
        unseen = [link for link in page.links if _unseen(listed(link.url))]
        for link in unseen:
            outcome = _page_article(fetcher, source, link)
            if isinstance(outcome, RawItem):
                yield link.url, outcome.content_hash, partial(_listed, settings, source, outcome, link, now)
            elif outcome.kind == "disallowed":
                disallowed += 1
                store.mark_seen(source.id, link.url, "disallowed", None, now)
            elif outcome.kind == "gone":
                result.failed += 1
                store.mark_seen(source.id, link.url, MISSING, None, now)
            elif outcome.kind == "missing":
                result.failed += 1
                marker = _missing_again(listed(link.url))
                store.mark_seen(source.id, link.url, marker, None, now)
                retry = retry or marker != MISSING
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
    # Saved once the articles are stored: a run cut short keeps the old validators, so the next run
    # reads the list again and fetches what was missed. After article errors, the next run reads the
    # list in full, so the failed articles are tried again.
    store.save_source_state(replace(state, etag=None, last_modified=None, body_hash=None) if retry else state)


class _Missed(NamedTuple):
    """Why a listed article has no page: ``disallowed`` (robots.txt), ``missing`` (404), ``gone`` (410) or ``error``."""

    kind: str
    reason: str


def _unseen(marker: str | None) -> bool:
    """Whether a listed article is to be fetched: never processed, or a 404 with tries left (``missing:N``)."""
    return marker is None or marker.startswith(MISSING + ":")


def _missing_again(marker: str | None) -> str:
    """The document's marker after one more 404: ``missing:1``, ``missing:2``…, then ``missing`` for good."""
    tries = int(marker.partition(":")[2] or 0) + 1 if marker is not None and marker.startswith(MISSING + ":") else 1
    return MISSING if tries >= MISSING_TRIES else f"{MISSING}:{tries}"


def _walk_due(last_ok: datetime | None, now: datetime, days: int) -> bool:
    """Whether this run reads every list page, whatever changed: the first good run in each third of ``days``.

    Retention forgets a document its source has not listed for ``days``, and a
    run that stops at a list page without unseen links does not see the later
    ones. Walking them all this often touches every document still listed.
    """
    if not days or last_ok is None:
        return False
    period = days * 86400 / 3
    return last_ok.timestamp() // period != now.timestamp() // period


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
        return _Missed({404: "missing", 410: "gone"}.get(exc.status, "error"), f"HTTP {exc.status}")
    except FeedsError as exc:
        log.warning("article failed", extra={**where, "error": str(exc)})
        return _Missed("error", str(exc))
    if fetched.status == "gone":
        log.warning("article gone (HTTP 410)", extra=where)
        return _Missed("gone", "HTTP 410")
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
                    partial(full_text, settings, fetcher, source, item)
                    if source.full_text and item.link
                    else partial(entry_of, item)
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
