"""Served copies follow the files: invalidate() at once, the background refresh within a second or two."""

from __future__ import annotations

import time

import httpx
import pytest

from tests.serve.conftest import RSS, Running


@pytest.fixture
def server(fresh_server: Running) -> Running:
    return fresh_server


def body(server: Running, path: str) -> tuple[int, bytes]:
    response = httpx.get(server.base + path, headers={"Accept-Encoding": "gzip"}, timeout=5)
    return response.status_code, response.content


def eventually(server: Running, path: str, expected: tuple[int, bytes], within: float = 3.0) -> float:
    start = time.monotonic()
    while time.monotonic() - start < within:
        if body(server, path) == expected:
            return time.monotonic() - start
        time.sleep(0.05)
    raise AssertionError(f"{path} still answers {body(server, path)[0]} after {within} s")


def test_invalidate_serves_the_new_file_at_once(server: Running) -> None:
    server.app.tree.refresh_interval = 3600  # only invalidate() may refresh here
    assert body(server, "/feeds/all.rss") == (200, RSS)
    new = RSS.replace(b"Item 1<", b"Item one<")
    written = server.write("feeds/all.rss", new)
    server.app.tree.invalidate([written])
    assert body(server, "/feeds/all.rss") == (200, new)
    server.write("feeds/all.rss", RSS)
    server.app.tree.invalidate(["feeds/all.rss"])  # relative to the root
    assert body(server, "/feeds/all.rss") == (200, RSS)
    server.write("feeds/all.rss", new)
    server.app.tree.invalidate(None)
    assert body(server, "/feeds/all.rss") == (200, new)


def test_invalidate_also_forgets_a_404(server: Running) -> None:
    assert body(server, "/feeds/new.rss")[0] == 404
    server.app.tree.invalidate([server.write("feeds/new.rss", b"<rss/>")])
    assert body(server, "/feeds/new.rss") == (200, b"<rss/>")


def test_background_refresh_picks_up_a_rewrite(server: Running) -> None:
    old = httpx.get(server.base + "/feeds/all.rss", timeout=5)
    new = RSS.replace(b"Item 2<", b"Item two<")
    server.write("feeds/all.rss", new)
    eventually(server, "/feeds/all.rss", (200, new), within=2.5)
    fresh = httpx.get(server.base + "/feeds/all.rss", headers={"If-None-Match": old.headers["etag"]}, timeout=5)
    assert fresh.status_code == 200
    assert fresh.headers["etag"] != old.headers["etag"]


def test_background_refresh_sees_a_rewrite_of_the_same_size_and_mtime(server: Running) -> None:
    assert body(server, "/feeds/all.rss") == (200, RSS)
    same_size = RSS.replace(b"Item 3<", b"Item X<")
    server.write("feeds/all.rss", same_size, mtime=1_700_000_000)
    eventually(server, "/feeds/all.rss", (200, same_size), within=2.5)


def test_index_aliases_follow_the_file(server: Running) -> None:
    assert body(server, "/")[1] == body(server, "/index.html")[1]
    server.write("index.html", b"<p>new index</p>")
    eventually(server, "/", (200, b"<p>new index</p>"))
    eventually(server, "/index.html", (200, b"<p>new index</p>"))


def test_deleted_file_becomes_404(server: Running) -> None:
    assert body(server, "/feeds/all.atom")[0] == 200
    (server.root / "feeds" / "all.atom").unlink()
    eventually(server, "/feeds/all.atom", (404, b"Not Found\n"), within=2.5)


def test_new_file_appears_without_invalidate(server: Running) -> None:
    assert body(server, "/feeds/later.rss")[0] == 404
    server.write("feeds/later.rss", b"<rss>later</rss>")
    eventually(server, "/feeds/later.rss", (200, b"<rss>later</rss>"), within=2.5)


def test_a_repeated_conditional_request_sees_the_change(server: Running) -> None:
    server.app.tree.refresh_interval = 3600  # only invalidate() may refresh here
    url = server.base + "/feeds/all.rss"
    first = httpx.get(url, headers={"Accept-Encoding": "gzip"}, timeout=5)
    conditional = {"Accept-Encoding": "gzip", "If-None-Match": first.headers["etag"]}
    for _ in range(3):  # the same request again and again: answered from what the server remembers
        assert httpx.get(url, headers=conditional, timeout=5).status_code == 304
    new = RSS.replace(b"Item 1<", b"Item one<")
    server.app.tree.invalidate([server.write("feeds/all.rss", new)])
    changed = httpx.get(url, headers=conditional, timeout=5)
    assert changed.status_code == 200 and changed.content == new
    assert changed.headers["etag"] != first.headers["etag"]
    assert httpx.get(url, headers={**conditional, "If-None-Match": changed.headers["etag"]}).status_code == 304
