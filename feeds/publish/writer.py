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

Durability: a single write is flushed to disk before its rename and the
rename made durable at once. A batch passes ``unsynced`` instead: its files
are renamed into place without waiting for a flush each (readers still see
whole files only) and a ``Flusher`` flushes them in the background, then
their directories, all done by the end of the batch. A crash before that may
leave a file of the batch empty or short: ``present`` tells it from a whole
one (a gzip member ends with the length of the data it holds, which must be
the length of the file beside it), so the next publish writes it again.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import stat
import tempfile
from collections.abc import Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from feeds.errors import PublishError

DEFAULT_MODE = 0o644
GZIP_LEVEL = 6  # as the server uses; 9 gains little on feeds and costs a fifth more time
GZIP_SUFFIX = ".gz"
GZIP_MIN_SIZE = 20  # the smallest gzip member (empty data): header and trailer
SYNC_THREADS = 4  # threads flushing the files of a batch: the file system groups concurrent flushes
_LATER = os.name == "posix"  # a file can be flushed through another descriptor (elsewhere: before its rename)


def write_atomic(path: Path, data: bytes, *, unsynced: set[Path] | None = None) -> bool:
    """Write ``data`` to ``path`` unless it already holds exactly these bytes.

    Returns True when the file was (re)written, False when it was left as it was.
    Parent directories are created. Raises PublishError naming the path on failure.
    The data and the rename are made durable at once, or, when ``unsynced`` is
    given, the file is added there for the caller to hand to a ``Flusher``
    (or ``sync_paths``), which makes it and its directory durable later.
    """
    current = _current(path)
    if current is not None and _holds(path, current, data):
        return False
    _replace(path, data, current, unsynced)
    return True


def write_with_gzip(path: Path, data: bytes, *, unsynced: set[Path] | None = None) -> list[Path]:
    """Write ``data`` to ``path`` and its gzip to ``path.gz``, each only where it changed.

    Returns the paths rewritten: none when ``path`` already held ``data`` and
    its ``.gz`` is whole, else the file and then its ``.gz`` (or the ``.gz``
    alone, when only it was missing, empty or cut short). ``unsynced`` as for
    ``write_atomic``.
    """
    packed = gzip_path(path)
    current = _current(path)
    if current is not None and _holds(path, current, data):
        if _gzip_of(packed, len(data)):
            return []
        _replace(packed, compress(data), _current(packed), unsynced)
        return [packed]
    _replace(packed, compress(data), _current(packed), unsynced)
    _replace(path, data, current, unsynced)
    return [path, packed]


class Flusher:
    """Flushes the files of a batch to disk on a few threads while the batch goes on.

    ``add`` hands over files as they are written; ``wait`` waits for their
    flushes, then flushes their directories, making the renames durable. The
    file system groups concurrent flushes, and the batch does not wait for
    them until its end. Leaving the ``with`` block stops the threads.
    """

    def __init__(self) -> None:
        self._pool: ThreadPoolExecutor | None = None
        self._pending: list[Future[None]] = []
        self._directories: set[Path] = set()

    def __enter__(self) -> Flusher:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)

    def add(self, files: Collection[Path]) -> None:
        if not files or not _LATER:
            return
        if self._pool is None:
            self._pool = ThreadPoolExecutor(max_workers=SYNC_THREADS, thread_name_prefix="feeds-flush")
        self._directories.update(path.parent for path in files)
        self._pending.append(self._pool.submit(_sync_all, sorted(files)))

    def wait(self) -> None:
        """Wait until every file added and its directory are on disk. Raises PublishError naming one that is not."""
        pending, self._pending = self._pending, []
        for future in pending:
            future.result()
        directories, self._directories = sorted(self._directories), set()
        _sync_all(directories)


def sync_paths(files: Collection[Path]) -> None:
    """Flush ``files`` (those a batch left unsynced) and their directories to disk; see ``Flusher``."""
    with Flusher() as flusher:
        flusher.add(files)
        flusher.wait()


def gzip_path(path: Path) -> Path:
    return path.with_name(path.name + GZIP_SUFFIX)


def present(path: Path) -> bool:
    """Whether ``path`` and its ``.gz`` are there, neither empty nor cut short as a crash before a flush leaves them."""
    try:
        size = path.stat().st_size
    except OSError:
        return False
    return size > 0 and _gzip_of(gzip_path(path), size)


def _gzip_of(packed: Path, size: int) -> bool:
    """Whether ``packed`` is a whole gzip member of ``size`` bytes of data, by its length and its trailer.

    The trailer's last four bytes are the data's length (modulo 2**32); a
    file cut short ends elsewhere, in bytes that almost never match.
    """
    try:
        with packed.open("rb") as handle:
            if os.fstat(handle.fileno()).st_size < GZIP_MIN_SIZE:
                return False
            handle.seek(-4, os.SEEK_END)
            return int.from_bytes(handle.read(4), "little") == size % 2**32
    except OSError:
        return False


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
                if unsynced is None or not _LATER:
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
            unsynced.add(path)
    except OSError as exc:
        raise PublishError(f"cannot write {path}: {exc}") from exc


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise PublishError(f"cannot read {path}: {exc}") from exc


def _sync_all(paths: Sequence[Path]) -> None:
    for path in paths:
        _sync_path(path)


def _sync_path(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return
    except OSError as exc:
        raise PublishError(f"cannot sync {path}: {exc}") from exc
    try:
        os.fsync(fd)
    except OSError as exc:
        raise PublishError(f"cannot sync {path}: {exc}") from exc
    finally:
        os.close(fd)


def _sync_dir(directory: Path) -> None:
    """Make the rename itself durable, where the platform allows it."""
    if os.name != "posix":
        return
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
