"""Render and write many feeds, on several processes when there are many.

Each feed is one job: its RSS, Atom and JSON documents are rendered and
written (each with its ``.gz``) by the same worker, so only the feed goes to
a worker and only paths come back. Rendering is pure Python (feedgen), so
threads would not run it in parallel; worker processes are started with
``spawn``, never ``fork``, as the service that calls this runs threads.
A small batch, or a footer that cannot be sent to another process, is done
in this process. Results come back in job order either way.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from feeds.models import Feed
from feeds.publish.entries import Footer, Format, Paging, archive_pages, archive_url, entries, feed_url
from feeds.publish.jsonfeed import render_json
from feeds.publish.render import render_atom, render_rss
from feeds.publish.writer import write_with_gzip

PARALLEL_MIN = 24  # feeds below which starting worker processes costs more than it saves
MAX_WORKERS = 8


@dataclass(frozen=True)
class Options:
    """What every job of a batch shares."""

    directory: Path  # output_dir / "feeds"
    base_url: str
    footer: Footer | None
    hub: str | None
    stylesheet: str
    reprint_sources: frozenset[str] = frozenset()  # sources whose items link to the page read from


@dataclass
class Done:
    """What writing one feed changed."""

    written: list[Path] = field(default_factory=list)  # each rewritten file followed by its .gz
    changed: list[str] = field(default_factory=list)  # URLs of the feed documents rewritten
    unsynced: set[Path] = field(default_factory=set)  # directories to sync once at the end


def render_feed(feed: Feed, options: Options) -> dict[Format, bytes]:
    """The documents of ``feed`` in every format; RSS and Atom link to the newest archive page, if any."""
    found = entries(feed, options.base_url, options.footer, options.reprint_sources)
    base, hub, sheet = options.base_url, options.hub, options.stylesheet
    pages = archive_pages(feed)

    def paging(fmt: Format) -> Paging | None:
        if not pages:
            return None
        return Paging(feed_url(base, feed.slug, fmt), prev_archive=archive_url(base, feed.slug, pages, fmt))

    return {
        "rss": render_rss(feed, base_url=base, hub=hub, stylesheet=sheet, items=found, paging=paging("rss")),
        "atom": render_atom(feed, base_url=base, hub=hub, stylesheet=sheet, items=found, paging=paging("atom")),
        "json": render_json(feed, base_url=base, hub=hub, items=found),
    }


def write_feed(feed: Feed, options: Options) -> Done:
    """Render ``feed`` and write each of its documents that changed.

    The documents are compressed and written on threads of their own: zlib,
    write and fsync release the GIL, and concurrent fsyncs share journal commits.
    """
    done = Done()
    documents = render_feed(feed, options)
    paths = {fmt: options.directory / f"{feed.slug}.{fmt}" for fmt in documents}
    with ThreadPoolExecutor(max_workers=len(documents)) as pool:
        futures = {
            fmt: pool.submit(write_with_gzip, paths[fmt], data, unsynced=done.unsynced)
            for fmt, data in documents.items()
        }
        for fmt, future in futures.items():
            rewritten = future.result()
            done.written += rewritten
            if paths[fmt] in rewritten:
                done.changed.append(feed_url(options.base_url, feed.slug, fmt))
    return done


def write_feeds(feeds: Sequence[Feed], options: Options) -> Iterator[Done]:
    """``write_feed`` of every feed, in order; on worker processes when the batch is large."""
    workers = min(MAX_WORKERS, _cpus(), len(feeds))
    if workers < 2 or len(feeds) < PARALLEL_MIN or not _portable(options):
        for feed in feeds:
            yield write_feed(feed, options)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        yield from pool.map(write_feed, feeds, [options] * len(feeds), chunksize=4)


def _cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def _portable(options: Options) -> bool:
    """Whether ``options`` (its footer above all) can be sent to a worker process."""
    try:
        pickle.dumps(options)
    except (pickle.PicklingError, AttributeError, TypeError):
        return False
    return True
