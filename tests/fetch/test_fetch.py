"""``Fetcher`` against a real HTTP server on 127.0.0.1 (tests/fetch/conftest.py)."""

from __future__ import annotations

import hashlib
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from feeds.errors import FetchError
from feeds.fetch import Fetcher, FetchPolicy, RetryLater, StatusError, Validators
from feeds.guard import check_address
from feeds.sources.feed import parse_feed

from .conftest import ETAG, FEED, LAST_MODIFIED, Upstream


def test_ok_then_not_modified_with_validators_sent(upstream: Upstream, fetcher: Fetcher) -> None:
    first = fetcher.fetch(upstream.url("/feed"))
    assert first.status == "ok"
    assert first.http_status == 200
    assert first.content == FEED
    assert first.media_type == "application/rss+xml"
    assert first.max_age == 900
    assert first.validators == Validators(ETAG, LAST_MODIFIED, hashlib.sha256(FEED).hexdigest())
    assert "if-none-match" not in upstream.headers_of("/feed")[0]

    second = fetcher.fetch(upstream.url("/feed"), first.validators)
    assert second.status == "not-modified"
    assert second.http_status == 304
    assert second.content == b""
    assert second.validators == first.validators
    sent = upstream.headers_of("/feed")[1]
    assert sent["if-none-match"] == ETAG
    assert sent["if-modified-since"] == LAST_MODIFIED
    assert sent["user-agent"] == "feeds/0.1 (feed aggregator)"
    assert sent["accept-encoding"] == "gzip, deflate, br"


def test_same_body_is_unchanged(upstream: Upstream, fetcher: Fetcher) -> None:
    first = fetcher.fetch(upstream.url("/same"))
    assert first.status == "ok"
    again = fetcher.fetch(upstream.url("/same"), first.validators)
    assert again.status == "unchanged"
    assert again.http_status == 200
    other = fetcher.fetch(upstream.url("/same"), Validators(body_hash="0" * 64))
    assert other.status == "ok"


@pytest.mark.parametrize(
    ("path", "final", "permanent"),
    [
        ("/moved", "/feed", "/feed"),  # 301
        ("/moved-again", "/feed", "/feed"),  # 308 → 301
        ("/found", "/feed", None),  # 302
        ("/temporary", "/feed", None),  # 307
        ("/moved-then-found", "/feed", "/found"),  # 301 → 302: the permanent part only
    ],
)
def test_redirects(upstream: Upstream, fetcher: Fetcher, path: str, final: str, permanent: str | None) -> None:
    result = fetcher.fetch(upstream.url(path))
    assert result.status == "ok"
    assert result.url == upstream.url(path)
    assert result.final_url == upstream.url(final)
    assert result.permanent_url == (upstream.url(permanent) if permanent else None)
    assert result.content == FEED


def test_gone(upstream: Upstream, fetcher: Fetcher) -> None:
    result = fetcher.fetch(upstream.url("/gone"))
    assert result.status == "gone"
    assert result.http_status == 410


def test_429_with_retry_after_seconds(upstream: Upstream, fetcher: Fetcher) -> None:
    before = datetime.now(UTC)
    with pytest.raises(RetryLater) as caught:
        fetcher.fetch(upstream.url("/busy-seconds"))
    assert caught.value.status == 429
    assert caught.value.retry_after is not None
    assert before + timedelta(seconds=119) <= caught.value.retry_after <= datetime.now(UTC) + timedelta(seconds=121)
    assert isinstance(caught.value, FetchError)
    assert "/busy-seconds answered HTTP 429" in str(caught.value)


def test_503_with_retry_after_date(upstream: Upstream, fetcher: Fetcher) -> None:
    with pytest.raises(RetryLater) as caught:
        fetcher.fetch(upstream.url("/busy-date"))
    assert caught.value.status == 503
    assert caught.value.retry_after == datetime(2037, 10, 21, 7, 28, tzinfo=UTC)


@pytest.mark.parametrize(("path", "status"), [("/error", 500), ("/not-found", 404)])
def test_error_status(upstream: Upstream, fetcher: Fetcher, path: str, status: int) -> None:
    with pytest.raises(StatusError) as caught:
        fetcher.fetch(upstream.url(path))
    assert caught.value.status == status
    assert not isinstance(caught.value, RetryLater)
    assert str(caught.value) == f"fetch: {upstream.url(path)} answered HTTP {status}"


def test_read_timeout(upstream: Upstream) -> None:
    policy = FetchPolicy(allow_networks=("127.0.0.0/8",), total_timeout=0.3)
    started = time.monotonic()
    with Fetcher(policy) as fetcher, pytest.raises(FetchError, match="/slow: read timeout"):
        fetcher.fetch(upstream.url("/slow"))
    assert time.monotonic() - started < 1.2


@pytest.fixture
def full_backlog() -> Iterator[int]:
    """A port whose listen queue is full: a new connection is never accepted."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(0)
    port = server.getsockname()[1]
    fillers = []
    for _ in range(8):
        filler = socket.socket()
        filler.settimeout(0.2)
        fillers.append(filler)
        try:
            filler.connect(("127.0.0.1", port))
        except TimeoutError:
            break
    else:
        pytest.skip("the listen queue never filled up")
    yield port
    for sock in [*fillers, server]:
        sock.close()


def test_connect_timeout(full_backlog: int) -> None:
    policy = FetchPolicy(allow_networks=("127.0.0.0/8",), connect_timeout=0.2, total_timeout=5)
    url = f"http://127.0.0.1:{full_backlog}/feed"
    started = time.monotonic()
    with Fetcher(policy) as fetcher, pytest.raises(FetchError, match=r"connect timeout, no connection within 0\.2 s"):
        fetcher.fetch(url)
    assert time.monotonic() - started < 1.5


def test_connection_refused_is_a_fetch_error() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.close()
    with (
        Fetcher(FetchPolicy(allow_networks=("127.0.0.0/8",))) as fetcher,
        pytest.raises(FetchError, match="connection failed"),
    ):
        fetcher.fetch(f"http://127.0.0.1:{port}/")


def test_oversize_stream_is_abandoned(upstream: Upstream, fetcher: Fetcher) -> None:
    started = time.monotonic()
    with pytest.raises(FetchError, match="over the 1048576-byte limit; stopped reading"):
        fetcher.fetch(upstream.url("/huge"))
    assert time.monotonic() - started < 3
    assert upstream.huge_closed.wait(5), "the server should see the connection closed"
    assert upstream.huge_sent < 20 * 1024 * 1024


def test_oversize_declared_length_is_refused_before_reading(upstream: Upstream, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="body of 104857600 bytes is over the 1048576-byte limit"):
        fetcher.fetch(upstream.url("/huge-declared"))
    assert upstream.huge_closed.wait(5)
    assert upstream.huge_sent < 20 * 1024 * 1024


def test_redirect_loop(upstream: Upstream, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match="redirect loop") as caught:
        fetcher.fetch(upstream.url("/loop-a"))
    assert "/loop-b" in str(caught.value)


def test_too_many_redirects(upstream: Upstream, fetcher: Fetcher) -> None:
    with pytest.raises(FetchError, match=r"too many redirects .* more than 5"):
        fetcher.fetch(upstream.url("/many/0"))
    assert len(upstream.requests) == 6


def test_gzip_body_is_decoded(upstream: Upstream, fetcher: Fetcher) -> None:
    result = fetcher.fetch(upstream.url("/gzip"))
    assert result.content == FEED * 100


def test_brotli_body_is_decoded(upstream: Upstream, fetcher: Fetcher) -> None:
    result = fetcher.fetch(upstream.url("/br"))
    assert result.content == FEED * 100
    assert "br" in upstream.headers_of("/br")[-1]["accept-encoding"]


def test_gb2312_feed_is_read_right(upstream: Upstream, fetcher: Fetcher) -> None:
    result = fetcher.fetch(upstream.url("/gb2312"))
    assert result.charset == "gb2312"
    feed = parse_feed(result.content, url=result.final_url, charset=result.charset)
    assert feed.title == "政协新闻"
    assert feed.items[0].title == "朱镕基会见代表"


def test_loopback_is_refused_without_allow_networks(upstream: Upstream) -> None:
    with Fetcher() as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(upstream.url("/feed"))
    message = str(caught.value)
    assert "resolves to 127.0.0.1, a loopback address; allow it with [fetch] allow_networks" in message
    assert upstream.requests == []


def test_every_redirect_hop_is_checked(upstream: Upstream) -> None:
    with Fetcher(FetchPolicy(allow_networks=("127.0.0.1/32",))) as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch(upstream.url("/to-loopback"))
    assert "http://127.0.0.2:9/feed: refused, 127.0.0.2 resolves to 127.0.0.2, a loopback address" in str(caught.value)


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.org/feed", "/var/feeds/feed.xml"])
def test_only_http_and_https(url: str) -> None:
    with Fetcher() as fetcher, pytest.raises(FetchError, match="only http and https"):
        fetcher.fetch(url)


@pytest.mark.parametrize(
    ("address", "reason"),
    [
        ("10.0.0.1", "a private address"),
        ("172.16.5.4", "a private address"),
        ("192.168.1.1", "a private address"),
        ("169.254.169.254", "a link-local address"),
        ("127.0.0.1", "a loopback address"),
        ("0.0.0.0", "an unspecified address"),
        ("224.0.0.1", "a multicast address"),
        ("100.64.0.1", "not a public address"),
        ("::1", "a loopback address"),
        ("fc00::1", "a private address"),
        ("fe80::1%eth0", "a link-local address"),
        ("::ffff:10.0.0.1", "a private address"),
        ("93.184.216.34", None),
        ("2606:2800:220:1:248:1893:25c8:1946", None),
    ],
)
def test_check_address(address: str, reason: str | None) -> None:
    assert check_address(address) == reason


def test_check_address_allow_networks() -> None:
    assert check_address("10.1.2.3", ("10.0.0.0/8",)) is None
    assert check_address("10.1.2.3", ("192.168.0.0/16",)) == "a private address"
    assert check_address("::1", ("127.0.0.0/8",)) == "a loopback address"


@pytest.mark.parametrize("address", ["10.0.0.1", "169.254.169.254", "::1", "fc00::1"])
def test_a_name_resolving_to_a_private_address_is_refused(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    family = socket.AF_INET6 if ":" in address else socket.AF_INET
    seen: list[str] = []

    def resolver(host: str, port: int, *args: object, **kwargs: object) -> list[tuple[object, ...]]:
        seen.append(host)
        return [(family, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    with Fetcher() as fetcher, pytest.raises(FetchError) as caught:
        fetcher.fetch("https://internal.example.org/feed")
    assert seen == ["internal.example.org"]
    assert f"internal.example.org resolves to {address}, " in str(caught.value)
    assert "allow it with [fetch] allow_networks" in str(caught.value)


def test_per_host_limit(upstream: Upstream) -> None:
    policy = FetchPolicy(allow_networks=("127.0.0.0/8",), per_host=2)
    results: list[str] = []
    with Fetcher(policy) as fetcher:
        threads = [
            threading.Thread(target=lambda: results.append(fetcher.fetch(upstream.url("/concurrent")).status))
            for _ in range(6)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert results == ["ok"] * 6
    assert upstream.max_active == 2


def test_global_limit(upstream: Upstream) -> None:
    policy = FetchPolicy(allow_networks=("127.0.0.0/8",), per_host=10, global_limit=3)
    with Fetcher(policy) as fetcher:
        threads = [threading.Thread(target=fetcher.fetch, args=(upstream.url("/concurrent"),)) for _ in range(7)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert upstream.max_active == 3
