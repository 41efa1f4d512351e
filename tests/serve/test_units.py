"""The pure parts of the front: ETag matching, Accept-Encoding, path checks, entries."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import pytest

from feeds.serve.tree import build_entry, content_type, safe_parts
from feeds.serve.web import accepts_gzip, etag_matches, not_modified_since


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ('"a"', '"a"'),
        ('W/"a"', '"a"'),
        ('"x", "a"', '"a"'),
        ('"x",W/"a-gz"', '"a-gz"'),
        ("*", '"a"'),
        ('"x"', None),
        ('"a', None),
        ("", None),
        ('W/"b"', None),
    ],
)
def test_etag_matches_weakly(header: str, expected: str | None) -> None:
    assert etag_matches(header, '"a"', '"a-gz"') == expected


def test_etag_matches_without_gzip_variant() -> None:
    assert etag_matches('"a-gz"', '"a"', None) is None
    assert etag_matches("*", '"a"', None) == '"a"'


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        (b"gzip", True),
        (b"GZIP", True),
        (b"x-gzip", True),
        (b"gzip, deflate, br, zstd", True),
        (b"deflate, gzip;q=0.1", True),
        (b"*", True),
        (b"gzip;q=0", False),
        (b"gzip; q=0.0", False),
        (b"gzip;q=0, *", False),
        (b"*;q=0", False),
        (b"br, *;q=0", False),
        (b"identity", False),
        (b"", False),
        (b"gzip;q=bogus", False),
    ],
)
def test_accepts_gzip(header: bytes, expected: bool) -> None:
    assert accepts_gzip(header) is expected
    assert accepts_gzip(header) is expected  # cached answer


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", ["index.html"]),
        ("/feeds/all.rss", ["feeds", "all.rss"]),
        ("/feeds/", ["feeds", "index.html"]),
        ("/../x", None),
        ("/a/../x", None),
        ("/./x", None),
        ("/.env", None),
        ("/a//b", None),
        ("//etc/passwd", None),
        ("/a\\b", None),
        ("/a\x00b", None),
        ("relative", None),
        ("/" + "a" * 2000, None),
    ],
)
def test_safe_parts(path: str, expected: list[str] | None) -> None:
    assert safe_parts(path) == expected


def test_safe_parts_rejects_encoded_separators() -> None:
    assert safe_parts("/a/b", b"/a%2Fb") is None
    assert safe_parts("/a\\b", b"/a%5cb") is None
    assert safe_parts("/a/b", b"/a/b") == ["a", "b"]


def test_content_types() -> None:
    assert content_type(Path("x.RSS")) == "application/rss+xml; charset=utf-8"
    assert content_type(Path("x.xsl")) == "text/xsl; charset=utf-8"
    assert content_type(Path("x.css")) == "text/css; charset=utf-8"
    assert content_type(Path("x.bin")) == "application/octet-stream"


def test_entry_is_prepared_once(tmp_path: Path) -> None:
    file = tmp_path / "a.rss"
    body = b"<rss>" + b"<item>x</item>" * 50 + b"</rss>"
    file.write_bytes(body)
    os.utime(file, (1_700_000_000, 1_700_000_000))
    entry = build_entry(file, file.stat(), body, "public, max-age=60")
    assert entry.etag_gz == entry.etag[:-1] + '-gz"'
    assert gzip.decompress(entry.body_msg_gz["body"]) == body
    assert entry.last_modified == "Tue, 14 Nov 2023 22:13:20 GMT"
    headers_304 = dict(entry.start_304["headers"])
    assert headers_304[b"etag"] == entry.etag.encode()
    assert b"content-length" not in headers_304
    assert not_modified_since(entry.last_modified, entry)
    assert not_modified_since("Wed, 15 Nov 2023 00:00:00 GMT", entry)
    assert not not_modified_since("Tue, 14 Nov 2023 22:13:19 GMT", entry)
    binary = build_entry(tmp_path / "a.png", file.stat(), body, None)
    assert binary.etag_gz is None
    assert b"vary" not in dict(binary.start_200["headers"])
    assert b"cache-control" not in dict(binary.start_200["headers"])
