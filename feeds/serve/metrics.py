"""Counters, gauges and histograms of the service, rendered in the Prometheus text format 0.0.4.

Writers are the scheduler's threads (a few updates per cycle), so every metric
takes its own lock; ``render()`` copies under the same locks. Request counts
are kept by the ASGI app in a plain dictionary (one increment per request on
the event loop) and read here through a callable when rendering.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from feeds.serve.jobs import IngestReport

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
# seconds: a cycle of a few local sources takes milliseconds, one of slow remote feeds minutes
DURATION_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0)
OUTCOMES = ("new", "updated", "unchanged", "failed", "error")

Labels = tuple[tuple[str, str], ...]


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    if float(value).is_integer() and abs(value) < 2**53:
        return str(int(value))
    return repr(float(value))


def escape_label(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def escape_help(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n")


def sample_line(name: str, labels: Labels, value: float) -> str:
    if labels:
        inner = ",".join(f'{key}="{escape_label(val)}"' for key, val in labels)
        return f"{name}{{{inner}}} {format_value(value)}"
    return f"{name} {format_value(value)}"


class Metric(Protocol):
    name: str

    def render(self) -> list[str]: ...


M = TypeVar("M", bound=Metric)


class _Base:
    kind = "untyped"

    def __init__(self, name: str, help_text: str) -> None:
        self.name = name
        self.help = help_text
        self._lock = threading.Lock()

    def header(self) -> list[str]:
        return [f"# HELP {self.name} {escape_help(self.help)}", f"# TYPE {self.name} {self.kind}"]


class Counter(_Base):
    """A monotonically increasing count, optionally split by one label."""

    kind = "counter"

    def __init__(self, name: str, help_text: str, label: str | None = None, initial: Iterable[str] = ()) -> None:
        super().__init__(name, help_text)
        self.label = label
        self._values: dict[str, float] = {value: 0.0 for value in initial} if label else {"": 0.0}

    def inc(self, amount: float = 1.0, label: str = "") -> None:
        if amount < 0:
            raise ValueError("a counter only goes up")
        with self._lock:
            self._values[label] = self._values.get(label, 0.0) + amount

    def value(self, label: str = "") -> float:
        with self._lock:
            return self._values.get(label, 0.0)

    def render(self) -> list[str]:
        with self._lock:
            values = sorted(self._values.items())
        lines = self.header()
        for label, value in values:
            labels: Labels = ((self.label, label),) if self.label else ()
            lines.append(sample_line(self.name, labels, value))
        return lines


class CallbackCounter(_Base):
    """A counter by one label whose values are read from ``source`` when rendering."""

    kind = "counter"

    def __init__(self, name: str, help_text: str, label: str, source: Callable[[], Mapping[Any, float]]) -> None:
        super().__init__(name, help_text)
        self.label = label
        self.source = source

    def render(self) -> list[str]:
        values = sorted((str(key), value) for key, value in dict(self.source()).items())
        return self.header() + [sample_line(self.name, ((self.label, key),), value) for key, value in values]


class Gauge(_Base):
    """A value that is set; not rendered until it is."""

    kind = "gauge"

    def __init__(self, name: str, help_text: str) -> None:
        super().__init__(name, help_text)
        self._value: float | None = None

    def set(self, value: float) -> None:
        with self._lock:
            self._value = value

    def value(self) -> float | None:
        with self._lock:
            return self._value

    def render(self) -> list[str]:
        value = self.value()
        return self.header() + ([] if value is None else [sample_line(self.name, (), value)])


class Histogram(_Base):
    """Observations counted into fixed cumulative buckets, with their sum and count."""

    kind = "histogram"

    def __init__(self, name: str, help_text: str, buckets: Sequence[float] = DURATION_BUCKETS) -> None:
        super().__init__(name, help_text)
        if list(buckets) != sorted(set(buckets)) or not buckets:
            raise ValueError("buckets must be distinct and increasing")
        self.buckets = tuple(float(b) for b in buckets)
        self._counts = [0] * len(self.buckets)
        self._sum = 0.0
        self._count = 0

    def observe(self, value: float) -> None:
        with self._lock:
            for i, bound in enumerate(self.buckets):
                if value <= bound:
                    self._counts[i] += 1
                    break
            self._sum += value
            self._count += 1

    def count(self) -> int:
        with self._lock:
            return self._count

    def render(self) -> list[str]:
        with self._lock:
            counts, total, count = list(self._counts), self._sum, self._count
        lines = self.header()
        running = 0
        for bound, n in zip(self.buckets, counts, strict=True):
            running += n
            lines.append(sample_line(f"{self.name}_bucket", (("le", format_value(bound)),), running))
        lines.append(sample_line(f"{self.name}_bucket", (("le", "+Inf"),), count))
        lines.append(sample_line(f"{self.name}_sum", (), total))
        lines.append(sample_line(f"{self.name}_count", (), count))
        return lines


class Registry:
    """Metrics in the order they were added; ``render()`` is the body of ``/metrics``."""

    def __init__(self) -> None:
        self._metrics: list[Metric] = []
        self._lock = threading.Lock()

    def add(self, metric: M) -> M:
        with self._lock:
            if any(m.name == metric.name for m in self._metrics):
                raise ValueError(f"metric {metric.name!r} is already registered")
            self._metrics.append(metric)
        return metric

    def render(self) -> str:
        with self._lock:
            metrics = list(self._metrics)
        return "".join(line + "\n" for metric in metrics for line in metric.render())


class ServiceMetrics:
    """The metrics of the running service."""

    def __init__(self, requests: Callable[[], Mapping[int, int]] | None = None) -> None:
        self.registry = Registry()
        self.fetches = self.registry.add(
            Counter(
                "feeds_fetches_total",
                "Source runs by outcome: error (the source failed), failed (a document failed), "
                "else new, updated or unchanged (the most telling of its documents).",
                label="outcome",
                initial=OUTCOMES,
            )
        )
        self.items = self.registry.add(Counter("feeds_items_ingested_total", "Articles stored new or updated."))
        self.source_seconds = self.registry.add(
            Histogram("feeds_source_duration_seconds", "Duration of the run of one source (fetch, extract, store).")
        )
        self.cycle_seconds = self.registry.add(
            Histogram("feeds_cycle_duration_seconds", "Duration of an ingest and publish cycle.")
        )
        self.publish_seconds = self.registry.add(
            Histogram("feeds_publish_duration_seconds", "Duration of the publishing of feeds.")
        )
        self.last_good_cycle = self.registry.add(
            Gauge("feeds_last_good_cycle_timestamp_seconds", "Unix time at which the last cycle completed.")
        )
        self._requests: Callable[[], Mapping[int, int]] = requests or dict
        self.registry.add(
            CallbackCounter(
                "feeds_feed_requests_total",
                "Responses of the published tree by HTTP status.",
                "status",
                lambda: self._requests(),
            )
        )

    def count_requests(self, source: Callable[[], Mapping[int, int]]) -> None:
        """Read the request counts from ``source`` (the ASGI app's ``requests``)."""
        self._requests = source

    def record_ingest(self, report: IngestReport) -> None:
        for result in report.sources:
            if not result.ran:
                continue
            self.source_seconds.observe(result.seconds)
            self.fetches.inc(label=outcome(result.error, result.failed, result.new, result.updated))
            self.items.inc(result.new + result.updated)

    def cycle_done(self, at: float | None = None) -> None:
        self.last_good_cycle.set(time.time() if at is None else at)

    def render(self) -> str:
        return self.registry.render()


def outcome(error: str | None, failed: int, new: int, updated: int) -> str:
    if error is not None:
        return "error"
    if failed:
        return "failed"
    if new:
        return "new"
    if updated:
        return "updated"
    return "unchanged"
