from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from feeds.errors import FetchError
from feeds.models import Source, SourceKind
from feeds.sources import capture


def _source(folder: Path) -> Source:
    return Source(id="inbox", kind=SourceKind.CAPTURE, category="news", path=folder)


def test_yields_txt_and_html_files_with_their_hash_and_media_type(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("标题\n正文。", encoding="utf-8")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "b.HTML").write_bytes(b"<title>t</title><p>x</p>")
    (tmp_path / "notes.md").write_text("ignored")
    items = list(capture.scan(_source(tmp_path), lambda key: None))
    assert [(i.key, i.media_type) for i in items] == [("a.txt", "text/plain"), ("sub/b.HTML", "text/html")]
    assert items[0].content_hash == hashlib.sha256("标题\n正文。".encode()).hexdigest()
    assert items[0].source_id == "inbox"
    assert items[0].modified is not None and items[0].modified.tzinfo is not None


def test_unchanged_files_are_skipped_and_changed_ones_come_back(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("标题\n正文。", encoding="utf-8")
    seen = {i.key: i.content_hash for i in capture.scan(_source(tmp_path), lambda key: None)}
    assert list(capture.scan(_source(tmp_path), seen.get)) == []
    path.write_text("标题\n改过的正文。", encoding="utf-8")
    assert [i.key for i in capture.scan(_source(tmp_path), seen.get)] == ["a.txt"]


def test_hidden_and_partial_files_are_ignored(tmp_path: Path) -> None:
    (tmp_path / ".hidden.txt").write_text("x")
    (tmp_path / ".git").mkdir()
    (tmp_path / ".git" / "x.txt").write_text("x")
    (tmp_path / "upload.txt.part").write_text("x")
    (tmp_path / "draft.txt~").write_text("x")
    assert list(capture.scan(_source(tmp_path), lambda key: None)) == []


def test_a_missing_folder_is_a_fetch_error_naming_source_and_folder(tmp_path: Path) -> None:
    with pytest.raises(FetchError, match=r"source 'inbox': capture folder .*nowhere does not exist"):
        list(capture.scan(_source(tmp_path / "nowhere"), lambda key: None))


def test_an_oversized_file_is_skipped_without_stopping_the_others(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(capture, "MAX_BYTES", 10)
    (tmp_path / "big.txt").write_text("x" * 11)
    (tmp_path / "small.txt").write_text("x")
    assert [i.key for i in capture.scan(_source(tmp_path), lambda key: None)] == ["small.txt"]


def test_read_file_refuses_unknown_types(tmp_path: Path) -> None:
    path = tmp_path / "a.pdf"
    path.write_bytes(b"%PDF")
    with pytest.raises(FetchError, match="unsupported file type"):
        capture.read_file(path)
