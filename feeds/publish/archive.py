"""RFC 5005 archived feeds: the articles older than a subscription document, in pages that keep their bytes.

A feed whose ``archived`` count is positive has archive pages
``feeds/archive/<slug>-<n>.rss|.atom`` (each with its ``.gz``) of
``len(feed.articles)`` articles each, numbered from the oldest: page 1 holds
the oldest articles. Only the newest page is partial (or empty, when the
others are exactly full), so new articles only ever reach the newest page and
the subscription document, and a full page is never rewritten.

Each page carries ``fh:archive``, a ``current`` link to the subscription
document and ``prev-archive`` / ``next-archive`` links to its neighbours; the
subscription document links to the newest page. Articles are in the order of
the subscription document (newest first) within a page.

A page is rendered again when it is the newest, when one of its files is
missing, when its files were written before it was full (they lack the
``next-archive`` link every full page has), or when ``everything`` is asked
for: an article edited on a full page, or one arriving with a date older than
archived articles, reaches the full pages with the next ``build``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path

from feeds.errors import PublishError
from feeds.models import Article, Feed
from feeds.publish.batch import Done, Options
from feeds.publish.entries import (
    ARCHIVE_DIR,
    Format,
    Paging,
    archive_pages,
    archive_url,
    entries,
    feed_url,
    last_change,
)
from feeds.publish.render import render_atom, render_rss
from feeds.publish.writer import gzip_path, write_with_gzip

__all__ = ["ArchiveLoader", "write_archive"]

# (feed slug, offset from the oldest article, limit) → those articles, oldest first.
ArchiveLoader = Callable[[str, int, int], Sequence[Article]]

FORMATS: tuple[Format, ...] = ("rss", "atom")
_FULL_MARK = b'rel="next-archive"'


def write_archive(feed: Feed, options: Options, load: ArchiveLoader, *, everything: bool = False) -> Done:
    """Write the archive pages of ``feed`` that may have changed (every page with ``everything``)."""
    done = Done()
    pages = archive_pages(feed)
    size = len(feed.articles)
    directory = options.directory / ARCHIVE_DIR
    for number in range(1, pages + 1):
        paths = {fmt: directory / f"{feed.slug}-{number}.{fmt}" for fmt in FORMATS}
        if not everything and number < pages and all(_written_full(path) for path in paths.values()):
            continue
        wanted = min(size, feed.archived - (number - 1) * size)
        articles = tuple(load(feed.slug, (number - 1) * size, wanted)) if wanted > 0 else ()
        if len(articles) != wanted:
            raise PublishError(
                f"{paths['atom']}: archive page {number} of feed {feed.slug!r} expected {wanted} articles, "
                f"the store gave {len(articles)}"
            )
        page = replace(feed, articles=tuple(reversed(articles)), updated=None, archived=0)
        if not articles:
            # The empty newest page began when the oldest article of the subscription document was added.
            page = replace(page, updated=last_change(replace(feed, articles=feed.articles[-1:], updated=None)))
        for fmt, path in paths.items():
            data = _render(page, number, pages, options, fmt)
            rewritten = write_with_gzip(path, data, unsynced=done.unsynced)
            done.written += rewritten
    return done


def _render(page: Feed, number: int, pages: int, options: Options, fmt: Format) -> bytes:
    base, slug = options.base_url, page.slug
    paging = Paging(
        self_url=archive_url(base, slug, number, fmt),
        current=feed_url(base, slug, fmt),
        prev_archive=archive_url(base, slug, number - 1, fmt) if number > 1 else None,
        next_archive=archive_url(base, slug, number + 1, fmt) if number < pages else None,
        archive=True,
    )
    found = entries(page, base, options.footer, options.reprint_sources)
    render = render_atom if fmt == "atom" else render_rss
    return render(page, base_url=base, stylesheet=options.stylesheet, items=found, paging=paging)


def _written_full(path: Path) -> bool:
    """Whether ``path`` and its ``.gz`` exist and ``path`` was written as a full page."""
    try:
        return gzip_path(path).is_file() and _FULL_MARK in path.read_bytes()
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise PublishError(f"cannot read {path}: {exc}") from exc
