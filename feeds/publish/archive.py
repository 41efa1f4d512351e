"""RFC 5005 archived feeds: the articles older than a subscription document, in pages that keep their bytes.

A feed whose ``archived`` count is positive has archive pages
``feeds/archive/<slug>-<n>.rss|.atom|.json`` (each with its ``.gz``) of
``len(feed.articles)`` articles each, numbered from the oldest: page 1 holds
the oldest articles. Only the newest page is partial (or empty, when the
others are exactly full), so new articles only ever reach the newest page and
the subscription document, and a full page is never rewritten.

Each RSS and Atom page carries ``fh:archive``, a ``current`` link to the
subscription document and ``prev-archive`` / ``next-archive`` links to its
neighbours; the subscription document links to the newest page. JSON Feed
pages chain the same way through ``next_url``, from the subscription document
to the newest page and on to the oldest (see ``feeds.publish.jsonfeed``).
Articles are in the order of the subscription document (newest first) within
a page, and each page shows the same articles in every format.

A page is rendered again when it is the newest, when one of its files is
missing, when its files were written before it was full (they lack the
link to a newer page every full page has), or when ``everything`` is asked
for: an article edited on a full page, or one arriving with a date older than
archived articles, reaches the full pages with the next ``build``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
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
from feeds.publish.jsonfeed import render_json
from feeds.publish.render import render_rss_atom
from feeds.publish.writer import present, write_with_gzip

__all__ = ["ArchiveLoader", "Page", "load_pages", "stale_pages", "write_page"]

# (feed slug, offset from the oldest article, limit) → those articles, oldest first.
ArchiveLoader = Callable[[str, int, int], Sequence[Article]]

FORMATS: tuple[Format, ...] = ("rss", "atom", "json")
# Per format: where the items begin, what only a full page has before them (the link to a newer page), and
# how a whole document ends.
_FULL_MARKS: dict[Format, tuple[bytes, bytes, bytes]] = {
    "rss": (b"<item>", b'rel="next-archive"', b"</rss>\n"),
    "atom": (b"<entry", b'rel="next-archive"', b"</feed>\n"),
    "json": (b'\n  "items": [', b'"newer_url": ', b"}\n"),
}


@dataclass(frozen=True)
class Page:
    """One archive page to write: the feed with the page's articles (newest first), and its place in the chain."""

    feed: Feed
    number: int  # 1: the oldest articles
    pages: int  # how many pages the feed has


def stale_pages(feed: Feed, options: Options, *, everything: bool = False) -> list[int]:
    """The numbers of the archive pages of ``feed`` to render, oldest first.

    Every page with ``everything``; else those that may have changed: the
    newest, and any page whose files are missing or were written before it was full.
    """
    pages = archive_pages(feed)
    return [
        number
        for number in range(1, pages + 1)
        if everything
        or number == pages
        or not all(_written_full(_path(options, feed.slug, number, fmt), fmt) for fmt in FORMATS)
    ]


def load_pages(feed: Feed, numbers: Sequence[int], load: ArchiveLoader, options: Options) -> Iterator[Page]:
    """Archive pages ``numbers`` of ``feed``, each read from ``load`` only when it is reached.

    So a long archive is never held in memory at once. Raises PublishError
    naming the page when the store gives fewer articles than counted.
    """
    pages, size = archive_pages(feed), len(feed.articles)
    for number in numbers:
        wanted = min(size, feed.archived - (number - 1) * size)
        articles = tuple(load(feed.slug, (number - 1) * size, wanted)) if wanted > 0 else ()
        if len(articles) != wanted:
            raise PublishError(
                f"{_path(options, feed.slug, number, 'atom')}: archive page {number} of feed {feed.slug!r} expected"
                f" {wanted} articles, the store gave {len(articles)}"
            )
        page = replace(feed, articles=tuple(reversed(articles)), updated=None, archived=0)
        if not articles:
            # The empty newest page began when the oldest article of the subscription document was added.
            page = replace(page, updated=last_change(replace(feed, articles=feed.articles[-1:], updated=None)))
        yield Page(page, number, pages)


def write_page(page: Page, options: Options) -> Done:
    """Write archive page ``page`` in every format, each file only where its bytes changed."""
    done = Done()
    for fmt, data in _render(page.feed, page.number, page.pages, options).items():
        done.written += write_with_gzip(_path(options, page.feed.slug, page.number, fmt), data, unsynced=done.unsynced)
    return done


def _path(options: Options, slug: str, number: int, fmt: Format) -> Path:
    return options.directory / ARCHIVE_DIR / f"{slug}-{number}.{fmt}"


def _render(page: Feed, number: int, pages: int, options: Options) -> dict[Format, bytes]:
    """Archive page ``number`` of ``pages`` in every format."""
    base, slug = options.base_url, page.slug

    def paging(fmt: Format) -> Paging:
        return Paging(
            self_url=archive_url(base, slug, number, fmt),
            current=feed_url(base, slug, fmt),
            prev_archive=archive_url(base, slug, number - 1, fmt) if number > 1 else None,
            next_archive=archive_url(base, slug, number + 1, fmt) if number < pages else None,
            archive=True,
        )

    found = entries(page, base, options.footer, options.reprint_sources)
    rss, atom = render_rss_atom(
        page, base_url=base, items=found, stylesheet=options.stylesheet, rss_paging=paging("rss"),
        atom_paging=paging("atom"),
    )  # fmt: skip
    return {"rss": rss, "atom": atom, "json": render_json(page, base_url=base, items=found, paging=paging("json"))}


def _written_full(path: Path, fmt: Format) -> bool:
    """Whether ``path`` and its ``.gz`` exist and ``path`` was written whole, as a full page."""
    items, mark, ending = _FULL_MARKS[fmt]
    try:
        if not present(path):
            return False
        data = path.read_bytes()
        end = data.find(items)
        return mark in (data if end < 0 else data[:end]) and data.endswith(ending)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise PublishError(f"cannot read {path}: {exc}") from exc
