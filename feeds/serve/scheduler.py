"""The service: APScheduler runs the tick, publish and prune jobs beside the HTTP server.

One process: a ``BackgroundScheduler`` thread runs the jobs while the main
thread serves the output tree. The jobs never overlap (one lock), and every
one is coalesced with ``max_instances=1`` and a misfire grace time:

* ``tick`` every ``[schedule] tick_seconds``: scans the capture folders and
  runs the sources that are due, claimed by ``next_check_at`` in the database
  (``jobs.ingest``), ``[schedule] concurrency`` at a time. All scheduling state
  is in the database, so a restart resumes where it stopped.
* ``publish``: rewrites the feeds of the categories that changed, at most once
  every ``[schedule] publish_delay_seconds`` (changes arriving meanwhile wait
  for one later publish); the first tick of a process publishes everything.
  The WebSub hub, if any, is pinged from a thread of its own (``Pinger``), so
  a slow hub holds up no job.
* ``prune`` every ``[schedule] prune_hours``: applies ``[retention]``.

A refresh asked for over HTTP (``POST /admin/refresh``) runs as a one-off job
that waits for a running job to finish and publishes at once. Each tick
first reads the configuration again when its files changed, SIGHUP at once
(``feeds.serve.reload``). SIGINT and SIGTERM stop the server, then let a
running job finish its current write before the process exits.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from feeds.config import Settings
from feeds.publish.websub import Pinger
from feeds.robots import RobotsCache
from feeds.serve.jobs import build, ingest, prune
from feeds.serve.metrics import ServiceMetrics
from feeds.serve.reload import ConfigWatch
from feeds.serve.server import serve
from feeds.serve.status import StatusRoutes
from feeds.serve.web import make_app
from feeds.store import Store

log = logging.getLogger(__name__)


class Cycle:
    """The jobs of the service over one settings and store; calling it runs a tick.

    ``request(source_id)`` queues a source for ``run_requested()``, which ingests
    the queued sources at once (due or not) and publishes without delay. A
    publish that must wait for ``publish_delay_seconds`` is handed to
    ``later(seconds)``, which runs ``publish()`` then (without it, it runs now).
    """

    def __init__(
        self,
        settings: Settings,
        store: Store,
        on_written: Callable[[Sequence[Path]], object] | None = None,
        metrics: ServiceMetrics | None = None,
        later: Callable[[float], object] | None = None,
        pinger: Pinger | None = None,
        watch: ConfigWatch | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.on_written = on_written
        self.metrics = metrics if metrics is not None else ServiceMetrics()
        self.later = later
        self.pinger = pinger
        self.watch = watch  # the configuration, reloaded at each tick when its files changed
        self.on_reload: Callable[[Settings], object] | None = None
        self.built_once = False
        self.last_ok: datetime | None = None
        self._lock = threading.Lock()
        self._pending: set[str] = set()  # categories changed and not yet published
        self._published_at: float | None = None  # time.monotonic() of the last publish
        self._requested: set[str] = set()
        self._requested_lock = threading.Lock()
        self.stop = threading.Event()  # set when the service stops: the running ingest winds down
        self.robots = RobotsCache()  # robots.txt of the hosts of page sources, kept across ticks

    def __call__(self) -> None:
        with self._lock:
            self._reload()
            self._run(None)

    def reload(self) -> None:
        """A tick now that reads the configuration again, changed files or not (SIGHUP)."""
        if self.watch is not None:
            self.watch.ask()
        self()

    def _reload(self) -> None:
        new = self.watch.changed() if self.watch is not None else None
        if new is None:
            return
        self.settings = new
        self.built_once = False  # categories, titles or rules may have changed: the next publish writes everything
        if self.on_reload is not None:
            self.on_reload(new)

    def request(self, source_id: str) -> None:
        with self._requested_lock:
            self._requested.add(source_id)

    def run_requested(self) -> None:
        """Ingest the sources queued by ``request()`` (those queued while this waits are included)."""
        with self._lock:
            with self._requested_lock:
                wanted, self._requested = self._requested, set()
            if wanted:
                self._run(sorted(wanted), now=True)

    def publish(self) -> None:
        """Publish what changed since the last publish (the delayed publish job)."""
        with self._lock:
            try:
                self._publish()
            except Exception:
                log.exception("publish failed")

    def prune(self) -> None:
        """Apply the retention settings (the prune job)."""
        with self._lock:
            try:
                prune(self.settings, self.store)
            except Exception:
                log.exception("prune failed")

    def _run(self, source_ids: Iterable[str] | None, *, now: bool = False) -> None:
        started = time.monotonic()
        try:
            report = ingest(self.settings, self.store, source_ids=source_ids, stop=self.stop, robots=self.robots)
            self.metrics.record_ingest(report)
            self._pending |= report.dirty
            if self.stop.is_set():
                return  # the next start publishes everything anyway
            self._after_ingest(now=now)
        except Exception:
            log.exception("cycle failed")
            return
        self.metrics.cycle_seconds.observe(time.monotonic() - started)
        self.last_ok = datetime.now(UTC)
        self.metrics.cycle_done(self.last_ok.timestamp())

    def _after_ingest(self, *, now: bool) -> None:
        if self.built_once and not self._pending:
            return
        delay = self.settings.schedule.publish_delay_seconds
        wait = 0.0 if self._published_at is None else delay - (time.monotonic() - self._published_at)
        if now or wait <= 0 or self.later is None or not self.built_once:
            self._publish()
        else:
            self.later(wait)

    def _publish(self) -> None:
        if self.built_once and not self._pending:
            return
        started = time.monotonic()
        only, self._pending = (set(self._pending) if self.built_once else None), set()
        try:
            written = build(self.settings, self.store, only=only, pinger=self.pinger)
        except Exception:
            self._pending |= only or set()
            raise
        self._published_at = time.monotonic()
        self.metrics.publish_seconds.observe(self._published_at - started)
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
    schedule = settings.schedule

    def later(seconds: float) -> None:
        when = datetime.now(UTC) + timedelta(seconds=seconds)
        scheduler.add_job(cycle.publish, "date", run_date=when, id="publish", replace_existing=True)

    pinger = Pinger() if settings.websub_hub else None
    cycle = Cycle(settings, store, metrics=metrics, later=later, pinger=pinger, watch=ConfigWatch(settings))

    def refresh(source_id: str) -> None:
        cycle.request(source_id)
        # two instances at most: one running, one waiting for it that will take whatever is queued by then
        scheduler.add_job(cycle.run_requested, id="refresh", replace_existing=True, max_instances=2)

    status = StatusRoutes(
        settings, store, metrics, last_good=lambda: cycle.last_ok, scheduler_running=lambda: scheduler.running,
        refresh=refresh,
    )  # fmt: skip

    def reloaded(new: Settings) -> None:
        status.settings = new

    cycle.on_reload = reloaded
    app = make_app(settings.output_dir, cache_control=settings.cache_control, extra_routes=status.routes())
    metrics.count_requests(lambda: app.requests)
    cycle.on_written = app.tree.invalidate
    scheduler.add_job(cycle, "interval", seconds=schedule.tick_seconds, id="tick", next_run_time=datetime.now(UTC))
    if settings.retention.days:
        first_prune = datetime.now(UTC) + timedelta(minutes=1)
        scheduler.add_job(cycle.prune, "interval", hours=schedule.prune_hours, id="prune", next_run_time=first_prune)

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        cycle.stop.set()
        stop.set()

    def _reload(signum: int, _frame: FrameType | None) -> None:
        log.info("reloading the configuration", extra={"signal": signal.Signals(signum).name})
        scheduler.add_job(cycle.reload, id="reload", replace_existing=True)

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    if hasattr(signal, "SIGHUP"):
        previous[signal.SIGHUP] = signal.signal(signal.SIGHUP, _reload)
    scheduler.start()
    log.info(
        "service started",
        extra={
            "url": f"http://{settings.server_host}:{settings.server_port}/",
            "tick_s": schedule.tick_seconds,
            "concurrency": schedule.concurrency,
        },
    )
    try:
        serve(app, settings.server_host, settings.server_port, stop=stop)
    finally:
        cycle.stop.set()
        scheduler.shutdown(wait=True)
        if pinger is not None:
            pinger.close()
        store.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        log.info("service stopped")
    _exit_if_abandoned()


def _exit_if_abandoned() -> None:
    """End the process now if fetches abandoned at stop are still running.

    Their threads would otherwise hold the interpreter's exit until their
    requests time out. Nothing is left half-written: they only fetch and store
    articles one transaction at a time, and their sources were released.
    """
    if any(t.name.startswith("ingest") and t.is_alive() for t in threading.enumerate()):
        log.warning("abandoned fetches still running at exit")
        logging.shutdown()
        os._exit(0)
