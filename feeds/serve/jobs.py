"""The jobs that wire the stages together: ingest sources, publish feeds.

This is the only module that calls every stage::

    source.scan ─► extract ─► normalize ─► store.upsert ─► publish

A failure of one document is logged and recorded, never stops the others; a
failure of one source never stops the other sources.
"""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from feeds.config import Settings
from feeds.errors import FeedsError
from feeds.extract import extract
from feeds.models import Article, Feed, Source, SourceKind
from feeds.normalize import normalize
from feeds.publish import publish
from feeds.sources import capture
from feeds.store import Store

log = logging.getLogger(__name__)


@dataclass
class SourceReport:
    source_id: str
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    failed: int = 0
    error: str | None = None  # the source as a whole failed


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
    on_source: Callable[[SourceReport], None] | None = None,
) -> IngestReport:
    """Run every enabled source (or the ones named) once and store what changed."""
    wanted = set(source_ids) if source_ids is not None else None
    report = IngestReport()
    for source in settings.sources:
        if wanted is not None and source.id not in wanted:
            continue
        if wanted is None and not source.enabled:
            continue
        result = _ingest_source(settings, store, source, now or datetime.now(UTC), report.dirty)
        report.sources.append(result)
        if on_source is not None:
            on_source(result)
    return report


def _ingest_source(settings: Settings, store: Store, source: Source, now: datetime, dirty: set[str]) -> SourceReport:
    result = SourceReport(source.id)
    started = time.monotonic()
    if source.kind is not SourceKind.CAPTURE:
        result.error = f"source kind {source.kind.value!r} is not supported yet"
        log.error("source skipped", extra={"source_id": source.id, "error": result.error})
        return result
    try:
        for raw in capture.scan(source, lambda key: store.seen(source.id, key)):
            try:
                article = normalize(extract(raw), source, settings, now=now)
                outcome = store.upsert(article, now=now)
            except FeedsError as exc:
                result.failed += 1
                store.mark_seen(source.id, raw.key, raw.content_hash, None, now)
                log.warning("document failed", extra={"source_id": source.id, "path": raw.key, "error": str(exc)})
                continue
            store.mark_seen(source.id, raw.key, raw.content_hash, outcome.article_id, now)
            if outcome.status == "new":
                result.new += 1
            elif outcome.status == "unchanged":
                result.unchanged += 1
            else:
                result.updated += 1
            dirty.update(outcome.categories)
    except FeedsError as exc:
        result.error = str(exc)
        log.error("source failed", extra={"source_id": source.id, "error": result.error})
    log.info(
        "source ingested",
        extra={
            "source_id": source.id,
            "new": result.new,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "failed": result.failed,
            "duration_ms": round((time.monotonic() - started) * 1000),
        },
    )
    return result


def build(settings: Settings, store: Store) -> list[Path]:
    """Render every category feed, the ``all`` feed and the index; return the files rewritten.

    Files whose bytes did not change are left untouched, so a rebuild of
    unchanged data rewrites nothing.
    """
    started = time.monotonic()
    feeds = [_feed(settings, store, c.slug, c.title, c.description, c.language) for c in settings.categories]
    default = settings.default_category
    feeds.append(_feed(settings, store, None, settings.site_title, "Every article of every category", default.language))
    footer = _footer if settings.disclaimers.footer else None
    written = publish(
        feeds,
        output_dir=settings.output_dir,
        base_url=settings.base_url,
        site_title=settings.site_title,
        footer=footer,
    )
    log.info(
        "published",
        extra={"files": len(written), "duration_ms": round((time.monotonic() - started) * 1000)},
    )
    return written


def _feed(
    settings: Settings, store: Store, slug: str | None, title: str, description: str, language: str | None
) -> Feed:
    articles = tuple(store.feed_articles(slug, settings.items_per_feed))
    changes = [a.updated or a.first_seen or a.published for a in articles]
    return Feed(
        slug=slug or "all",
        title=title,
        description=description,
        language=language,
        articles=articles,
        updated=max((c for c in changes if c is not None), default=None),
    )


def _footer(article: Article) -> str | None:
    if not article.rights:
        return None
    return f'<hr/><p class="rights">{html.escape(article.rights)}</p>'
