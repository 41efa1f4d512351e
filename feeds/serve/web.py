"""The HTTP front of the output tree: a bare application answering from memory, over ASGI and RSGI.

Every file is answered from its entry in ``StaticTree`` (``feeds.serve.tree``),
whose responses are prepared when the file is loaded: a request is a dictionary
look-up and a few header comparisons; it never touches the disk. Under granian
the app speaks RSGI, granian's own protocol, and remembers its answers to
repeated requests (see ``StaticApp.__rsgi__``); under uvicorn it speaks ASGI.
The ASGI lifespan (or RSGI's init and del hooks) starts and stops the tree's
background refresh. Extra routes (``/healthz``, ``/metrics``, ``/status``,
``/admin/refresh``) are handlers given at construction. A request path that
``StaticTree`` refuses (traversal, dotfiles, encoded slashes) is a 404.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

from feeds.serve.tree import Entry, Headers, Message, StaticTree, str_headers

log = logging.getLogger(__name__)

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
RouteResult = tuple[int, Headers, bytes]
# An extra route is called with the ASGI scope and returns (status, headers, body).
RouteHandler = Callable[..., Awaitable[RouteResult]]
READ_METHODS = frozenset({"GET", "HEAD"})


@dataclass(frozen=True)
class Route:
    """An extra route answering ``methods`` (a bare handler answers GET and HEAD)."""

    handler: RouteHandler
    methods: frozenset[str] = READ_METHODS

    async def __call__(self, scope: Scope) -> RouteResult:
        return await self.handler(scope)


MAX_ANSWERS = 4096  # remembered RSGI answers; they start over when full (header values are the client's)


# ---------------------------------------------------------------------- conditional requests


def etag_matches(header: str, *tags: str | None) -> str | None:
    """Which of ``tags`` an If-None-Match value matches (weak comparison), if any."""
    for tag in tags:
        if tag is not None and header == tag:
            return tag
    for raw in header.split(","):
        item = raw.strip()
        if item == "*":
            return tags[0]
        if item.startswith("W/"):
            item = item[2:]
        for tag in tags:
            if tag is not None and item == tag:
                return tag
    return None


def not_modified_since(header: str, entry: Entry) -> bool:
    if header == entry.last_modified:
        return True
    try:
        when = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return False
    if when.tzinfo is None:
        return False
    return when.timestamp() >= entry.mtime


_ACCEPTS: dict[bytes, bool] = {}


def accepts_gzip(header: bytes) -> bool:
    """Whether an Accept-Encoding value accepts gzip (``q=0`` refuses it; ``*`` counts)."""
    known = _ACCEPTS.get(header)
    if known is not None:
        return known
    weights: dict[str, float] = {}
    for item in header.decode("latin-1").lower().split(","):
        name, *params = (part.strip() for part in item.split(";"))
        weight = 1.0
        for param in params:
            if param.replace(" ", "").startswith("q="):
                try:
                    weight = float(param.partition("=")[2])
                except ValueError:
                    weight = 0.0
        weights[name] = max(weight, weights.get(name, 0.0))
    result = weights.get("gzip", weights.get("x-gzip", weights.get("*", 0.0))) > 0.0
    if len(_ACCEPTS) < 256:
        _ACCEPTS[header] = result
    return result


# ---------------------------------------------------------------------- the application


def _plain(status: int, text: str, extra: Iterable[tuple[bytes, bytes]] = ()) -> tuple[Message, Message]:
    body = text.encode()
    headers: Headers = [(b"content-type", b"text/plain; charset=utf-8"),
                        (b"content-length", str(len(body)).encode()), *extra]
    return ({"type": "http.response.start", "status": status, "headers": headers},
            {"type": "http.response.body", "body": body})


_NOT_FOUND = _plain(404, "Not Found\n")
_NOT_ALLOWED = _plain(405, "Method Not Allowed\n", [(b"allow", b"GET, HEAD")])
_EMPTY: Message = {"type": "http.response.body", "body": b""}
_NOT_FOUND_RSGI = (str_headers(_NOT_FOUND[0]), _NOT_FOUND[1]["body"])
_NOT_ALLOWED_RSGI = (str_headers(_NOT_ALLOWED[0]), _NOT_ALLOWED[1]["body"])


class StaticApp:
    """The ASGI application; ``tree`` is its ``StaticTree``.

    ``requests`` counts the responses from the tree by status (extra routes are not counted).
    """

    def __init__(self, tree: StaticTree, extra_routes: Mapping[str, RouteHandler] | None = None) -> None:
        self.tree = tree
        self.routes = dict(extra_routes or {})
        self.requests: defaultdict[int, int] = defaultdict(int)
        # RSGI answers remembered with the entry they were made from: valid while the tree holds that
        # same entry for the path (see __rsgi__)
        self._answers: dict[tuple[str | None, ...], tuple[Entry, int, list[tuple[str, str]], bytes]] = {}
        self._not_modified: dict[tuple[str, str], tuple[Entry, list[tuple[str, str]]]] = {}
        self._entries = tree.entries  # the tree's dictionary itself: it is cleared, never replaced

    def _count(self, status: int) -> None:
        self.requests[status] += 1

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._http(scope, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                self.tree.start()
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await self.tree.stop()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _http(self, scope: Scope, send: Send) -> None:
        method = scope["method"]
        head = method == "HEAD"
        path: str = scope["path"]
        if self.routes and path in self.routes:
            status, headers, body = await _route(self.routes[path], scope)
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": b"" if head else body})
            return
        if method != "GET" and not head:
            self._count(405)
            await send(_NOT_ALLOWED[0])
            await send(_NOT_ALLOWED[1])
            return
        entry = self.tree.get(path, scope.get("raw_path"))
        if entry is None:
            self._count(404)
            await send(_NOT_FOUND[0])
            await send(_EMPTY if head else _NOT_FOUND[1])
            return
        inm = ims = None
        gz = False
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                inm = value.decode("latin-1")
            elif name == b"accept-encoding":
                gz = entry.etag_gz is not None and accepts_gzip(value)
            elif name == b"if-modified-since":
                ims = value.decode("latin-1")
        status, gz = answer(entry, inm, ims, gz)
        self._count(status)
        if status == 304:
            await send(entry.start_304_gz if gz else entry.start_304)
            await send(_EMPTY)
        elif gz:
            await send(entry.start_200_gz)
            await send(_EMPTY if head else entry.body_msg_gz)
        else:
            await send(entry.start_200)
            await send(_EMPTY if head else entry.body_msg)


    # ------------------------------------------------------------------ RSGI (granian's own protocol)

    def __rsgi_init__(self, _loop: asyncio.AbstractEventLoop) -> None:
        self.tree.start()

    def __rsgi_del__(self, _loop: asyncio.AbstractEventLoop) -> None:
        self.tree.cancel()

    async def __rsgi__(self, scope: Any, protocol: Any) -> None:
        """The same answers as over ASGI, without building and reading ASGI messages.

        RSGI gives the path percent-decoded and no raw path, so an encoded
        slash is just a slash here; the segment checks and the root check of
        ``StaticTree`` apply to the decoded path all the same.
        """
        if scope.proto != "http":
            return
        method: str = scope.method
        path: str = scope.path
        get = scope.headers.get
        inm: str | None = get("if-none-match")
        # The hot paths: a request like one answered before, for a file that has not changed since.
        # A conditional GET or HEAD whose one tag matched gives 304 whatever else it asks: (path, tag) is
        # its key. Any other request is keyed by what its answer depends on.
        if inm is not None:
            key: tuple[str | None, ...] | None = None
            seen = self._not_modified.get((path, inm))
            if seen is not None and seen[0] is self._entries.get(path) and (method == "GET" or method == "HEAD"):
                self.requests[304] += 1
                protocol.response_empty(304, seen[1])
                return
        else:
            key = (path, method, get("accept-encoding"), get("if-modified-since"))
            known = self._answers.get(key)
            if known is not None and known[0] is self._entries.get(path):
                _entry, status, response_headers, body = known
                self.requests[status] += 1
                if status == 304:
                    protocol.response_empty(304, response_headers)
                else:
                    protocol.response_bytes(status, response_headers, body)
                return
        head = method == "HEAD"
        if self.routes and path in self.routes:
            asgi_scope: Scope = {
                "type": "http",
                "method": method,
                "path": path,
                "query_string": scope.query_string.encode("latin-1"),
                "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in scope.headers.items()],
            }
            status, headers, body = await _route(self.routes[path], asgi_scope)
            pairs = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]
            protocol.response_bytes(status, pairs, b"" if head else body)
            return
        if method != "GET" and not head:
            self._count(405)
            protocol.response_bytes(405, _NOT_ALLOWED_RSGI[0], _NOT_ALLOWED_RSGI[1])
            return
        entry = self.tree.get(path)
        if entry is None:
            self._count(404)
            protocol.response_bytes(404, _NOT_FOUND_RSGI[0], b"" if head else _NOT_FOUND_RSGI[1])
            return
        encoding: str | None = get("accept-encoding")
        gz = encoding is not None and entry.etag_gz is not None and accepts_gzip(encoding.encode("latin-1"))
        status, gz = answer(entry, inm, get("if-modified-since"), gz)
        self._count(status)
        rsgi = entry.rsgi
        if status == 304:
            response_headers, body = (rsgi.headers_304_gz if gz else rsgi.headers_304), b""
            protocol.response_empty(304, response_headers)
        else:
            response_headers = rsgi.headers_200_gz if gz else rsgi.headers_200
            body = b"" if head else rsgi.body_gz if gz else rsgi.body
            protocol.response_bytes(200, response_headers, body)
        if len(self._answers) + len(self._not_modified) >= MAX_ANSWERS:
            self._answers.clear()
            self._not_modified.clear()
        if key is not None:
            self._answers[key] = (entry, status, response_headers, body)
        elif status == 304 and inm is not None and "," not in inm and not inm.strip().startswith("*"):
            self._not_modified[(path, inm)] = (entry, response_headers)


async def _route(handler: RouteHandler, scope: Scope) -> RouteResult:
    """The answer of an extra route (405 for a method it does not take), with its Content-Length."""
    allowed = handler.methods if isinstance(handler, Route) else READ_METHODS
    if scope["method"] not in allowed:
        start, message = _plain(405, "Method Not Allowed\n", [(b"allow", ", ".join(sorted(allowed)).encode())])
        return 405, start["headers"], message["body"]
    status, headers, body = await handler(scope)
    if not any(name.lower() == b"content-length" for name, _ in headers):
        headers = [*headers, (b"content-length", str(len(body)).encode())]
    return status, headers, body


def answer(entry: Entry, if_none_match: str | None, if_modified_since: str | None, gz: bool) -> tuple[int, bool]:
    """The status (200 or 304) and variant (gzip or not) of the answer to a GET of ``entry``.

    A matching If-None-Match gives 304 in the variant whose tag matched; If-Modified-Since
    counts only without If-None-Match (RFC 9110, 13.1.3).
    """
    if if_none_match is not None:
        tags = (entry.etag_gz, entry.etag) if gz else (entry.etag, entry.etag_gz)
        matched = etag_matches(if_none_match, *tags)
        if matched is not None:
            return 304, matched != entry.etag
        return 200, gz
    if if_modified_since is not None and not_modified_since(if_modified_since, entry):
        return 304, gz
    return 200, gz


def make_app(output_dir: Path, *, cache_control: str | None = "public, max-age=300",
             extra_routes: Mapping[str, RouteHandler] | None = None, refresh_interval: float = 1.0) -> StaticApp:
    """The ASGI application serving ``output_dir``; ``app.tree.invalidate(paths)`` refreshes it."""
    tree = StaticTree(output_dir, cache_control=cache_control, refresh_interval=refresh_interval)
    return StaticApp(tree, extra_routes)
