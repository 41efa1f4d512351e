"""Responses of the real server: types, validators, conditional requests, gzip, methods."""

from __future__ import annotations

import gzip
from email.utils import formatdate, parsedate_to_datetime

import httpx
import pytest

from tests.serve.conftest import RSS, Running


def get(server: Running, path: str, **headers: str) -> httpx.Response:
    base = {"Accept-Encoding": "identity"}
    base.update(headers)
    return httpx.get(server.base + path, headers=base, timeout=5)


@pytest.mark.parametrize(
    ("path", "ctype"),
    [
        ("/feeds/all.rss", "application/rss+xml; charset=utf-8"),
        ("/feeds/all.atom", "application/atom+xml; charset=utf-8"),
        ("/feeds/all.json", "application/feed+json; charset=utf-8"),
        ("/opml.xml", "application/xml; charset=utf-8"),
        ("/robots.txt", "text/plain; charset=utf-8"),
        ("/", "text/html; charset=utf-8"),
        ("/index.html", "text/html; charset=utf-8"),
    ],
)
def test_200_with_type_and_validators(server: Running, path: str, ctype: str) -> None:
    response = get(server, path)
    assert response.status_code == 200
    assert response.headers["content-type"] == ctype
    assert response.headers["etag"].startswith('"') and response.headers["etag"].endswith('"')
    assert parsedate_to_datetime(response.headers["last-modified"]).tzinfo is not None
    assert response.headers["cache-control"] == "public, max-age=300"
    assert "content-encoding" not in response.headers


def test_body_and_last_modified_match_the_file(server: Running) -> None:
    response = get(server, "/feeds/all.rss")
    assert response.content == RSS
    assert response.headers["last-modified"] == formatdate(1_700_000_000, usegmt=True)
    assert response.headers["vary"] == "Accept-Encoding"


def test_directory_serves_its_index(server: Running) -> None:
    assert get(server, "/feeds/").content == b"<p>feeds index</p>"
    assert get(server, "/feeds").content == b"<p>feeds index</p>"
    assert get(server, "/").content == get(server, "/index.html").content


def test_304_on_if_none_match(server: Running) -> None:
    etag = get(server, "/feeds/all.rss").headers["etag"]
    for value in (etag, f'"nope", {etag}', f"W/{etag}", f'W/"x",W/{etag} , "y"', "*"):
        response = get(server, "/feeds/all.rss", **{"If-None-Match": value})
        assert response.status_code == 304, value
        assert response.content == b""
        assert response.headers["etag"] == etag
        assert response.headers["cache-control"] == "public, max-age=300"


def test_304_on_if_modified_since(server: Running) -> None:
    last = get(server, "/feeds/all.rss").headers["last-modified"]
    assert get(server, "/feeds/all.rss", **{"If-Modified-Since": last}).status_code == 304
    later = formatdate(1_700_000_000 + 3600, usegmt=True)
    assert get(server, "/feeds/all.rss", **{"If-Modified-Since": later}).status_code == 304
    earlier = formatdate(1_700_000_000 - 1, usegmt=True)
    assert get(server, "/feeds/all.rss", **{"If-Modified-Since": earlier}).status_code == 200
    assert get(server, "/feeds/all.rss", **{"If-Modified-Since": "not a date"}).status_code == 200


def test_if_none_match_wins_over_if_modified_since(server: Running) -> None:
    last = get(server, "/feeds/all.rss").headers["last-modified"]
    response = get(server, "/feeds/all.rss", **{"If-None-Match": '"other"', "If-Modified-Since": last})
    assert response.status_code == 200
    assert response.content == RSS


def test_gzip_when_accepted(server: Running) -> None:
    plain = get(server, "/feeds/all.rss")
    for accept in ("gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.5", "*"):
        response = httpx.get(server.base + "/feeds/all.rss", headers={"Accept-Encoding": accept}, timeout=5)
        assert response.headers["content-encoding"] == "gzip", accept
        assert response.headers["vary"] == "Accept-Encoding"
        assert response.headers["etag"] != plain.headers["etag"]
        assert response.headers["etag"].endswith('-gz"')
        assert int(response.headers["content-length"]) < len(RSS)
        assert response.content == RSS  # httpx decompressed it
    raw = httpx.get(server.base + "/feeds/all.rss", headers={"Accept-Encoding": "gzip"}, timeout=5)
    with httpx.stream("GET", server.base + "/feeds/all.rss", headers={"Accept-Encoding": "gzip"}) as stream:
        assert gzip.decompress(b"".join(stream.iter_raw())) == RSS
    etag_gz = raw.headers["etag"]
    again = httpx.get(server.base + "/feeds/all.rss", headers={"Accept-Encoding": "gzip", "If-None-Match": etag_gz})
    assert again.status_code == 304
    assert again.headers["etag"] == etag_gz


@pytest.mark.parametrize("accept", ["gzip;q=0", "identity", "gzip;q=0, *;q=1", "*;q=0", "br", ""])
def test_no_gzip_when_refused(server: Running, accept: str) -> None:
    response = httpx.get(server.base + "/feeds/all.rss", headers={"Accept-Encoding": accept}, timeout=5)
    assert response.status_code == 200
    assert "content-encoding" not in response.headers
    assert response.content == RSS
    assert response.headers["vary"] == "Accept-Encoding"


def test_small_files_are_not_compressed(server: Running) -> None:
    response = httpx.get(server.base + "/feeds/all.json", headers={"Accept-Encoding": "gzip"}, timeout=5)
    assert "content-encoding" not in response.headers
    assert response.headers["vary"] == "Accept-Encoding"


def test_head_has_headers_and_no_body(server: Running) -> None:
    got = get(server, "/feeds/all.rss")
    head = httpx.head(server.base + "/feeds/all.rss", headers={"Accept-Encoding": "identity"}, timeout=5)
    assert head.status_code == 200
    assert head.content == b""
    for name in ("content-type", "content-length", "etag", "last-modified", "cache-control"):
        assert head.headers[name] == got.headers[name]
    missing = httpx.head(server.base + "/nope.rss", timeout=5)
    assert missing.status_code == 404
    assert missing.content == b""


def test_404_is_plain_text(server: Running) -> None:
    response = get(server, "/feeds/none.rss")
    assert response.status_code == 404
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.text == "Not Found\n"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"])
def test_405_for_other_methods(server: Running, method: str) -> None:
    response = httpx.request(method, server.base + "/feeds/all.rss", timeout=5)
    assert response.status_code == 405
    assert response.headers["allow"] == "GET, HEAD"


def test_repeated_conditional_requests_keep_their_meaning(server: Running) -> None:
    url = server.base + "/feeds/all.rss"
    tag = httpx.get(url, headers={"Accept-Encoding": "gzip"}, timeout=5).headers["etag"]
    for _ in range(3):  # answered again and again, from what the server remembers after the first
        assert httpx.get(url, headers={"If-None-Match": tag}, timeout=5).status_code == 304
        assert httpx.head(url, headers={"If-None-Match": tag}, timeout=5).status_code == 304
        assert httpx.post(url, headers={"If-None-Match": tag}, timeout=5).status_code == 405
        assert httpx.get(url, headers={"If-None-Match": '"other"'}, timeout=5).status_code == 200
        other = server.base + "/feeds/all.atom"
        assert httpx.get(other, headers={"If-None-Match": tag}, timeout=5).status_code == 200
        assert httpx.get(server.base + "/missing.rss", headers={"If-None-Match": tag}, timeout=5).status_code == 404
