"""A real server over a temporary output tree, run in a background thread."""

from __future__ import annotations

import importlib.util
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from feeds.serve.server import serve
from feeds.serve.web import StaticApp, make_app
from tests.conftest import free_port

SECRET = b"TOP-SECRET-CONTENT-0123456789"
RSS = (
    '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>综合新闻</title>\n'
    + "".join(f"<item><title>Item {i}</title><link>https://example.org/{i}.html</link></item>\n" for i in range(40))
    + "</channel></rss>\n"
).encode()
BACKENDS = ["granian", "uvicorn"] if importlib.util.find_spec("granian") else ["uvicorn"]


@dataclass
class Running:
    app: StaticApp
    root: Path
    port: int
    base: str

    def write(self, relative: str, data: bytes, *, mtime: float | None = None) -> Path:
        """Replace a file atomically, as the publisher does."""
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = target.parent / f".{target.name}.tmp"
        temp.write_bytes(data)
        if mtime is not None:
            os.utime(temp, (mtime, mtime))
        os.replace(temp, target)
        return target


def make_tree(base: Path) -> Path:
    root = base / "public"
    (root / "feeds").mkdir(parents=True)
    (root / "index.html").write_bytes(b"<!doctype html><title>feeds</title><p>index</p>")
    (root / "feeds" / "all.rss").write_bytes(RSS)
    (root / "feeds" / "all.atom").write_bytes(RSS.replace(b"rss", b"feed"))
    (root / "feeds" / "all.json").write_bytes(b'{"version": "https://jsonfeed.org/version/1.1", "items": []}')
    (root / "feeds" / "index.html").write_bytes(b"<p>feeds index</p>")
    (root / "opml.xml").write_bytes(b'<?xml version="1.0"?><opml version="2.0"/>')
    (root / "robots.txt").write_bytes(b"User-agent: *\n")
    (root / ".hidden").write_bytes(SECRET)
    (root / "feeds" / ".all.rss.tmp").write_bytes(SECRET)
    (base / "secret.txt").write_bytes(SECRET)
    (root / "feeds" / "leak.rss").symlink_to(base / "secret.txt")
    (root / "outside").symlink_to(base)
    (root / "inside.rss").symlink_to(root / "feeds" / "all.rss")
    os.utime(root / "feeds" / "all.rss", (1_700_000_000, 1_700_000_000))
    return root


@contextmanager
def running(base: Path, backend: str) -> Iterator[Running]:
    root = make_tree(base)
    app = make_app(root, refresh_interval=0.5)
    port = free_port()
    started = threading.Event()
    stop = threading.Event()
    failure: list[BaseException] = []

    def run() -> None:
        try:
            serve(app, "127.0.0.1", port, on_started=started.set, stop=stop, backend=backend)  # type: ignore[arg-type]
        except BaseException as exc:
            failure.append(exc)
            started.set()

    thread = threading.Thread(target=run, name="test-server", daemon=True)
    thread.start()
    assert started.wait(15), "server did not start"
    assert not failure, failure
    try:
        yield Running(app=app, root=root, port=port, base=f"http://127.0.0.1:{port}")
    finally:
        stop.set()
        thread.join(15)
        assert not thread.is_alive(), "server did not stop"
        assert not failure, failure


@pytest.fixture(scope="module", params=BACKENDS)
def server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    """One server per test module (and backend), for tests that change nothing on disk."""
    with running(tmp_path_factory.mktemp("serve"), request.param) as started:
        yield started


@pytest.fixture(params=BACKENDS)
def fresh_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Running]:
    """A server of its own, for tests that rewrite the tree."""
    with running(tmp_path, request.param) as started:
        yield started
