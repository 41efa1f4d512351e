"""WebSub: the hub link in every format, and publish pings against a local fake hub."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qsl

import pytest
from lxml import etree

from feeds.publish.jsonfeed import render_json
from feeds.publish.render import render_atom, render_rss
from feeds.publish.websub import Pinger, ping
from tests.publish.articles import BASE_URL, sample_feed
from tests.publish.test_publish import feeds, run

A = "{http://www.w3.org/2005/Atom}"


class FakeHub:
    """A hub on 127.0.0.1 that records the form of every POST and answers ``status``."""

    def __init__(self) -> None:
        self.pings: list[dict[str, str]] = []
        self.status = 204
        self.gate = threading.Event()  # cleared: each ping waits for it (up to 10 s) before it is answered
        self.gate.set()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                assert self.headers.get("Content-Type") == "application/x-www-form-urlencoded"
                hub.pings.append(dict(parse_qsl(self.rfile.read(length).decode())))
                hub.gate.wait(10)
                self.send_response(hub.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hub"

    def urls(self) -> list[str]:
        assert all(p["hub.mode"] == "publish" for p in self.pings)
        return [p["hub.url"] for p in self.pings]


@pytest.fixture
def hub() -> Iterator[FakeHub]:
    fake = FakeHub()
    thread = threading.Thread(target=fake.server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        fake.gate.set()
        fake.server.shutdown()
        fake.server.server_close()
        thread.join()


HUB = "https://hub.example.org/"


def test_every_format_names_the_hub_beside_its_self_link() -> None:
    atom = etree.fromstring(render_atom(sample_feed(), base_url=BASE_URL, hub=HUB))
    assert [(link.get("rel"), link.get("href")) for link in atom.findall(f"{A}link")] == [
        ("self", f"{BASE_URL}feeds/all.atom"),
        ("hub", HUB),
        ("alternate", BASE_URL),
    ]
    channel = etree.fromstring(render_rss(sample_feed(), base_url=BASE_URL, hub=HUB)).find("channel")
    assert [(link.get("rel"), link.get("href")) for link in channel.findall(f"{A}link")] == [
        ("self", f"{BASE_URL}feeds/all.rss"),
        ("hub", HUB),
    ]
    assert channel.findtext("link") == BASE_URL  # the RSS channel link is still the site
    assert json.loads(render_json(sample_feed(), base_url=BASE_URL, hub=HUB))["hubs"] == [
        {"type": "WebSub", "url": HUB}
    ]


def test_without_a_hub_no_format_names_one() -> None:
    for data in (
        render_atom(sample_feed(), base_url=BASE_URL),
        render_rss(sample_feed(), base_url=BASE_URL),
        render_json(sample_feed(), base_url=BASE_URL),
    ):
        assert b"hub" not in data


def test_publish_pings_once_per_changed_feed_document_and_not_when_nothing_changed(
    tmp_path: Path, hub: FakeHub
) -> None:
    run(tmp_path, hub=hub.url)
    assert sorted(hub.urls()) == sorted(
        f"{BASE_URL}feeds/{slug}.{fmt}" for slug in ("cppcc", "all") for fmt in ("rss", "atom", "json")
    )
    hub.pings.clear()
    run(tmp_path, hub=hub.url)
    assert hub.pings == []
    changed = feeds()
    changed[0] = replace(changed[0], title="政协要闻")
    run(tmp_path, changed, hub=hub.url)
    assert hub.urls() == [f"{BASE_URL}feeds/cppcc.{fmt}" for fmt in ("rss", "atom", "json")]


def test_a_refusing_hub_is_logged_and_publish_goes_on(
    tmp_path: Path, hub: FakeHub, caplog: pytest.LogCaptureFixture
) -> None:
    hub.status = 500
    written = run(tmp_path, hub=hub.url)
    assert tmp_path / "index.html" in written
    assert len(hub.pings) == 6
    assert "websub ping refused" in caplog.text


def test_an_unreachable_hub_is_logged_once_and_never_raises(caplog: pytest.LogCaptureFixture) -> None:
    fake = FakeHub()
    dead = fake.url  # bound, then closed: nothing listens there any more
    fake.server.server_close()
    assert ping(dead, ["http://a.example/1", "http://a.example/2"], timeout=2) == 0
    assert caplog.text.count("websub hub unreachable") == 1
    assert ping("not a url", ["http://a.example/1"]) == 0
    assert ping(dead, []) == 0


def test_ping_reports_what_the_hub_accepted(hub: FakeHub) -> None:
    assert ping(hub.url, ["http://a.example/1", "http://a.example/2"]) == 2
    assert hub.urls() == ["http://a.example/1", "http://a.example/2"]


def test_a_pinger_returns_at_once_and_merges_what_is_sent_while_the_hub_is_slow(hub: FakeHub) -> None:
    hub.gate.clear()
    pinger = Pinger(timeout=5)
    try:
        started = time.monotonic()
        pinger.send(hub.url, ["http://a.example/1"])
        assert _until(lambda: len(hub.pings) == 1)  # the first ping is on its way, held by the hub
        for _ in range(3):
            pinger.send(hub.url, ["http://a.example/2", "http://a.example/3"])
        pinger.send(hub.url, ["http://a.example/3", "http://a.example/1"])
        assert time.monotonic() - started < 1
        hub.gate.set()
        assert _until(lambda: len(hub.pings) == 4)
    finally:
        pinger.close()
    # what was sent while the first ping waited went as one batch, each URL once
    assert hub.urls() == ["http://a.example/1", "http://a.example/2", "http://a.example/3", "http://a.example/1"]


def test_closing_a_pinger_waits_a_bounded_time_and_logs_what_it_drops(
    hub: FakeHub, caplog: pytest.LogCaptureFixture
) -> None:
    hub.gate.clear()
    pinger = Pinger(timeout=5)
    pinger.send(hub.url, ["http://a.example/1"])
    assert _until(lambda: len(hub.pings) == 1)
    pinger.send(hub.url, ["http://a.example/2"])
    started = time.monotonic()
    pinger.close(timeout=0.5)
    assert time.monotonic() - started < 2
    assert "websub pings dropped at stop" in caplog.text
    with pytest.raises(RuntimeError):
        pinger.send(hub.url, ["http://a.example/3"])
    hub.gate.set()


def test_a_closed_pinger_has_sent_everything_queued(hub: FakeHub, caplog: pytest.LogCaptureFixture) -> None:
    pinger = Pinger()
    pinger.send(hub.url, ["http://a.example/1", "http://a.example/2"])
    pinger.close(timeout=5)
    assert hub.urls() == ["http://a.example/1", "http://a.example/2"]
    assert "dropped" not in caplog.text


def _until(check: Callable[[], bool], timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
