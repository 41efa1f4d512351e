"""Every feed under tests/fixtures/feeds/ against its hand-checked ``<name>.expected.json``, and the safety guards."""

from __future__ import annotations

import json
import resource
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from feeds.errors import ParseError
from feeds.sources.feed import FeedItem, ParsedFeed, Upstream, parse_feed

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
CASES = sorted(FIXTURES.glob("*.expected.json"))


def _input(expected: Path) -> Path:
    stem = expected.name.removesuffix(".expected.json")
    [found] = [p for p in FIXTURES.glob(f"{stem}.*") if not p.name.endswith(".expected.json")]
    return found


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def _upstream(upstream: Upstream) -> dict[str, Any]:
    return {
        "feed_title": upstream.feed_title,
        "feed_url": upstream.feed_url,
        "feed_id": upstream.feed_id,
        "feed_updated": _iso(upstream.feed_updated),
    }


def _item(item: FeedItem) -> dict[str, Any]:
    return {
        "key": item.key,
        "link": item.link,
        "title": item.title,
        "authors": list(item.authors),
        "published": _iso(item.published),
        "updated": _iso(item.updated),
        "content_html": item.content_html,
        "summary_html": item.summary_html,
        "categories": list(item.categories),
        "enclosures": [list(e) for e in item.enclosures],
        "upstream": _upstream(item.upstream),
    }


def test_there_are_enough_fixture_pairs() -> None:
    assert len(CASES) >= 6
    assert {_input(case).suffix for case in CASES} == {".xml", ".json"}


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.name.removesuffix(".expected.json"))
def test_fixture(case: Path) -> None:
    expected: dict[str, Any] = json.loads(case.read_text(encoding="utf-8"))
    feed = parse_feed(
        _input(case).read_bytes(),
        url=expected["input_url"],
        charset=expected.get("charset"),
        timezone=expected["timezone"],
    )
    want = expected["feed"]
    assert feed.title == want["title"]
    assert feed.link == want["link"]
    assert feed.id == want["id"]
    assert _iso(feed.updated) == want["updated"]
    assert (feed.bozo_reason is not None) == want["bozo"], feed.bozo_reason
    if "bozo_reason_contains" in want:
        assert want["bozo_reason_contains"] in (feed.bozo_reason or "")
    assert [_item(item) for item in feed.items] == expected["items"]
    assert len({item.key for item in feed.items}) == len(feed.items)
    for item in feed.items:
        for when in (item.published, item.updated):
            assert when is None or when.tzinfo is UTC


def _rss(items: str, prolog: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?>{prolog}<rss version="2.0"><channel><title>T</title>'
        f"<link>https://example.org/</link>{items}</channel></rss>"
    ).encode()


def test_zone_less_dates_follow_the_source_time_zone() -> None:
    data = _rss("<item><guid>a</guid><pubDate>Fri, 12 Apr 2024 10:30:00</pubDate></item>")
    shanghai = parse_feed(data, url=None).items[0].published
    utc = parse_feed(data, url=None, timezone="UTC").items[0].published
    assert shanghai == datetime(2024, 4, 12, 2, 30, tzinfo=UTC)
    assert utc == datetime(2024, 4, 12, 10, 30, tzinfo=UTC)
    explicit = parse_feed(
        _rss("<item><guid>a</guid><pubDate>Fri, 12 Apr 2024 10:30:00 +0200</pubDate></item>"), url=None
    )
    assert explicit.items[0].published == datetime(2024, 4, 12, 8, 30, tzinfo=UTC)


def test_gb2312_declared_by_the_transport_is_read_as_gb18030() -> None:
    text = (
        '<rss version="2.0"><channel><title>新闻</title>'
        "<item><title>朱镕基会见代表</title><guid>1</guid></item></channel></rss>"
    )
    feed = parse_feed(text.encode("gb18030"), url=None, charset="gb2312")
    assert feed.title == "新闻"
    assert feed.items[0].title == "朱镕基会见代表"


def test_utf16_without_a_byte_order_mark() -> None:
    text = '<?xml version="1.0" encoding="utf-16"?><rss version="2.0"><channel><title>Wide</title></channel></rss>'
    assert parse_feed(text.encode("utf-16-le"), url=None).title == "Wide"


def test_ttl_is_kept() -> None:
    assert parse_feed(_rss("<ttl>60</ttl>"), url=None).ttl_minutes == 60
    assert parse_feed(_rss("<ttl>soon</ttl>"), url=None).ttl_minutes is None


def test_an_empty_valid_feed_is_not_an_error() -> None:
    feed = parse_feed(_rss(""), url="https://example.org/feed")
    assert feed == ParsedFeed(title="T", link="https://example.org/", id=None, updated=None, items=(), bozo_reason=None)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"<!doctype html><html><head><title>Shop</title></head><body><p>Hello & <b>bye</body>", "not an RSS"),
        (b"", "not an RSS"),
        (b'{"version": "1.0", "items": []}', "JSON Feed version"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "not valid JSON"),
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": {}}', "'items' is not a list"),
    ],
)
def test_not_a_feed_raises_parse_error(data: bytes, message: str) -> None:
    with pytest.raises(ParseError, match=message) as caught:
        parse_feed(data, url="https://example.org/page")
    assert str(caught.value).startswith("parse: https://example.org/page")


def test_unknown_time_zone_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="unknown time zone 'Mars/Base'"):
        parse_feed(_rss(""), url=None, timezone="Mars/Base")


# --------------------------------------------------------------------------- XML entity attacks


def _laughs(levels: int = 10) -> bytes:
    entities = '<!ENTITY lol0 "lol">' + "".join(
        f'\n<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, levels)
    )
    return _rss(
        f"<item><guid>a</guid><title>x &lol{levels - 1};</title></item>", f"\n<!DOCTYPE rss [\n{entities}\n]>\n"
    )


@pytest.mark.parametrize("one_line", [False, True])
def test_billion_laughs_is_neutralized(one_line: bool) -> None:
    data = _laughs()
    if one_line:
        data = data.replace(b"\n", b"")
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.monotonic()
    feed = parse_feed(data, url=None)
    assert time.monotonic() - started < 2
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB
    assert "lollol" not in feed.items[0].title
    assert feed.bozo_reason is not None


def test_quadratic_blowup_is_refused() -> None:
    prolog = '\n<!DOCTYPE rss [\n<!ENTITY a "' + "A" * 50_000 + '">\n]>\n'
    data = _rss("<item><guid>a</guid><title>" + "&a;" * 20_000 + "</title></item>", prolog)
    started = time.monotonic()
    with pytest.raises(ParseError, match="entities would add 1000000000 characters"):
        parse_feed(data, url="https://example.org/bomb")
    assert time.monotonic() - started < 2


@pytest.mark.parametrize(
    "declaration",
    [
        '<!ENTITY xxe SYSTEM "file:///etc/passwd">',
        '<!ENTITY xxe PUBLIC "-//X//Y" "file:///etc/passwd">',
        '<!ENTITY % xxe SYSTEM "file:///etc/passwd"> %xxe;',
    ],
)
def test_external_entities_are_never_read(declaration: str) -> None:
    data = _rss("<item><guid>a</guid><title>x &xxe;</title><description>&xxe;</description></item>",
                f"\n<!DOCTYPE rss [\n{declaration}\n]>\n")  # fmt: skip
    feed = parse_feed(data, url=None)
    assert "root:" not in feed.items[0].title + feed.items[0].content_html
    assert Path("/etc/passwd").read_text().split(":")[0] + ":x:" not in feed.items[0].content_html


def test_harmless_entities_still_expand() -> None:
    prolog = '\n<!DOCTYPE rss [\n<!ENTITY co "ACME">\n<!ENTITY nbsp "&#160;">\n]>\n'
    feed = parse_feed(_rss("<item><guid>a</guid><title>&co;&nbsp;news</title></item>", prolog), url=None)
    assert feed.items[0].title == "ACME\xa0news"
    assert feed.bozo_reason is None
