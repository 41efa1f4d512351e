"""Run the due sources, a few at a time, and store what they bring."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from feeds.config import Settings
from feeds.errors import FeedsError, FetchError, StoreError
from feeds.extract import extract
from feeds.fetch import Fetcher, FetchPolicy
from feeds.models import Source, SourceKind
from feeds.normalize import normalize
from feeds.robots import RobotsCache
from feeds.serve.jobs.pages import page_documents
from feeds.serve.jobs.polling import Listed
from feeds.serve.jobs.reports import Document, IngestReport, SourceReport
from feeds.serve.jobs.upstream import feed_documents
from feeds.sources import capture
from feeds.store import Store

log = logging.getLogger(__name__)


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
    the order of the configuration either way. Sources running at once finish
    in any order, so of two copies of one article arriving in the same run,
    which is stored first (and keeps its content, the other becoming its via
    link) depends on timing, as it does across runs; ``concurrency = 1`` runs
    them in the order of the configuration.

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
        pending = {pool.submit(_ingest_source, run, fetcher, source) for source in chosen}
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


def _ingest_source(run: _Run, fetcher: Fetcher, source: Source) -> SourceReport:
    """Run one source now (whether it is due was decided by the caller) and store what it brings."""
    settings, store, now = run.settings, run.store, run.now
    if run.stop.is_set():
        return SourceReport(source.id, note="not run: stopping", ran=False)
    result = SourceReport(source.id)
    listed = Listed(store, source.id)
    started = time.monotonic()
    try:
        if source.kind is SourceKind.CAPTURE:
            result.url, result.status = str(source.path), "scanned"
            documents: Iterable[Document] = (
                (raw.key, raw.content_hash, lambda raw=raw: extract(raw))  # type: ignore[misc]
                for raw in capture.scan(source, listed)
            )
        elif source.kind is SourceKind.FEED:
            documents = feed_documents(settings, store, fetcher, source, now, result, listed)
        elif source.kind is SourceKind.PAGE:
            documents = page_documents(settings, store, fetcher, source, now, result, listed)
        else:
            raise FetchError(f"source {source.id!r}: kind {source.kind.value!r} is not supported yet")
        for key, content_hash, read in documents:
            if listed(key) == content_hash:
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
                listed.processed(key, content_hash)
                log.warning("document failed", extra={"source_id": source.id, "path": key, "error": str(exc)})
                continue
            listed.processed(key, content_hash)
            if outcome.status == "new":
                result.new += 1
            elif outcome.status == "unchanged":
                result.unchanged += 1
            else:
                result.updated += 1
        listed.save(now)
    except FeedsError as exc:
        result.error = str(exc)
        log.error("source failed", extra={"source_id": source.id, "error": result.error})
    result.seconds = time.monotonic() - started
    log.info(
        "source ingested",
        extra={
            "source_id": source.id,
            "url": result.url,
            "status": result.status,
            "new": result.new,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "failed": result.failed,
            "duration_ms": round(result.seconds * 1000),
        },
    )
    return result
