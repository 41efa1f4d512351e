"""Capture source: a folder of captured article pages.

Every ``.txt`` (plain-text capture: title line, then the body) or ``.html`` /
``.htm`` file in the folder, subfolders included, is one document. A file is
yielded when it is new or its bytes changed since it was last processed;
``seen`` answers the content hash recorded for a key, so unchanged files are
skipped without being parsed. Hidden files and files still being written
(``.tmp``, ``.part``, ``~``) are ignored.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from feeds.errors import FetchError
from feeds.models import RawItem, Source

log = logging.getLogger(__name__)

MEDIA_TYPES = {".txt": "text/plain", ".html": "text/html", ".htm": "text/html"}
PARTIAL_SUFFIXES = (".tmp", ".part", ".crdownload", "~")
MAX_BYTES = 10 * 1024 * 1024


def scan(source: Source, seen: Callable[[str], str | None]) -> Iterator[RawItem]:
    """Yield a ``RawItem`` for every new or changed capture file of ``source``.

    Raises ``FetchError`` when the folder itself cannot be read; a single
    unreadable or oversized file is logged and skipped.
    """
    folder = source.path
    if folder is None:
        raise FetchError(f"source {source.id!r}: a capture source needs a folder")
    if not folder.is_dir():
        raise FetchError(f"source {source.id!r}: capture folder {folder} does not exist or is not a folder")
    for path in _files(folder):
        key = path.relative_to(folder).as_posix()
        try:
            item = _read(source.id, path, key)
        except FetchError as exc:
            log.warning("capture file skipped", extra={"source_id": source.id, "path": key, "error": str(exc)})
            continue
        if seen(key) == item.content_hash:
            continue
        yield item


def _files(folder: Path) -> list[Path]:
    try:
        candidates = sorted(p for p in folder.rglob("*") if p.suffix.lower() in MEDIA_TYPES)
    except OSError as exc:
        raise FetchError(f"cannot list capture folder {folder}: {exc.strerror or exc}") from exc
    return [
        p
        for p in candidates
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(folder).parts)
        and not p.name.endswith(PARTIAL_SUFFIXES)
    ]


def _read(source_id: str, path: Path, key: str) -> RawItem:
    try:
        stat = path.stat()
        if stat.st_size > MAX_BYTES:
            raise FetchError(f"{path}: {stat.st_size} bytes is over the {MAX_BYTES}-byte limit for a capture")
        data = path.read_bytes()
    except OSError as exc:
        raise FetchError(f"cannot read {path}: {exc.strerror or exc}") from exc
    return RawItem(
        source_id=source_id,
        key=key,
        content=data,
        content_hash=hashlib.sha256(data).hexdigest(),
        media_type=MEDIA_TYPES[path.suffix.lower()],
        modified=datetime.fromtimestamp(stat.st_mtime, UTC),
    )


def read_file(path: Path) -> RawItem:
    """One file as a ``RawItem`` outside any source (``parse FILE``)."""
    if path.suffix.lower() not in MEDIA_TYPES:
        raise FetchError(f"{path}: unsupported file type (expected {', '.join(MEDIA_TYPES)})")
    return _read("file", path, path.name)
