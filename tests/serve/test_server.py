"""serve(): starts, calls on_started, stops on the event, runs the lifespan, reports a port it cannot use."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import httpx
import pytest

from feeds.serve.server import ServeError, serve
from feeds.serve.web import RouteResult, Scope, make_app
from tests.conftest import free_port
from tests.serve.conftest import BACKENDS


def start(app: object, port: int, backend: str) -> tuple[threading.Thread, threading.Event, list[BaseException]]:
    started = threading.Event()
    stop = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            serve(app, "127.0.0.1", port, on_started=started.set, stop=stop, backend=backend)  # type: ignore[arg-type]
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not started.is_set() and thread.is_alive() and time.monotonic() < deadline:
        time.sleep(0.02)
    return thread, stop, failure


@pytest.mark.parametrize("backend", BACKENDS)
def test_lifespan_starts_and_stops_the_refresh(tmp_path: Path, backend: str) -> None:
    (tmp_path / "index.html").write_bytes(b"<p>hi</p>")
    app = make_app(tmp_path)
    thread, stop, failure = start(app, free_port(), backend)
    assert not failure, failure
    task = app.tree._task
    assert task is not None and not task.done()
    stop.set()
    thread.join(15)
    assert not thread.is_alive()
    assert not failure, failure
    assert app.tree._task is None and task.done()


@pytest.mark.parametrize("backend", BACKENDS)
def test_extra_routes(tmp_path: Path, backend: str) -> None:
    seen: list[str] = []

    async def healthz(scope: Scope) -> RouteResult:
        seen.append(scope["path"])
        return 200, [(b"content-type", b"application/json")], b'{"ok": true}'

    app = make_app(tmp_path, extra_routes={"/healthz": healthz})
    port = free_port()
    thread, stop, failure = start(app, port, backend)
    try:
        assert not failure, failure
        response = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
        assert response.status_code == 200
        assert response.json() == {"ok": True}
        assert response.headers["content-length"] == "12"
        assert httpx.head(f"http://127.0.0.1:{port}/healthz", timeout=5).content == b""
        assert httpx.post(f"http://127.0.0.1:{port}/healthz", timeout=5).status_code == 405
        assert httpx.get(f"http://127.0.0.1:{port}/healthz/x", timeout=5).status_code == 404
        assert seen == ["/healthz", "/healthz"]
    finally:
        stop.set()
        thread.join(15)
    assert not thread.is_alive()


@pytest.mark.parametrize("backend", BACKENDS)
def test_port_in_use_raises(tmp_path: Path, backend: str) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        # something else answers on the port: a plain listener that never speaks HTTP is enough
        thread, stop, failure = start(make_app(tmp_path), port, backend)
        stop.set()
        thread.join(15)
    assert not thread.is_alive()
    assert failure and isinstance(failure[0], ServeError), failure
