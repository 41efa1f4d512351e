"""Atomic writes of the output tree that leave unchanged files alone.

A file whose bytes are already the ones to write is not touched, so its
mtime (and the Last-Modified and ETag derived from it) survive a rebuild.
A changed file is written beside its target and renamed over it: a reader
sees the old document or the new one, never half of one.

``write_with_gzip`` keeps a precompressed ``<name>.gz`` beside a file, for
servers that send it as is. Its bytes depend on the data alone (no mtime, no
file name in the gzip header). It is replaced before the file itself, so an
unchanged file always has a current ``.gz``: a crash between the two writes
leaves the old file, which the next publish finds changed and rewrites.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import stat
import tempfile
from pathlib import Path

from feeds.errors import PublishError

DEFAULT_MODE = 0o644
GZIP_LEVEL = 6  # as the server uses; 9 gains little on feeds and costs a fifth more time
GZIP_SUFFIX = ".gz"


def write_atomic(path: Path, data: bytes, *, unsynced: set[Path] | None = None) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly these bytes.

    Returns True when the file was (re)written, False when it was left as it was.
    Parent directories are created. Raises PublishError naming the path on failure.
    The rename is made durable at once, or, when ``unsynced`` is given, its
    directory is added there for the caller to pass to ``sync_dirs`` later.
    """
    current = _current(path)
    if current is not None and _holds(path, current, data):
        return False
    _replace(path, data, current, unsynced)
    return True


def write_with_gzip(path: Path, data: bytes, *, unsynced: set[Path] | None = None) -> list[Path]:
    """Write ``data`` to ``path`` and its gzip to ``path.gz``, each only where it changed.

    Returns the paths rewritten: none when ``path`` already held ``data`` and
    its ``.gz`` exists, else the file and then its ``.gz`` (or the ``.gz``
    alone, when only it was missing). ``unsynced`` as for ``write_atomic``.
    """
    packed = gzip_path(path)
    current = _current(path)
    if current is not None and _holds(path, current, data):
        if _current(packed) is not None:
            return []
        _replace(packed, compress(data), None, unsynced)
        return [packed]
    _replace(packed, compress(data), _current(packed), unsynced)
    _replace(path, data, current, unsynced)
    return [path, packed]


def sync_dirs(directories: set[Path]) -> None:
    """Make the renames done in ``directories`` durable. Raises PublishError naming a directory that fails."""
    for directory in sorted(directories):
        try:
            _sync_dir(directory)
        except OSError as exc:
            raise PublishError(f"cannot sync {directory}: {exc}") from exc


def gzip_path(path: Path) -> Path:
    return path.with_name(path.name + GZIP_SUFFIX)


def compress(data: bytes) -> bytes:
    """gzip of ``data`` whose bytes depend on ``data`` alone: mtime 0 and no file name in the header."""
    return gzip.compress(data, GZIP_LEVEL, mtime=0)


def _current(path: Path) -> os.stat_result | None:
    try:
        current = path.stat()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PublishError(f"cannot read {path}: {exc}") from exc
    if not stat.S_ISREG(current.st_mode):
        raise PublishError(f"cannot write {path}: not a regular file")
    return current


def _holds(path: Path, current: os.stat_result, data: bytes) -> bool:
    return current.st_size == len(data) and _read(path) == data


def _replace(path: Path, data: bytes, current: os.stat_result | None, unsynced: set[Path] | None) -> None:
    mode = stat.S_IMODE(current.st_mode) if current is not None else DEFAULT_MODE
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temp, mode)
            os.replace(temp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temp)
            raise
        if unsynced is None:
            _sync_dir(path.parent)
        else:
            unsynced.add(path.parent)
    except OSError as exc:
        raise PublishError(f"cannot write {path}: {exc}") from exc


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PublishError(f"cannot read {path}: {exc}") from exc


def _sync_dir(directory: Path) -> None:
    """Make the rename itself durable, where the platform allows it."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
