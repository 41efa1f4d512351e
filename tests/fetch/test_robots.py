"""robots.txt and the per-host delay of ``Fetcher`` (httpx.MockTransport stands in for the sites)."""

from __future__ import annotations

import itertools
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import pytest

from feeds.errors import FetchError
from feeds.fetch import Disallowed, Fetcher, FetchPolicy
from feeds.robots import RobotsCache

# The group naming our agent ("feeds") is the only one that applies to it (RFC 9309 2.2.1).
ROBOTS = b"User-agent: *\nDisallow: /\n\nUser-agent: feeds\nDisallow: /private/\nDisallow: /no-feeds/\n"
SLOW = b"User-agent: *\nDisallow: /private/\nCrawl-delay: 1\n"
Handler = Callable[[httpx.Request], httpx.Response]


class Sites:
    """Answers per host; records (host, path) of every request with the time it arrived."""

    def __init__(self) -> None:
        self.robots: dict[str, tuple[int, bytes] | Exception] = {}
        self.requests: list[tuple[str, str, float]] = []
        self.lock = threading.Lock()

    def handle(self, request: httpx.Request) -> httpx.Response:
        host = request.headers["host"]
        path = request.url.path
        with self.lock:
            self.requests.append((host, path, time.monotonic()))
        if path == "/robots.txt":
            answer = self.robots.get(host, (404, b""))
            if isinstance(answer, Exception):
                raise answer
            return httpx.Response(answer[0], content=answer[1])
        if path == "/hop":
            return httpx.Response(302, headers={"Location": "/private/x.html"})
        return httpx.Response(200, content=b"<html><p>ok</p></html>", headers={"Content-Type": "text/html"})

    def paths(self, host: str | None = None) -> list[str]:
        with self.lock:
            return [path for h, path, _ in self.requests if host is None or h == host]


@pytest.fixture
def sites() -> Sites:
    return Sites()


def _fetcher(sites: Sites, **policy: object) -> Fetcher:
    values: dict[str, object] = {"allow_networks": ("127.0.0.0/8",), "total_timeout": 5}
    values.update(policy)
    return Fetcher(FetchPolicy(**values), transport=httpx.MockTransport(sites.handle))  # type: ignore[arg-type]


@pytest.fixture
def fetcher(sites: Sites) -> Iterator[Fetcher]:
    with _fetcher(sites) as client:
        yield client


def test_a_disallowed_path_is_never_requested_and_robots_is_read_once(sites: Sites, fetcher: Fetcher) -> None:
    sites.robots["127.0.0.1"] = (200, ROBOTS)
    assert fetcher.fetch("http://127.0.0.1/a.html", robots=True).status == "ok"
    with pytest.raises(Disallowed, match=r"http://127.0.0.1/private/b.html: disallowed by .*robots.txt") as caught:
        fetcher.fetch("http://127.0.0.1/private/b.html", robots=True)
    assert caught.value.code == "disallowed" and isinstance(caught.value, FetchError)
    with pytest.raises(Disallowed):
        fetcher.fetch("http://127.0.0.1/no-feeds/c.html", robots=True)  # the group naming our agent
    assert fetcher.fetch("http://127.0.0.1/d.html?x=1", robots=True).status == "ok"
    assert sites.paths() == ["/robots.txt", "/a.html", "/d.html"]
    assert fetcher.allowed("http://127.0.0.1/private/e.html") is False
    assert fetcher.allowed("http://127.0.0.1/e.html") is True
    assert sites.paths().count("/robots.txt") == 1


def test_a_redirect_into_a_disallowed_path_stops_there(sites: Sites, fetcher: Fetcher) -> None:
    sites.robots["127.0.0.1"] = (200, ROBOTS)
    with pytest.raises(Disallowed):
        fetcher.fetch("http://127.0.0.1/hop", robots=True)
    assert "/private/x.html" not in sites.paths()


def test_without_robots_nothing_is_checked(sites: Sites, fetcher: Fetcher) -> None:
    sites.robots["127.0.0.1"] = (200, b"User-agent: *\nDisallow: /\n")
    assert fetcher.fetch("http://127.0.0.1/feed.xml").status == "ok"  # feeds are read as before
    assert sites.paths() == ["/feed.xml"]


@pytest.mark.parametrize(
    ("answer", "allowed"),
    [
        ((404, b""), True),  # unavailable: everything allowed
        ((410, b""), True),
        ((403, b""), True),  # RFC 9309: any 4xx but 429 is "unavailable"
        ((200, b""), True),
        ((500, b"oops"), False),  # unreachable: everything disallowed
        ((503, b""), False),
        ((429, b""), False),
        (httpx.ConnectError("refused"), False),
    ],
)
def test_robots_status(sites: Sites, fetcher: Fetcher, answer: tuple[int, bytes] | Exception, allowed: bool) -> None:
    sites.robots["127.0.0.1"] = answer
    assert fetcher.allowed("http://127.0.0.1/a.html") is allowed
    if not allowed:  # unreachable: disallowed for now, not for good
        with pytest.raises(Disallowed, match=r"robots.txt cannot be read; not fetched for now") as caught:
            fetcher.fetch("http://127.0.0.1/a.html", robots=True)
        assert caught.value.temporary


def test_robots_are_per_origin_and_kept_for_their_ttl() -> None:
    now = [0.0]
    cache = RobotsCache(ttl=100.0, error_ttl=10.0, clock=lambda: now[0])
    loads: list[str] = []
    answers = {"http://a.example/robots.txt": (200, b"User-agent: *\nDisallow: /x\n")}

    def load(url: str) -> tuple[int, bytes]:
        loads.append(url)
        return answers.get(url, (500, b""))

    assert not cache.rules("http://a.example/x/1", load).rules.can_fetch("feeds", "http://a.example/x/1")
    assert cache.rules("http://a.example/x/1", load).unreachable is False
    unreachable = cache.rules("http://a.example:8080/x/1", load)
    assert unreachable.unreachable and not unreachable.rules.can_fetch("feeds", "http://a.example:8080/x/1")
    assert loads == ["http://a.example/robots.txt", "http://a.example:8080/robots.txt"]
    now[0] = 5.0
    cache.rules("http://a.example/y", load)
    cache.rules("http://a.example:8080/y", load)
    assert len(loads) == 2  # both cached
    now[0] = 11.0
    cache.rules("http://a.example:8080/y", load)  # an error (HTTP 500) is kept error_ttl only
    cache.rules("http://a.example/y", load)
    assert loads[2:] == ["http://a.example:8080/robots.txt"]
    now[0] = 101.0
    cache.rules("http://a.example/y", load)
    assert loads[3:] == ["http://a.example/robots.txt"]


def test_threads_share_one_robots_fetch(sites: Sites, fetcher: Fetcher) -> None:
    sites.robots["127.0.0.1"] = (200, b"User-agent: *\nAllow: /\n")
    threads = [threading.Thread(target=fetcher.fetch, args=(f"http://127.0.0.1/{i}.html",), kwargs={"robots": True})
               for i in range(6)]  # fmt: skip
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sites.paths().count("/robots.txt") == 1
    assert len(sites.paths()) == 7


def _starts(sites: Sites, host: str) -> list[float]:
    with sites.lock:
        return [at for h, path, at in sites.requests if h == host and path != "/robots.txt"]


def test_min_delay_spaces_requests_to_one_host(sites: Sites) -> None:
    with _fetcher(sites, min_delay=0.15) as fetcher:
        for i in range(3):
            fetcher.fetch(f"http://127.0.0.1/{i}.html")
        fetcher.fetch("http://127.0.0.2/other.html")  # another host: no wait for it
        started = time.monotonic()
        fetcher.fetch("http://127.0.0.2/other2.html")
        assert time.monotonic() - started >= 0.14
    starts = _starts(sites, "127.0.0.1")
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    assert len(gaps) == 2 and all(gap >= 0.14 for gap in gaps), gaps
    other = _starts(sites, "127.0.0.2")
    assert other[0] - starts[-1] < 0.14


def test_a_fetch_may_ask_for_a_longer_delay_and_robots_crawl_delay_counts(sites: Sites, fetcher: Fetcher) -> None:
    fetcher.fetch("http://127.0.0.1/a.html", min_delay=0.15)
    fetcher.fetch("http://127.0.0.1/b.html", min_delay=0.15)
    fetcher.fetch("http://127.0.0.1/c.html")  # asks for none, still starts 0.15 s after b, which asked for it
    starts = _starts(sites, "127.0.0.1")
    assert starts[1] - starts[0] >= 0.14 and starts[2] - starts[1] >= 0.14
    sites.robots["127.0.0.3"] = (200, SLOW)  # Crawl-delay: 1
    fetcher.fetch("http://127.0.0.3/a.html", robots=True)
    fetcher.fetch("http://127.0.0.3/b.html", robots=True)
    crawl = _starts(sites, "127.0.0.3")
    assert crawl[1] - crawl[0] >= 0.99


def test_a_request_waits_its_own_delay_after_one_that_asked_for_none(sites: Sites, fetcher: Fetcher) -> None:
    fetcher.fetch("http://127.0.0.1/feed.xml")
    fetcher.fetch("http://127.0.0.1/page.html", min_delay=0.15)
    starts = _starts(sites, "127.0.0.1")
    assert starts[1] - starts[0] >= 0.14


def test_min_delay_comes_from_the_fetch_settings(tmp_path: object) -> None:
    from feeds.config import FetchSettings

    assert FetchPolicy.from_settings(FetchSettings(min_delay=2.5)).min_delay == 2.5
    assert FetchPolicy().min_delay == 0.0


def test_a_host_the_guard_refuses_fails_as_such_before_any_robots_txt(sites: Sites) -> None:
    with _fetcher(sites, allow_networks=()) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch("http://127.0.0.1/a.html", robots=True)
    assert not isinstance(caught.value, Disallowed)
    assert "a loopback address" in str(caught.value)
    assert sites.paths() == []
