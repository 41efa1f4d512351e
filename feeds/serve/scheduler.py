"""The service: APScheduler runs ingest → publish every cycle beside the HTTP server.

One process: a ``BackgroundScheduler`` thread runs the cycle job (never two at
once, missed runs coalesced) while the main thread serves the output tree.
SIGINT and SIGTERM stop the server, then let a running cycle finish its
current write before the process exits.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType

from apscheduler.schedulers.background import BackgroundScheduler

from feeds.config import Settings
from feeds.serve.jobs import build, ingest
from feeds.serve.server import serve
from feeds.serve.web import make_app
from feeds.store import Store

log = logging.getLogger(__name__)


class Cycle:
    """Ingest every source, then publish when something changed (or on the first run)."""

    def __init__(
        self, settings: Settings, store: Store, on_written: Callable[[Sequence[Path]], object] | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self.on_written = on_written
        self.built_once = False
        self.last_ok: datetime | None = None

    def __call__(self) -> None:
        try:
            report = ingest(self.settings, self.store)
            if report.dirty or not self.built_once:
                written = build(self.settings, self.store, only=report.dirty if self.built_once else None)
                self.built_once = True
                if self.on_written is not None and written:
                    self.on_written(written)
            self.last_ok = datetime.now(UTC)
        except Exception:
            log.exception("cycle failed")


def run_service(settings: Settings) -> None:
    store = Store.open(settings.database_url)
    app = make_app(settings.output_dir)
    stop = threading.Event()
    cycle = Cycle(settings, store, on_written=app.tree.invalidate)

    scheduler = BackgroundScheduler(
        timezone=UTC,
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": settings.cycle_seconds},
    )
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
