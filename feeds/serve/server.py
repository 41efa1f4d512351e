"""Run the ASGI application in the current process until told to stop.

``serve()`` owns an event loop (uvloop when installed) in the calling thread and
runs granian's embedded server on it (over RSGI, granian's own protocol, when
the app offers ``__rsgi__``), or uvicorn with httptools when granian is not
installed. Neither installs signal handlers of its own: the caller stops the
server by setting ``stop`` (a ``threading.Event``, so a signal handler or another
thread may set it). Without ``stop``, and in the main thread, SIGINT and SIGTERM
stop it. The ASGI lifespan runs, so the app's background tasks start and stop
with the server.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import logging
import signal
import threading
from collections.abc import Callable, Coroutine, Generator
from types import FrameType
from typing import Any, Literal

from feeds.errors import FeedsError

log = logging.getLogger(__name__)

Backend = Literal["auto", "granian", "uvicorn"]
STARTUP_TIMEOUT = 10.0
SHUTDOWN_TIMEOUT = 5.0
POLL_SECONDS = 0.1


class ServeError(FeedsError):
    """The HTTP server could not start or stopped on its own."""

    code = "serve"
    stage = "serve"


def serve(app: Any, host: str, port: int, *, on_started: Callable[[], None] | None = None,
          stop: threading.Event | None = None, backend: Backend = "auto") -> None:
    """Serve ``app`` on ``host:port`` until ``stop`` is set; returns once the server has shut down.

    ``on_started`` is called (on the server's thread) once the port accepts connections.
    Raises ``ServeError`` when the server cannot listen or exits unasked.
    """
    chosen = _backend(backend)
    own_stop = stop is None
    event = stop if stop is not None else threading.Event()
    with _signals_setting(event) if own_stop else contextlib.nullcontext():
        runner = _run_granian if chosen == "granian" else _run_uvicorn
        with asyncio.Runner(loop_factory=_loop_factory()) as loop_runner:
            loop_runner.run(runner(app, host, port, event, on_started))


def _backend(wanted: Backend) -> Literal["granian", "uvicorn"]:
    if wanted != "auto":
        return wanted
    return "granian" if importlib.util.find_spec("granian") is not None else "uvicorn"


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


@contextlib.contextmanager
def _signals_setting(event: threading.Event) -> Generator[None, None, None]:
    """SIGINT/SIGTERM set ``event`` while serving (main thread only)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        log.info("stopping", extra={"signal": signal.Signals(signum).name})
        event.set()

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


async def _until(stop: threading.Event, task: asyncio.Task[Any]) -> None:
    """Wait for ``stop`` (polled, so signal handlers run promptly) or for ``task`` to end."""
    while not stop.is_set() and not task.done():
        await asyncio.wait({task}, timeout=POLL_SECONDS)


async def _listening(host: str, port: int, task: asyncio.Task[Any]) -> None:
    """Return once ``host:port`` accepts a connection; ``ServeError`` if the server gave up or never did."""
    target = "127.0.0.1" if host in ("0.0.0.0", "") else "::1" if host == "::" else host
    deadline = asyncio.get_running_loop().time() + STARTUP_TIMEOUT
    while not task.done():
        try:
            _reader, writer = await asyncio.open_connection(target, port)
        except OSError:
            if asyncio.get_running_loop().time() > deadline:
                raise ServeError(f"nothing listens on {host}:{port} after {STARTUP_TIMEOUT:.0f} s") from None
            await asyncio.sleep(0.02)
            continue
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        return
    raise ServeError(f"the server on {host}:{port} exited while starting (is the port in use?)")


async def _supervise(start: Coroutine[Any, Any, None], host: str, port: int, stop: threading.Event,
                     on_started: Callable[[], None] | None, ask_stop: Callable[[], None],
                     wait_ready: Callable[[asyncio.Task[None]], Coroutine[Any, Any, None]]) -> None:
    task = asyncio.get_running_loop().create_task(start)
    try:
        await wait_ready(task)
        log.info("http server started", extra={"url": f"http://{host}:{port}/"})
        if on_started is not None:
            on_started()
        await _until(stop, task)
        if task.done() and not stop.is_set():
            raise ServeError(f"the server on {host}:{port} stopped on its own")
    finally:
        ask_stop()
        try:
            await asyncio.wait_for(asyncio.shield(task), SHUTDOWN_TIMEOUT)
        except TimeoutError:
            log.warning("http server did not stop in time", extra={"timeout_s": SHUTDOWN_TIMEOUT})
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        except Exception:
            log.exception("http server failed while stopping")
        log.info("http server stopped")


# ---------------------------------------------------------------------- granian


class _NotExperimental(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "experimental" not in record.getMessage()


_QUIET = _NotExperimental()
# granian's records go to the service's handlers, at WARNING and above
_GRANIAN_LOGGING: dict[str, Any] = {
    "loggers": {
        "_granian": {"handlers": [], "propagate": True},
        "granian.access": {"handlers": [], "propagate": False, "level": "WARNING"},
    },
}


async def _run_granian(app: Any, host: str, port: int, stop: threading.Event,
                       on_started: Callable[[], None] | None) -> None:
    from granian.constants import HTTPModes, Interfaces
    from granian.log import LogLevels
    from granian.server.embed import Server

    # granian's own protocol (RSGI) when the app speaks it: no ASGI messages per request
    interface = Interfaces.RSGI if hasattr(app, "__rsgi__") else Interfaces.ASGI
    server = Server(app, address=host, port=port, interface=interface, http=HTTPModes.http1,
                    websockets=False, log_level=LogLevels.warning, log_dictconfig=_GRANIAN_LOGGING)
    logging.getLogger("_granian").addFilter(_QUIET)
    await _supervise(server.serve(), host, port, stop, on_started, server.stop,
                     lambda task: _listening(host, port, task))


# ---------------------------------------------------------------------- uvicorn


async def _run_uvicorn(app: Any, host: str, port: int, stop: threading.Event,
                       on_started: Callable[[], None] | None) -> None:
    import uvicorn

    class _Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Generator[None, None, None]:  # the caller owns the signals
            yield

    http = "httptools" if importlib.util.find_spec("httptools") is not None else "h11"
    config = uvicorn.Config(app, host=host, port=port, http=http, lifespan="on", log_config=None,
                            access_log=False, server_header=False)
    server = _Server(config)

    async def ready(task: asyncio.Task[None]) -> None:
        while not server.started:
            if task.done():
                raise ServeError(f"the server on {host}:{port} exited while starting (is the port in use?)")
            await asyncio.sleep(0.02)

    def ask_stop() -> None:
        server.should_exit = True

    async def run() -> None:
        try:
            await server.serve()
        except SystemExit:  # uvicorn exits when it cannot bind
            raise ServeError(f"cannot listen on {host}:{port}") from None

    await _supervise(run(), host, port, stop, on_started, ask_stop, ready)
