"""Render and write many feeds, on several processes when there are many.

Each feed is one job: its RSS, Atom and JSON documents are rendered and
written (each with its ``.gz``) by the same worker, so only the feed goes to
a worker and only paths come back; an archive page is a job of its own too
(``feeds.publish.archive``). Rendering is pure Python (feedgen), so threads
would not run it in parallel; worker processes are started with ``spawn``,
never ``fork``, as the service that calls this runs threads. A small batch,
or a footer that cannot be sent to another process, is done in this process.
Results come back in job order either way.

The files of a batch are not flushed to disk one by one: each job returns
those it wrote in ``Done.unsynced``, for the caller's ``Flusher``.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import pickle
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from feeds.models import Feed
from feeds.publish.entries import Footer, Format, Paging, archive_pages, archive_url, entries, feed_url
from feeds.publish.jsonfeed import render_json
from feeds.publish.render import render_rss_atom
from feeds.publish.writer import write_with_gzip

PARALLEL_MIN = 24  # jobs below which starting worker processes costs more than it saves
MAX_WORKERS = 8
CHUNK = 4  # jobs sent to a worker at once
IN_FLIGHT = 3  # chunks queued per worker: enough to keep it busy, few enough to bound the memory held

J = TypeVar("J")


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
    unsynced: set[Path] = field(default_factory=set)  # files written but not yet flushed to disk


def render_feed(feed: Feed, options: Options) -> dict[Format, bytes]:
    """The documents of ``feed`` in every format; each links to its newest archive page, if any."""
    found = entries(feed, options.base_url, options.footer, options.reprint_sources)
    base, hub, sheet = options.base_url, options.hub, options.stylesheet
    pages = archive_pages(feed)

    def paging(fmt: Format) -> Paging | None:
        if not pages:
            return None
        return Paging(feed_url(base, feed.slug, fmt), prev_archive=archive_url(base, feed.slug, pages, fmt))

    rss_paging, atom_paging = paging("rss"), paging("atom")
    rss, atom = render_rss_atom(
        feed, base_url=base, items=found, hub=hub, stylesheet=sheet, rss_paging=rss_paging, atom_paging=atom_paging
    )
    json = render_json(feed, base_url=base, hub=hub, items=found, paging=paging("json"))
    return {"rss": rss, "atom": atom, "json": json}


def write_feed(feed: Feed, options: Options) -> Done:
    """Render ``feed`` and write each of its documents that changed.

    The files are not flushed to disk here: they are left in ``Done.unsynced``
    for the caller to flush (see ``feeds.publish.writer.Flusher``).
    """
    done = Done()
    for fmt, data in render_feed(feed, options).items():
        path = options.directory / f"{feed.slug}.{fmt}"
        rewritten = write_with_gzip(path, data, unsynced=done.unsynced)
        done.written += rewritten
        if path in rewritten:
            done.changed.append(feed_url(options.base_url, feed.slug, fmt))
    return done


def run_jobs(write: Callable[[J, Options], Done], jobs: Iterable[J], count: int, options: Options) -> Iterator[Done]:
    """``write(job, options)`` for each of the ``count`` jobs, results in job order; on worker processes when many.

    ``write`` must be a module-level function (workers import it by name).
    ``jobs`` is consumed as the workers take them, a few chunks ahead, so an
    iterable that reads each job from the store holds only those in memory.
    """
    workers = min(MAX_WORKERS, _cpus(), count)
    if workers < 2 or count < PARALLEL_MIN or not _portable(options):
        for job in jobs:
            yield write(job, options)
        return
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque[Future[list[Done]]] = deque()
        try:
            for chunk in _chunks(iter(jobs)):
                pending.append(pool.submit(_write_chunk, write, chunk, options))
                if len(pending) >= workers * IN_FLIGHT:
                    yield from pending.popleft().result()
            while pending:
                yield from pending.popleft().result()
        except BaseException:
            pool.shutdown(wait=True, cancel_futures=True)
            raise


def _chunks(jobs: Iterator[J]) -> Iterator[list[J]]:
    while chunk := list(itertools.islice(jobs, CHUNK)):
        yield chunk


def _write_chunk(write: Callable[[J, Options], Done], chunk: list[J], options: Options) -> list[Done]:
    return [write(job, options) for job in chunk]


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
