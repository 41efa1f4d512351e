"""The fetch state that feed and page sources share: a run started, a fetch failed, a fetch answered."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from feeds.errors import FeedsError
from feeds.fetch import FetchResult, RetryLater, backoff, next_check
from feeds.models import Source, SourceState
from feeds.store import Store


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
