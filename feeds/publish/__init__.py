"""Publish: write the output tree.

::

    output_dir/
    ├── index.html, index.html.gz      the list of feeds, with autodiscovery links
    ├── opml.xml, opml.xml.gz          every category feed, for readers to import
    ├── feed.xsl, feed.xsl.gz          shows RSS and Atom as a page in a browser
    ├── feeds/<slug>.rss|.atom|.json   (+ .gz) one set per feed, "all" included
    └── feeds/archive/<slug>-<n>.rss|.atom|.json   (+ .gz) archive pages, 1 the oldest

Only files whose bytes change are rewritten, so publishing unchanged data
touches nothing; ``only`` limits the feeds rendered at all to those whose
articles changed. With a WebSub ``hub``, every feed names it and the hub is
pinged for each feed document rewritten. A feed with ``archived`` articles
links to its archive pages (see ``feeds.publish.archive``): RFC 5005 links in
RSS and Atom, ``next_url`` in JSON Feed.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Collection, Iterator, Sequence
from importlib import resources
from pathlib import Path

from feeds.config import SLUG_RE
from feeds.errors import PublishError
from feeds.models import Feed
from feeds.publish.archive import ArchiveLoader, Page, load_pages, stale_pages, write_page
from feeds.publish.batch import Done, Options, run_jobs, write_feed
from feeds.publish.entries import STYLESHEET, Footer, Format, stylesheet_url
from feeds.publish.opml import render_opml
from feeds.publish.site import OPML, FeedSummary, render_index
from feeds.publish.websub import ping
from feeds.publish.writer import Flusher, present, write_with_gzip

__all__ = ["ArchiveLoader", "FeedSummary", "Footer", "publish"]

FORMATS: tuple[Format, ...] = ("rss", "atom", "json")


def publish(
    feeds: Sequence[Feed],
    *,
    output_dir: Path,
    base_url: str,
    site_title: str,
    footer: Footer | None = None,
    only: Collection[str] | None = None,
    hub: str | None = None,
    archive: ArchiveLoader | None = None,
    reprint_sources: Collection[str] = (),
    pinger: Callable[[str, Sequence[str]], object] = ping,
) -> list[Path]:
    """Render the feeds in every format, the index, the OPML list and the stylesheet; return the paths rewritten.

    ``feeds`` are every published feed (the index and the OPML list show them
    all); ``only`` names the slugs to render again, None for all of them. A feed
    left out of ``only`` is still rendered when one of its files is missing.
    ``footer`` gives the HTML appended to each article's published content (its
    rights notice), or None for none. ``hub`` is a WebSub hub URL: each feed
    links to it, and it is pinged once per feed document rewritten, through
    ``pinger(hub, urls)`` (by default at once, before this returns).

    ``archive`` reads the articles of a feed's archive pages (slug, offset from
    the oldest, limit → oldest first); without it no archive page is written.
    Only the pages that can have changed are rendered, every page when ``only``
    is None. Articles of the sources named in ``reprint_sources`` link to the
    page they were read from, the others to their original when it is known.

    Each rewritten file is followed in the result by its ``.gz``. Raises
    PublishError naming the path when a file cannot be written.
    """
    _check(feeds, output_dir)
    options = Options(output_dir / "feeds", base_url, footer, hub, stylesheet_url(base_url), frozenset(reprint_sources))
    todo = [feed for feed in feeds if only is None or feed.slug in only or not _complete(options.directory, feed.slug)]
    # Feeds first, then the archive pages to render, each read from the store only when a worker is about to need it.
    jobs: Iterator[Feed | Page] = iter(todo)
    count = len(todo)
    if archive is not None:
        plans = [(feed, stale_pages(feed, options, everything=only is None)) for feed in todo]
        older = (page for feed, pages in plans for page in load_pages(feed, pages, archive, options))
        jobs = itertools.chain(jobs, older)
        count += sum(len(pages) for _, pages in plans)
    changed: list[str] = []
    unsynced: set[Path] = set()
    with Flusher() as flusher:
        written = write_with_gzip(output_dir / STYLESHEET, _stylesheet(), unsynced=unsynced)
        for done in run_jobs(_write, jobs, count, options):
            written += done.written
            changed += done.changed
            flusher.add(done.unsynced)
        summaries = [FeedSummary.of(feed) for feed in feeds]
        everything = next((feed for feed in feeds if feed.slug == "all"), None)
        lang = everything.language if everything is not None else None
        index = render_index(summaries, base_url=base_url, title=site_title, lang=lang)
        written += write_with_gzip(output_dir / "index.html", index, unsynced=unsynced)
        opml = render_opml(summaries, base_url=base_url, title=site_title)
        written += write_with_gzip(output_dir / OPML, opml, unsynced=unsynced)
        flusher.add(unsynced)
        flusher.wait()
    if hub and changed:
        pinger(hub, changed)
    return written


def _write(job: Feed | Page, options: Options) -> Done:
    """One job of a batch: the documents of a feed, or one archive page."""
    return write_page(job, options) if isinstance(job, Page) else write_feed(job, options)


def _check(feeds: Sequence[Feed], output_dir: Path) -> None:
    seen: set[str] = set()
    for feed in feeds:
        if not SLUG_RE.fullmatch(feed.slug):
            raise PublishError(f"{output_dir}: feed slug {feed.slug!r} cannot name a file")
        if feed.slug in seen:
            raise PublishError(f"{output_dir}: two feeds share the slug {feed.slug!r}")
        seen.add(feed.slug)


def _complete(directory: Path, slug: str) -> bool:
    """Whether every file of feed ``slug`` is there."""
    return all(present(directory / f"{slug}.{fmt}") for fmt in FORMATS)


@functools.cache
def _stylesheet() -> bytes:
    return resources.files(__package__).joinpath(STYLESHEET).read_bytes()
