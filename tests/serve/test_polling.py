"""``backoff`` and ``next_check``: when a source is looked at again."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from feeds.serve.jobs.polling import backoff, next_check

NOW = datetime(2024, 4, 12, 10, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


class Top(random.Random):
    """Always draws the top of the range, to see the ceiling."""

    def uniform(self, a: float, b: float) -> float:
        return b


def test_backoff_ceiling_doubles_then_caps() -> None:
    ceilings = [backoff(n, base=60, max_interval=3600, rng=Top()) for n in range(1, 10)]
    assert ceilings == [60, 120, 240, 480, 960, 1920, 3600, 3600, 3600]
    assert backoff(0, base=60, max_interval=3600) == 0.0
    assert backoff(10_000, base=60, max_interval=3600, rng=Top()) == 3600  # no overflow, no hard stop


def test_backoff_is_jittered_below_the_ceiling() -> None:
    rng = random.Random(7)
    draws = [backoff(4, base=60, max_interval=3600, rng=rng) for _ in range(200)]
    assert all(0 <= d <= 480 for d in draws)
    assert len(set(draws)) == 200
    assert min(draws) < 120 and max(draws) > 360  # spread over the whole range
    late = [backoff(30, base=60, max_interval=3600, rng=rng) for _ in range(200)]
    assert sum(late) / len(late) > sum(draws) / len(draws)  # grows with failures on average
    assert max(late) <= 3600


def _check(**kwargs: object) -> timedelta:
    when = next_check(NOW, interval=30 * MINUTE, min_interval=5 * MINUTE, max_interval=1440 * MINUTE, **kwargs)  # type: ignore[arg-type]
    return when - NOW


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, 30 * MINUTE),
        ({"ttl_minutes": 60}, 60 * MINUTE),
        ({"ttl_minutes": 10}, 30 * MINUTE),
        ({"max_age": 7200}, 120 * MINUTE),
        ({"retry_after": NOW + timedelta(hours=3)}, 180 * MINUTE),
        ({"retry_after": NOW + timedelta(days=30)}, 1440 * MINUTE),  # clamped to max_interval
        ({"ttl_minutes": 60, "max_age": 600, "retry_after": NOW + timedelta(hours=2)}, 120 * MINUTE),
    ],
)
def test_next_check_takes_the_longest_hint(kwargs: dict[str, object], expected: timedelta) -> None:
    assert _check(**kwargs) == expected


def test_next_check_clamps_to_min_interval() -> None:
    when = next_check(NOW, interval=timedelta(seconds=1), min_interval=5 * MINUTE, max_interval=60 * MINUTE)
    assert when == NOW + 5 * MINUTE


def test_observed_interval_is_half_the_mean_gap_of_the_newest_entries() -> None:
    from datetime import UTC, datetime, timedelta

    from feeds.serve.jobs.polling import observed_interval

    start = datetime(2024, 1, 1, tzinfo=UTC)
    hourly = [start + timedelta(hours=h) for h in range(24)]
    assert observed_interval(hourly, fallback=timedelta(days=1)) == timedelta(minutes=30)
    weekly = [start + timedelta(weeks=w) for w in range(3)]
    assert observed_interval(weekly, fallback=timedelta(hours=1)) == timedelta(days=3, hours=12)
    assert observed_interval([start], fallback=timedelta(hours=2)) == timedelta(hours=2)
