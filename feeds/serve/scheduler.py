"""The service: APScheduler runs ingest → publish every cycle beside the HTTP server.

One process: a ``BackgroundScheduler`` thread runs the cycle job (never two at
once, missed runs coalesced) while the main thread serves the output tree.
A refresh asked for over HTTP (``POST /admin/refresh``) runs as a one-off job
that waits for a running cycle to finish. SIGINT and SIGTERM stop the server,
then let a running cycle finish its current write before the process exits.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from feeds.config import Settings
from feeds.serve.jobs import IngestReport, build, ingest
from feeds.serve.metrics import ServiceMetrics
from feeds.serve.server import serve
from feeds.serve.status import StatusRoutes
from feeds.serve.web import make_app
from feeds.store import Store

log = logging.getLogger(__name__)


class Cycle:
    """Ingest every source, then publish when something changed (or on the first run).

    ``request(source_id)`` queues a source for ``run_requested()``, which ingests the
    queued sources at once (due or not). Runs never overlap.
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        on_written: Callable[[Sequence[Path]], object] | None = None,
        metrics: ServiceMetrics | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.on_written = on_written
        self.metrics = metrics if metrics is not None else ServiceMetrics()
        self.built_once = False
        self.last_ok: datetime | None = None
        self._lock = threading.Lock()
        self._requested: set[str] = set()
        self._requested_lock = threading.Lock()

    def __call__(self) -> None:
        with self._lock:
            self._run(None)

    def request(self, source_id: str) -> None:
        with self._requested_lock:
            self._requested.add(source_id)

    def run_requested(self) -> None:
        """Ingest the sources queued by ``request()`` (those queued while this waits are included)."""
        with self._lock:
            with self._requested_lock:
                wanted, self._requested = self._requested, set()
            if wanted:
                self._run(sorted(wanted))

    def _run(self, source_ids: Iterable[str] | None) -> None:
        started = time.monotonic()
        try:
            report = ingest(self.settings, self.store, source_ids=source_ids)
            self.metrics.record_ingest(report)
            self._publish(report)
        except Exception:
            log.exception("cycle failed")
            return
        self.metrics.cycle_seconds.observe(time.monotonic() - started)
        self.last_ok = datetime.now(UTC)
        self.metrics.cycle_done(self.last_ok.timestamp())

    def _publish(self, report: IngestReport) -> None:
        if not report.dirty and self.built_once:
            return
        started = time.monotonic()
        written = build(self.settings, self.store, only=report.dirty if self.built_once else None)
        self.metrics.publish_seconds.observe(time.monotonic() - started)
        self.built_once = True
        if self.on_written is not None and written:
            self.on_written(written)


def run_service(settings: Settings) -> None:
    store = Store.open(settings.database_url)
    metrics = ServiceMetrics()
    stop = threading.Event()
    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": settings.cycle_seconds},
    )
    cycle = Cycle(settings, store, metrics=metrics)

    def refresh(source_id: str) -> None:
        cycle.request(source_id)
        # two instances at most: one running, one waiting for it that will take whatever is queued by then
        scheduler.add_job(cycle.run_requested, id="refresh", replace_existing=True, max_instances=2)

    status = StatusRoutes(
        settings, store, metrics, last_good=lambda: cycle.last_ok, scheduler_running=lambda: scheduler.running,
        refresh=refresh,
    )  # fmt: skip
    app = make_app(settings.output_dir, cache_control=settings.cache_control, extra_routes=status.routes())
    metrics.count_requests(lambda: app.requests)
    cycle.on_written = app.tree.invalidate
    scheduler.add_job(cycle, "interval", seconds=settings.cycle_seconds, id="cycle", next_run_time=datetime.now(UTC))

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        stop.set()

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    scheduler.start()
    log.info(
        "service started",
        extra={"url": f"http://{settings.server_host}:{settings.server_port}/", "cycle_s": settings.cycle_seconds},
    )
    try:
        serve(app, settings.server_host, settings.server_port, stop=stop)
    finally:
        scheduler.shutdown(wait=True)
        store.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info("service stopped")
