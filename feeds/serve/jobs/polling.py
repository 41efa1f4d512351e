"""The state sources keep between runs: a run started, a fetch failed, a fetch answered, the documents listed.

And when to look at a source next: ``backoff`` after failures (exponential, full jitter), ``next_check``
from the interval and the server's hints, ``observed_interval`` from how often a feed posts.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from feeds.errors import FeedsError
from feeds.fetch import FetchResult, RetryLater
from feeds.models import Source, SourceState
from feeds.store import Store


class Listed:
    """Looks a source's documents up in the store, and remembers the ones it found: those the source still lists.

    Each key is read from the store once per run (the stages of a run ask for a document more than once).
    ``save(now)`` records that the ones found were listed now (one write), so retention forgets a document
    only once its source has stopped listing it (``Store.prune``).
    """

    def __init__(self, store: Store, source_id: str) -> None:
        self.store = store
        self.source_id = source_id
        self.hashes: dict[str, str | None] = {}
        self.since: datetime | None = None

    def __call__(self, key: str) -> str | None:
        """The content hash the document was last processed with (before this run), or None for a new one."""
        if key not in self.hashes:
            self.hashes[key] = self.store.seen(self.source_id, key)
        return self.hashes[key]

    def processed(self, key: str, content_hash: str) -> None:
        """``key`` was just processed with this content (a later look-up in the run sees it)."""
        self.hashes[key] = content_hash

    def carry(self, since: datetime | None) -> None:
        """The source answered "not modified": it still lists every document it listed at ``since``."""
        self.since = since

    def save(self, now: datetime) -> None:
        found = [key for key, content_hash in self.hashes.items() if content_hash is not None]
        if found or self.since is not None:
            self.store.touch(self.source_id, now, keys=found, since=self.since)


@dataclass(frozen=True)
class Intervals:
    """A source's polling intervals."""

    usual: timedelta
    shortest: timedelta
    longest: timedelta

    @classmethod
    def of(cls, source: Source) -> Intervals:
        return cls(
            timedelta(minutes=source.interval_minutes),
            timedelta(minutes=source.min_interval_minutes),
            timedelta(minutes=source.max_interval_minutes),
        )


def started(store: Store, source: Source, now: datetime) -> SourceState:
    """The source's state as a run begins: fetched now, from its current URL (a permanent redirect's, if any)."""
    state = store.source_state(source.id)
    return replace(state, last_fetch_at=now, url=state.url or source.url)


def failed(store: Store, source: Source, state: SourceState, now: datetime, exc: FeedsError) -> None:
    """Save the state of a failed fetch: one failure more, the next check backed off (or at its Retry-After)."""
    spans = Intervals.of(source)
    failures = state.failures + 1
    wait = timedelta(
        seconds=backoff(failures, base=spans.usual.total_seconds(), max_interval=spans.longest.total_seconds())
    )
    retry_after = exc.retry_after if isinstance(exc, RetryLater) else None
    due = next_check(
        now, interval=wait, min_interval=spans.shortest, max_interval=spans.longest, retry_after=retry_after
    )
    store.save_source_state(
        replace(state, last_status="error", last_error=str(exc), failures=failures, next_check_at=due)
    )


def answered(
    source: Source,
    state: SourceState,
    fetched: FetchResult,
    now: datetime,
    *,
    interval: timedelta | None = None,
    ttl_minutes: int | None = None,
) -> SourceState:
    """The state after a fetch that answered: its validators, no failure, the next check from ``interval``
    (the source's usual one by default), the feed's ``ttl`` and the response's ``max-age``."""
    spans = Intervals.of(source)
    gone = fetched.status == "gone"
    return replace(
        state,
        url=fetched.permanent_url or state.url,
        etag=fetched.validators.etag,
        last_modified=fetched.validators.last_modified,
        body_hash=fetched.validators.body_hash,
        last_ok_at=now,
        last_status=fetched.status,
        last_error=None,
        failures=0,
        gone=gone,
        next_check_at=next_check(
            now,
            interval=interval or spans.usual,
            min_interval=spans.shortest,
            max_interval=spans.longest,
            ttl_minutes=ttl_minutes,
            max_age=fetched.max_age,
        ),
    )


def backoff(failures: int, *, base: float, max_interval: float, rng: random.Random | None = None) -> float:
    """Seconds to wait after ``failures`` consecutive failures: exponential, full jitter, capped.

    The ceiling doubles with each failure from ``base`` up to ``max_interval``; the wait is drawn uniformly
    below it. There is no last attempt: a source keeps being retried at most ``max_interval`` apart.
    """
    if failures <= 0:
        return 0.0
    ceiling = min(max_interval, base * 2.0 ** min(failures - 1, 64))
    return (rng or random).uniform(0.0, ceiling)


def next_check(
    now: datetime,
    *,
    interval: timedelta,
    min_interval: timedelta,
    max_interval: timedelta,
    ttl_minutes: int | None = None,
    max_age: int | None = None,
    retry_after: datetime | None = None,
) -> datetime:
    """When to look at a source again: the longest of the configured interval (or back-off), the feed's
    ``<ttl>``, Cache-Control max-age and Retry-After, clamped to [``min_interval``, ``max_interval``]."""
    delays = [interval]
    if ttl_minutes is not None and ttl_minutes > 0:
        delays.append(timedelta(minutes=ttl_minutes))
    if max_age is not None and max_age > 0:
        delays.append(timedelta(seconds=max_age))
    if retry_after is not None:
        delays.append(retry_after - now)
    delay = min(max(max(delays), min_interval), max_interval)
    return now + delay


def observed_interval(dates: Sequence[datetime], *, fallback: timedelta, sample: int = 10) -> timedelta:
    """Half the mean gap between the newest ``sample`` entry dates: a feed that posts hourly is read
    every half hour, one that posts weekly every few days. ``fallback`` when fewer than two dates."""
    newest = sorted(dates, reverse=True)[:sample]
    if len(newest) < 2:
        return fallback
    mean_gap = (newest[0] - newest[-1]) / (len(newest) - 1)
    return max(mean_gap / 2, timedelta(0))
