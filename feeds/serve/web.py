"""The HTTP front of the output tree: a bare ASGI application answering from memory.

``StaticTree`` loads a file of the output directory the first time it is asked
for and keeps one entry per file: the body, its gzip variant (text types only),
a strong ETag per variant, Last-Modified and the ASGI messages of the 200, the
gzip 200 and the 304 responses, built once. A request is a dictionary look-up
and a few header comparisons; it never touches the disk.

Entries go stale in two ways, both handled without a stat per request:
the in-process publisher calls ``tree.invalidate(paths)`` after writing, and a
background task (started by the ASGI lifespan) re-stats the cached files at most
once per ``refresh_interval`` seconds, so the writes of a separate ``build``
process are picked up too.

Only regular files under the root are served. A request path with a ``..`` or
``.`` segment, a dotfile segment, an encoded slash or backslash, a backslash, a
NUL or an empty segment is a 404, and so is a symlink resolving outside the root.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import hashlib
import logging
import os
import stat
import threading
from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from email.utils import formatdate, parsedate_to_datetime
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Message = MutableMapping[str, Any]
Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
Headers = list[tuple[bytes, bytes]]
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

_UTF8 = "; charset=utf-8"
CONTENT_TYPES: Mapping[str, str] = {
    ".rss": "application/rss+xml" + _UTF8, ".atom": "application/atom+xml" + _UTF8,
    ".json": "application/feed+json" + _UTF8, ".html": "text/html" + _UTF8, ".htm": "text/html" + _UTF8,
    ".xml": "application/xml" + _UTF8, ".opml": "text/x-opml" + _UTF8, ".xsl": "text/xsl" + _UTF8,
    ".css": "text/css" + _UTF8, ".js": "text/javascript" + _UTF8, ".txt": "text/plain" + _UTF8,
    ".svg": "image/svg+xml", ".png": "image/png", ".jpg": "image/jpeg", ".gif": "image/gif",
    ".ico": "image/x-icon", ".webp": "image/webp",
}
DEFAULT_TYPE = "application/octet-stream"
GZIP_MIN_BYTES = 200
GZIP_LEVEL = 6
MAX_PATH_CHARS = 1024
MAX_MISSING = 4096
MAX_ANSWERS = 4096  # remembered RSGI answers; they start over when full (header values are the client's)
BAD_RAW = (b"%2f", b"%5c", b"%00")


@dataclass(frozen=True, eq=False)
class Entry:
    """One file held in memory, with every response to it prepared."""

    file: Path  # resolved
    signature: tuple[int, int, int, int]  # mtime_ns, size, inode, device
    etag: str
    etag_gz: str | None
    last_modified: str
    mtime: int
    start_200: Message = field(repr=False)
    start_304: Message = field(repr=False)
    body_msg: Message = field(repr=False)
    # the gzip variant; the plain messages again when there is none (etag_gz is None)
    start_200_gz: Message = field(repr=False)
    start_304_gz: Message = field(repr=False)
    body_msg_gz: Message = field(repr=False)
    # the same responses as RSGI (granian's own protocol) takes them: str header pairs and the body bytes
    rsgi: RsgiResponses = field(repr=False)


@dataclass(frozen=True)
class RsgiResponses:
    headers_200: list[tuple[str, str]]
    headers_304: list[tuple[str, str]]
    body: bytes
    headers_200_gz: list[tuple[str, str]]
    headers_304_gz: list[tuple[str, str]]
    body_gz: bytes


def content_type(path: Path) -> str:
    return CONTENT_TYPES.get(path.suffix.lower(), DEFAULT_TYPE)


def build_entry(file: Path, st: os.stat_result, body: bytes, cache_control: str | None) -> Entry:
    """Prepare every response to ``body``: hashing and compression happen here, once."""
    ctype_text = content_type(file)
    compressible = ctype_text.startswith("text/") or any(k in ctype_text for k in ("xml", "json", "javascript"))
    digest = hashlib.blake2b(body, digest_size=8).hexdigest()
    etag = f'"{digest}"'
    mtime = int(st.st_mtime)
    last_modified = formatdate(mtime, usegmt=True)
    common: Headers = [(b"last-modified", last_modified.encode())]
    if cache_control:
        common.append((b"cache-control", cache_control.encode("latin-1")))
    if compressible:
        common.append((b"vary", b"Accept-Encoding"))
    if file.suffix.lower() == ".json":  # JSON Feed is read by scripts in browsers of other origins
        common.append((b"access-control-allow-origin", b"*"))
    ctype = (b"content-type", ctype_text.encode())
    nosniff = (b"x-content-type-options", b"nosniff")

    def start(status: int, headers: Headers) -> Message:
        return {"type": "http.response.start", "status": status, "headers": headers}

    tag = (b"etag", etag.encode())
    start_200 = start(200, [ctype, (b"content-length", str(len(body)).encode()), tag, *common, nosniff])
    start_304 = start(304, [tag, *common])
    body_msg: Message = {"type": "http.response.body", "body": body}
    etag_gz: str | None = None
    start_200_gz, start_304_gz, body_msg_gz = start_200, start_304, body_msg
    if compressible and len(body) > GZIP_MIN_BYTES:
        packed = gzip.compress(body, GZIP_LEVEL, mtime=0)
        if len(packed) < len(body):
            etag_gz = f'"{digest}-gz"'
            tag_gz = (b"etag", etag_gz.encode())
            start_200_gz = start(200, [ctype, (b"content-length", str(len(packed)).encode()),
                                       (b"content-encoding", b"gzip"), tag_gz, *common, nosniff])
            start_304_gz = start(304, [tag_gz, *common])
            body_msg_gz = {"type": "http.response.body", "body": packed}
    rsgi = RsgiResponses(
        _str_headers(start_200), _str_headers(start_304), body_msg["body"],
        _str_headers(start_200_gz), _str_headers(start_304_gz), body_msg_gz["body"],
    )
    return Entry(
        file=file, signature=_signature(st), etag=etag, etag_gz=etag_gz,
        last_modified=last_modified, mtime=mtime, start_200=start_200, start_200_gz=start_200_gz,
        start_304=start_304, start_304_gz=start_304_gz, body_msg=body_msg, body_msg_gz=body_msg_gz, rsgi=rsgi,
    )


def _str_headers(start: Message) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in start["headers"]]


def _signature(st: os.stat_result) -> tuple[int, int, int, int]:
    return (st.st_mtime_ns, st.st_size, st.st_ino, st.st_dev)


def safe_parts(path: str, raw_path: bytes | None = None) -> list[str] | None:
    """The segments of a request path below the root, or ``None`` if it may not be served."""
    if not path.startswith("/") or len(path) > MAX_PATH_CHARS or "\\" in path or "\x00" in path:
        return None
    if raw_path is not None:
        lowered = raw_path.lower()
        if any(bad in lowered for bad in BAD_RAW):
            return None
    parts = path[1:].split("/")
    if parts[-1] == "":
        parts[-1] = "index.html"
    for part in parts:
        if not part or part.startswith("."):
            return None
    return parts


class StaticTree:
    """In-memory copies of the files under ``root``, keyed by request path."""

    def __init__(self, root: Path, *, cache_control: str | None = "public, max-age=300",
                 refresh_interval: float = 1.0) -> None:
        self.root = Path(root)
        self.cache_control = cache_control
        self.refresh_interval = refresh_interval
        self.entries: dict[str, Entry] = {}
        self._missing: set[str] = set()
        self._lock = threading.Lock()
        self._task: asyncio.Task[None] | None = None

    def get(self, path: str, raw_path: bytes | None = None) -> Entry | None:
        """The entry for a request path; loads it from disk on the first request only."""
        entry = self.entries.get(path)
        if entry is not None or path in self._missing:
            return entry
        parts = safe_parts(path, raw_path)
        entry = self._load(parts) if parts is not None else None
        with self._lock:
            if entry is None:
                if len(self._missing) >= MAX_MISSING:
                    self._missing.clear()
                self._missing.add(path)
            elif parts is not None:
                self.entries[path] = entry
        return entry

    def _locate(self, parts: list[str]) -> tuple[Path, os.stat_result] | None:
        root = self.root.resolve()
        candidate = root.joinpath(*parts)
        try:
            if candidate.is_dir():
                candidate = candidate / "index.html"
            real = candidate.resolve(strict=True)
            st = real.stat()
        except (OSError, RuntimeError):
            return None
        if not real.is_relative_to(root) or real.name.startswith(".") or not stat.S_ISREG(st.st_mode):
            return None
        return real, st

    def _load(self, parts: list[str], current: Entry | None = None, seen: dict[Path, Entry] | None = None,
              ) -> Entry | None:
        """Locate and read the file; an entry of ``current`` or ``seen`` is reused when the file has not changed."""
        found = self._locate(parts)
        if found is None:
            return None
        real, st = found
        for known in (current, (seen or {}).get(real)):
            if known is not None and known.file == real and known.signature == _signature(st):
                return known
        try:
            with real.open("rb") as fh:
                body = fh.read()
                st = os.fstat(fh.fileno())
        except OSError:
            return None
        return build_entry(real, st, body, self.cache_control)

    def invalidate(self, paths: Iterable[str | os.PathLike[str]] | None = None) -> None:
        """Reload the entries of the files ``paths`` (or drop every entry when ``None``).

        Relative paths are taken below the root. Safe to call from any thread.
        """
        with self._lock:
            self._missing.clear()
            if paths is None:
                self.entries.clear()
                return
        root = self.root.resolve()
        targets = {(root / Path(item)).resolve() for item in paths}  # an absolute path replaces root
        self._recheck([key for key, entry in list(self.entries.items()) if entry.file in targets])

    def refresh(self) -> int:
        """Re-stat every cached file and reload the changed ones; returns how many entries changed."""
        with self._lock:
            self._missing.clear()
        return self._recheck(list(self.entries))

    def _recheck(self, keys: list[str]) -> int:
        changed = 0
        seen: dict[Path, Entry] = {}
        for key in keys:
            current = self.entries.get(key)
            parts = safe_parts(key)
            if current is None or parts is None:
                continue
            fresh = self._load(parts, current, seen)
            if fresh is not None:
                seen[fresh.file] = fresh
            if fresh is current:
                continue
            changed += 1
            with self._lock:
                if fresh is None:
                    self.entries.pop(key, None)
                else:
                    self.entries[key] = fresh
        if changed:
            log.info("served files reloaded", extra={"path": str(self.root), "items": changed})
        return changed

    async def _refresh_loop(self) -> None:
        while True:
            await asyncio.sleep(self.refresh_interval)
            try:
                await asyncio.to_thread(self.refresh)
            except Exception:
                log.exception("refresh of served files failed", extra={"path": str(self.root)})

    def start(self) -> None:
        """Start the background refresh on the running loop (idempotent)."""
        if self._task is None or self._task.done():
            self._task = asyncio.get_running_loop().create_task(self._refresh_loop())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task


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
_NOT_FOUND_RSGI = (_str_headers(_NOT_FOUND[0]), _NOT_FOUND[1]["body"])
_NOT_ALLOWED_RSGI = (_str_headers(_NOT_ALLOWED[0]), _NOT_ALLOWED[1]["body"])


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
            handler = self.routes[path]
            allowed = handler.methods if isinstance(handler, Route) else READ_METHODS
            if method in allowed:
                await self._route(handler, scope, send, head)
            else:
                allow = ", ".join(sorted(allowed)).encode()
                start, body = _plain(405, "Method Not Allowed\n", [(b"allow", allow)])
                await send(start)
                await send(body)
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

    async def _route(self, handler: RouteHandler, scope: Scope, send: Send, head: bool) -> None:
        status, headers, body = await handler(scope)
        if not any(name.lower() == b"content-length" for name, _ in headers):
            headers = [*headers, (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": b"" if head else body})


    # ------------------------------------------------------------------ RSGI (granian's own protocol)

    def __rsgi_init__(self, _loop: asyncio.AbstractEventLoop) -> None:
        self.tree.start()

    def __rsgi_del__(self, _loop: asyncio.AbstractEventLoop) -> None:
        task, self.tree._task = self.tree._task, None
        if task is not None:
            task.cancel()

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
            await self._route_rsgi(self.routes[path], scope, protocol, head)
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

    async def _route_rsgi(self, handler: RouteHandler, scope: Any, protocol: Any, head: bool) -> None:
        allowed = handler.methods if isinstance(handler, Route) else READ_METHODS
        if scope.method not in allowed:
            allow = ", ".join(sorted(allowed))
            protocol.response_bytes(405, [*_NOT_ALLOWED_RSGI[0][:2], ("allow", allow)], _NOT_ALLOWED_RSGI[1])
            return
        asgi_scope: Scope = {
            "type": "http",
            "method": scope.method,
            "path": scope.path,
            "query_string": scope.query_string.encode("latin-1"),
            "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in scope.headers.items()],
        }
        status, headers, body = await handler(asgi_scope)
        if not any(name.lower() == b"content-length" for name, _ in headers):
            headers = [*headers, (b"content-length", str(len(body)).encode())]
        pairs = [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]
        protocol.response_bytes(status, pairs, b"" if head else body)


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
