"""Atomic writes of the output tree that leave unchanged files alone.

A file whose bytes are already the ones to write is not touched, so its
mtime (and the Last-Modified and ETag derived from it) survive a rebuild.
A changed file is written beside its target and renamed over it: a reader
sees the old document or the new one, never half of one.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

from feeds.errors import PublishError

DEFAULT_MODE = 0o644


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly these bytes.

    Returns True when the file was (re)written, False when it was left as it was.
    Parent directories are created. Raises PublishError naming the path on failure.
    """
    try:
        current = path.stat()
    except FileNotFoundError:
        current = None
    except OSError as exc:
        raise PublishError(f"cannot read {path}: {exc}") from exc
    if current is not None:
        if not stat.S_ISREG(current.st_mode):
            raise PublishError(f"cannot write {path}: not a regular file")
        if current.st_size == len(data) and _read(path) == data:
            return False
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
        _sync_dir(path.parent)
    except OSError as exc:
        raise PublishError(f"cannot write {path}: {exc}") from exc
    return True


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
