"""A fake upstream web server on 127.0.0.1: one behaviour per path, requests recorded."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler

import brotli
import pytest

from feeds.fetch import Fetcher, FetchPolicy
from tests.conftest import local_server

Route = Callable[[BaseHTTPRequestHandler], None]
FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title><item><guid>1</guid></item></channel></rss>'
ETAG = '"v1"'
LAST_MODIFIED = "Fri, 12 Apr 2024 02:30:00 GMT"
GB_FEED = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>政协新闻</title>'
    "<item><guid>1</guid><title>朱镕基会见代表</title></item></channel></rss>"
).encode("gb18030")
HUGE = 100 * 1024 * 1024


@dataclass
class Upstream:
    port: int
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    active: int = 0
    max_active: int = 0
    huge_sent: int = 0
    huge_closed: threading.Event = field(default_factory=threading.Event)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def headers_of(self, path: str) -> list[dict[str, str]]:
        return [headers for seen, headers in self.requests if seen == path]


def _send(handler: BaseHTTPRequestHandler, status: int, body: bytes = b"", **headers: str) -> None:
    handler.send_response(status)
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


def _not_found(handler: BaseHTTPRequestHandler) -> None:
    _send(handler, 404)


def _routes(upstream: Upstream) -> dict[str, Route]:
    def feed(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == ETAG:
            _send(h, 304, ETag=ETAG)
        else:
            cache = "public, max-age=900"
            _send(
                h,
                200,
                FEED,
                Content_Type="application/rss+xml",
                ETag=ETAG,
                Last_Modified=LAST_MODIFIED,
                Cache_Control=cache,
            )

    def redirect(status: int, to: str) -> Route:
        return lambda h: _send(h, status, Location=to)

    def concurrent(h: BaseHTTPRequestHandler) -> None:
        with upstream.lock:
            upstream.active += 1
            upstream.max_active = max(upstream.max_active, upstream.active)
        time.sleep(0.15)
        with upstream.lock:
            upstream.active -= 1
        _send(h, 200, FEED)

    def huge(declared: bool) -> Route:
        def route(h: BaseHTTPRequestHandler) -> None:
            h.send_response(200)
            h.send_header("Content-Type", "application/rss+xml")
            if declared:
                h.send_header("Content-Length", str(HUGE))
            h.end_headers()
            chunk = b"x" * 65536
            try:
                for _ in range(HUGE // len(chunk)):
                    h.wfile.write(chunk)
                    upstream.huge_sent += len(chunk)
            except OSError:
                upstream.huge_closed.set()

        return route

    def slow(h: BaseHTTPRequestHandler) -> None:
        time.sleep(1.5)
        _send(h, 200, FEED)

    def many(h: BaseHTTPRequestHandler) -> None:
        number = int(h.path.rsplit("/", 1)[1])
        _send(h, 302, Location=f"/many/{number + 1}")

    return {
        "/feed": feed,
        "/same": lambda h: _send(h, 200, FEED, Content_Type="text/xml"),
        "/moved": redirect(301, "/feed"),
        "/moved-again": redirect(308, "/moved"),
        "/found": redirect(302, "/feed"),
        "/moved-then-found": redirect(301, "/found"),
        "/temporary": redirect(307, "/feed"),
        "/gone": lambda h: _send(h, 410),
        "/busy-seconds": lambda h: _send(h, 429, Retry_After="120"),
        "/busy-date": lambda h: _send(h, 503, Retry_After="Wed, 21 Oct 2037 07:28:00 GMT"),
        "/error": lambda h: _send(h, 500, b"oops"),
        "/not-found": lambda h: _send(h, 404),
        "/slow": slow,
        "/huge": huge(declared=False),
        "/huge-declared": huge(declared=True),
        "/loop-a": redirect(302, "/loop-b"),
        "/loop-b": redirect(301, "/loop-a"),
        "/many": many,
        "/gzip": lambda h: _send(h, 200, gzip.compress(FEED * 100), Content_Encoding="gzip"),
        "/br": lambda h: _send(h, 200, brotli.compress(FEED * 100), Content_Encoding="br"),
        "/gb2312": lambda h: _send(h, 200, GB_FEED, Content_Type="application/rss+xml; charset=gb2312"),
        "/concurrent": concurrent,
        "/to-loopback": redirect(302, "http://127.0.0.2:9/feed"),
    }


@pytest.fixture
def upstream() -> Iterator[Upstream]:
    state = Upstream(port=0)
    routes = _routes(state)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            with state.lock:
                state.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}))
            path = self.path if not self.path.startswith("/many/") else "/many"
            routes.get(path, _not_found)(self)

        def log_message(self, *args: object) -> None:
            pass

    with local_server(Handler) as server:
        state.port = server.server_port
        yield state


@pytest.fixture
def fetcher() -> Iterator[Fetcher]:
    with Fetcher(FetchPolicy(allow_networks=("127.0.0.0/8",), total_timeout=5, max_bytes=1024 * 1024)) as client:
        yield client
