"""write_atomic: unchanged files are left alone, changed ones replaced whole."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from feeds.errors import PublishError
from feeds.publish.writer import compress, present, sync_paths, write_atomic, write_with_gzip


def test_a_new_file_is_written_with_its_parent_directories(tmp_path: Path) -> None:
    path = tmp_path / "public" / "feeds" / "all.rss"
    assert write_atomic(path, b"<rss/>") is True
    assert path.read_bytes() == b"<rss/>"
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


def test_identical_bytes_leave_the_file_and_its_mtime_alone(tmp_path: Path) -> None:
    path = tmp_path / "index.html"
    write_atomic(path, b"same")
    os.utime(path, ns=(1_000_000_000, 1_000_000_000))
    inode = path.stat().st_ino
    assert write_atomic(path, b"same") is False
    assert path.stat().st_mtime_ns == 1_000_000_000
    assert path.stat().st_ino == inode


def test_changed_bytes_replace_the_file_and_keep_its_mode(tmp_path: Path) -> None:
    path = tmp_path / "all.atom"
    path.write_bytes(b"old")
    path.chmod(0o640)
    inode = path.stat().st_ino
    assert write_atomic(path, b"new!") is True
    assert path.read_bytes() == b"new!"
    assert path.stat().st_ino != inode  # renamed over, not rewritten in place
    assert path.stat().st_mode & 0o777 == 0o640
    assert write_atomic(path, b"old!") is True  # same size, other bytes
    assert path.read_bytes() == b"old!"


def test_no_temporary_file_is_left_behind(tmp_path: Path) -> None:
    write_atomic(tmp_path / "a.rss", b"1")
    write_atomic(tmp_path / "a.rss", b"2")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.rss"]


def test_a_failure_raises_publish_error_naming_the_path(tmp_path: Path) -> None:
    blocker = tmp_path / "feeds"
    blocker.write_bytes(b"a file where a directory should be")
    target = blocker / "all.rss"
    with pytest.raises(PublishError) as raised:
        write_atomic(target, b"<rss/>")
    assert str(target) in str(raised.value)
    assert raised.value.code == "publish"


def test_a_directory_in_the_way_raises_publish_error(tmp_path: Path) -> None:
    target = tmp_path / "index.html"
    target.mkdir()
    with pytest.raises(PublishError, match=r"index\.html"):
        write_atomic(target, b"<html>")


def test_write_with_gzip_writes_the_file_and_its_gz_only_when_the_file_changes(tmp_path: Path) -> None:
    path = tmp_path / "feeds" / "all.rss"
    packed = tmp_path / "feeds" / "all.rss.gz"
    assert write_with_gzip(path, b"<rss/>" * 100) == [path, packed]
    assert gzip.decompress(packed.read_bytes()) == b"<rss/>" * 100
    os.utime(packed, ns=(1_000_000_000, 1_000_000_000))
    assert write_with_gzip(path, b"<rss/>" * 100) == []
    assert packed.stat().st_mtime_ns == 1_000_000_000
    assert write_with_gzip(path, b"<rss/>") == [path, packed]
    assert gzip.decompress(packed.read_bytes()) == b"<rss/>"
    packed.unlink()
    assert write_with_gzip(path, b"<rss/>") == [packed]


def test_compressed_bytes_depend_on_the_data_alone() -> None:
    data = compress(b"same data")
    assert data == compress(b"same data")
    assert data[3] == 0  # no file name, comment or extra field
    assert data[4:8] == b"\0\0\0\0"  # no mtime


def test_a_gz_that_cannot_be_written_raises_naming_it_and_leaves_the_file(tmp_path: Path) -> None:
    path = tmp_path / "index.html"
    (tmp_path / "index.html.gz").mkdir()
    with pytest.raises(PublishError, match=r"index\.html\.gz"):
        write_with_gzip(path, b"<html>")
    assert not path.exists()


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="names open files through /proc")
def test_a_batch_write_flushes_nothing_until_sync_paths_flushes_each_file_and_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    flushed: list[str] = []
    real_fsync = os.fsync

    def fsync(fd: int) -> None:
        flushed.append(os.readlink(f"/proc/self/fd/{fd}"))
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    path = tmp_path / "feeds" / "all.rss"
    unsynced: set[Path] = set()
    assert write_with_gzip(path, b"<rss/>", unsynced=unsynced) == [path, tmp_path / "feeds" / "all.rss.gz"]
    assert flushed == []
    assert unsynced == {path, tmp_path / "feeds" / "all.rss.gz"}
    sync_paths(unsynced)
    assert sorted(flushed) == sorted(str(p) for p in {*unsynced, tmp_path / "feeds"})
    assert flushed[-1] == str(tmp_path / "feeds")  # the directory last: the renames are durable once the data is
    flushed.clear()
    write_atomic(tmp_path / "index.html", b"<html>")  # a single write is durable at once: data, then rename
    assert [Path(p).name.startswith(".index.html.") for p in flushed] == [True, False]
    assert flushed[1] == str(tmp_path)


def test_sync_paths_skips_a_file_removed_since_it_was_written(tmp_path: Path) -> None:
    unsynced: set[Path] = set()
    write_atomic(tmp_path / "gone.rss", b"1", unsynced=unsynced)
    (tmp_path / "gone.rss").unlink()
    sync_paths(unsynced)


def test_an_empty_gz_beside_an_unchanged_file_counts_as_missing(tmp_path: Path) -> None:
    path = tmp_path / "all.atom"
    packed = tmp_path / "all.atom.gz"
    write_with_gzip(path, b"<feed/>")
    packed.write_bytes(b"")  # what a crash before the end-of-batch flush can leave
    assert write_with_gzip(path, b"<feed/>") == [packed]
    assert gzip.decompress(packed.read_bytes()) == b"<feed/>"


def test_a_file_or_gz_cut_short_is_not_present_and_is_written_again(tmp_path: Path) -> None:
    path = tmp_path / "all.rss"
    packed = tmp_path / "all.rss.gz"
    data = b"<rss>" + "".join(f"<item>{n}</item>" for n in range(500)).encode() + b"</rss>"
    write_with_gzip(path, data)
    assert present(path)
    whole_gz = packed.read_bytes()
    packed.write_bytes(whole_gz[: len(whole_gz) // 2])  # a crash before the flush can leave a prefix
    assert not present(path)
    assert write_with_gzip(path, data) == [packed]
    assert packed.read_bytes() == whole_gz and present(path)
    path.write_bytes(data[:-100])
    assert not present(path)
    assert write_with_gzip(path, data) == [path, packed]
    assert path.read_bytes() == data and present(path)
