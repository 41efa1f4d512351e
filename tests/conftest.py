"""Shared test helpers.

Tests that need PostgreSQL or ``../shared`` skip when it is missing on a
developer's machine, and fail under ``CI=true``, where it must be there.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SEED = FIXTURES / "seed" / "000_3f7fc0ed3a60827e.txt"
ATOM_RNG = Path(__file__).resolve().parent / "schemas" / "atom.rng"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def require(condition: bool, why: str) -> None:
    """Skip on a developer machine, fail in CI, when a test's prerequisite is missing."""
    if condition:
        return
    if IN_CI:
        pytest.fail(f"CI=true but {why}")
    pytest.skip(why)


def shared_dir() -> Path:
    """``../shared`` beside the checkout (or ``FEEDS_SHARED_DIR``)."""
    return Path(os.environ.get("FEEDS_SHARED_DIR", ROOT.parent / "shared"))


@pytest.fixture(autouse=True)
def _root_logger_restored() -> Iterator[None]:
    """A test that runs the CLI in-process points the root logger at its captured stderr; later tests get it back."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


@pytest.fixture
def postgres_url() -> Iterator[str]:
    url = os.environ.get("FEEDS_TEST_POSTGRES_URL")
    require(bool(url), "FEEDS_TEST_POSTGRES_URL is not set (PostgreSQL store tests)")
    assert url is not None
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import OperationalError

    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except OperationalError as exc:
        require(False, f"PostgreSQL at FEEDS_TEST_POSTGRES_URL is not reachable: {exc}")
    finally:
        engine.dispose()
    yield url


@contextmanager
def local_server(handler: type[BaseHTTPRequestHandler]) -> Iterator[ThreadingHTTPServer]:
    """A threaded HTTP server on a free loopback port answering with ``handler``; shut down on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True).start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_instance(root: Path, *, port: int = 8080, cycle_seconds: int = 300) -> Path:
    """A complete instance under ``root``: config/ (bundled categories and disclaimers),
    an inbox with the bundled sample captures, var/ and public/ beside it. Returns the config dir."""
    import shutil

    config = root / "config"
    config.mkdir(parents=True)
    for name in ("categories.toml", "disclaimers.toml"):
        shutil.copy(ROOT / "config" / name, config / name)
    shutil.copytree(ROOT / "config" / "samples" / "inbox", root / "inbox")
    (config / "feeds.toml").write_text(
        f"""
[database]
url = "sqlite:///var/feeds.db"
[output]
dir = "public"
base_url = "http://127.0.0.1:{port}/"
[server]
host = "127.0.0.1"
port = {port}
[schedule]
tick_seconds = {cycle_seconds}
publish_delay_seconds = 1
""",
        encoding="utf-8",
    )
    (config / "sources.toml").write_text(
        """
[[source]]
id = "inbox"
kind = "capture"
path = "inbox"
category = "news"
""",
        encoding="utf-8",
    )
    return config
