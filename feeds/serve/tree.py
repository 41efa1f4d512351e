"""The files of the output tree held in memory, with every response to them prepared.

``StaticTree`` loads a file of the output directory the first time it is asked
for and keeps one entry per file: the body, its gzip variant (text types only),
a strong ETag per variant, Last-Modified and the responses (200, gzip 200, 304)
as ASGI messages and as RSGI header lists, built once.

Entries go stale in two ways, both handled without a stat per request:
the in-process publisher calls ``tree.invalidate(paths)`` after writing, and a
background task re-stats the cached files at most once per
``refresh_interval`` seconds, so the writes of a separate ``build`` process
are picked up too.

Only regular files under the root are served. A request path with a ``..`` or
``.`` segment, a dotfile segment, an encoded slash or backslash, a backslash, a
NUL or an empty segment is refused, and so is a symlink resolving outside the root.
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
from collections.abc import Iterable, Mapping, MutableMapping
from dataclasses import dataclass, field
from email.utils import formatdate
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

Message = MutableMapping[str, Any]
Headers = list[tuple[bytes, bytes]]

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
        str_headers(start_200), str_headers(start_304), body_msg["body"],
        str_headers(start_200_gz), str_headers(start_304_gz), body_msg_gz["body"],
    )
    return Entry(
        file=file, signature=_signature(st), etag=etag, etag_gz=etag_gz,
        last_modified=last_modified, mtime=mtime, start_200=start_200, start_200_gz=start_200_gz,
        start_304=start_304, start_304_gz=start_304_gz, body_msg=body_msg, body_msg_gz=body_msg_gz, rsgi=rsgi,
    )


def str_headers(start: Message) -> list[tuple[str, str]]:
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

    def cancel(self) -> asyncio.Task[None] | None:
        """Cancel the background refresh; returns its task (done once the loop has run it), if one ran."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
        return task

    async def stop(self) -> None:
        """Cancel the background refresh and wait for it to end."""
        task = self.cancel()
        if task is not None:
            with contextlib.suppress(asyncio.CancelledError):
                await task
