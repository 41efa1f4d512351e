"""Publishing the stored articles, and retention."""

from __future__ import annotations

import html
import logging
import time
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from feeds.config import Settings
from feeds.models import Article, Feed
from feeds.publish import publish
from feeds.publish.websub import Pinger, ping
from feeds.store import PruneResult, Store

log = logging.getLogger(__name__)


def build(
    settings: Settings, store: Store, *, only: Iterable[str] | None = None, pinger: Pinger | None = None
) -> list[Path]:
    """Render the feeds, their archive pages, the index and the OPML list; return the files rewritten.

    ``only`` names the category slugs whose feeds changed (the ``all`` feed is
    rendered with them); None renders every feed and every archive page. Files
    whose bytes did not change are left untouched, so a rebuild of unchanged
    data rewrites nothing. The WebSub hub, when there is one, is pinged through
    ``pinger`` in the background, or at once without it.
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
        pinger=ping if pinger is None else pinger.send,
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
    documents their sources stopped listing go. With ``archives = false``, old
    articles that no feed shows any more go as well.
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
