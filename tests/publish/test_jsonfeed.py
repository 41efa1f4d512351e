"""JSON Feed 1.1: the same items as RSS and Atom, deterministic bytes, the spec's required fields."""

from __future__ import annotations

import calendar
import json
import os
from datetime import UTC, datetime
from typing import Any

import feedparser
import pytest
from lxml import etree

from feeds.models import Feed
from feeds.publish.entries import Paging, entries
from feeds.publish.jsonfeed import render_json
from feeds.publish.render import render_atom, render_rss
from tests.conftest import FIXTURES
from tests.publish.articles import BASE_URL, ORIGIN, REPRINT, XSS, article, rights_footer, sample_articles, sample_feed

A = "{http://www.w3.org/2005/Atom}"
EXPECTED = FIXTURES / "publish" / "expected.json"


def document(feed: Feed | None = None, **kwargs: Any) -> dict[str, Any]:
    data = render_json(feed or sample_feed(), base_url=BASE_URL, **kwargs)
    parsed: dict[str, Any] = json.loads(data)
    return parsed


def item(doc: dict[str, Any], article_id: str) -> dict[str, Any]:
    [found] = [i for i in doc["items"] if i["id"].endswith(f":article/{article_id}")]
    return found


def when(parsed: Any) -> datetime | None:
    return datetime.fromtimestamp(calendar.timegm(parsed), UTC) if parsed is not None else None


def test_the_feed_object_has_the_required_and_known_fields() -> None:
    doc = document(hub="https://hub.example.org/")
    assert list(doc) == [
        "version",
        "title",
        "home_page_url",
        "feed_url",
        "description",
        "authors",
        "language",
        "hubs",
        "items",
    ]
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["title"] == "综合新闻"
    assert doc["home_page_url"] == BASE_URL
    assert doc["feed_url"] == f"{BASE_URL}feeds/all.json"
    assert doc["language"] == "zh-CN"
    assert doc["hubs"] == [{"type": "WebSub", "url": "https://hub.example.org/"}]
    assert "hubs" not in document()
    for entry in doc["items"]:
        assert isinstance(entry["id"], str)
        assert entry.get("content_html") or entry.get("content_text")


def test_every_item_matches_the_atom_and_rss_entries() -> None:
    feed = sample_feed()
    doc = document(feed, footer=rights_footer)
    atom_bytes = render_atom(feed, base_url=BASE_URL, footer=rights_footer)
    atom = feedparser.parse(atom_bytes)
    rss = feedparser.parse(render_rss(feed, base_url=BASE_URL, footer=rights_footer))
    assert not atom.bozo and not rss.bozo
    contents = [e.findtext(f"{A}content") for e in etree.fromstring(atom_bytes).iter(f"{A}entry")]
    items = doc["items"]
    assert len(items) == len(atom.entries) == len(rss.entries) == 3
    for got, a, r, content in zip(items, atom.entries, rss.entries, contents, strict=True):
        assert got["id"] == a.id == r.id
        assert got["title"] == a.title == r.title
        assert got["url"] == a.link == r.link
        published = datetime.fromisoformat(got["date_published"]) if "date_published" in got else None
        assert published == when(a.get("published_parsed")) == when(r.get("published_parsed"))
        assert datetime.fromisoformat(got["date_modified"]) == when(a.updated_parsed)
        assert got.get("date_published") == a.get("published")
        assert got["date_modified"] == a.updated
        names = [author["name"] for author in got.get("authors", [])]
        assert names == ([a.author] if "author" in a else []) == ([r.author] if "author" in r else [])
        assert got["tags"] == [t.term for t in a.tags] == [t.term for t in r.tags]
        assert got.get("summary") == a.summary
        assert got["content_html"] == content  # feedparser would sanitize it: compared as written


def test_content_carries_the_footer_and_the_extension_carries_rights_and_via() -> None:
    reprint = sample_articles()[2]
    got = item(document(footer=rights_footer), "zh-reprint")
    assert got["content_html"] == reprint.content_html + (rights_footer(reprint) or "")
    assert got["_feeds"] == {"rights": reprint.rights, "via": [REPRINT]}
    assert got["url"] == ORIGIN
    assert "external_url" not in got  # the origin is the link itself
    assert "_feeds" not in item(document(), "en-1")


def test_a_reprint_source_links_to_its_page_with_the_origin_as_external_url() -> None:
    feed = sample_feed(articles=(article(link="https://mirror.example.net/budget"),))
    got = item(document(feed, items=entries(feed, BASE_URL, None, {"upstream"})), "en-1")
    assert (got["url"], got["external_url"]) == ("https://mirror.example.net/budget", "https://news.example.com/budget")
    assert got["_feeds"]["via"] == ["https://news.example.com/budget"]


def test_by_default_the_item_links_to_the_origin_and_the_page_read_from_is_via() -> None:
    feed = sample_feed(articles=(article(link="https://mirror.example.net/budget"),))
    got = item(document(feed), "en-1")
    assert got["url"] == "https://news.example.com/budget"
    assert "external_url" not in got
    assert got["_feeds"]["via"] == ["https://mirror.example.net/budget"]


def test_the_feed_icon_is_the_json_feed_icon() -> None:
    assert (
        document(sample_feed(icon="https://feeds.example.org/icon.png"))["icon"] == "https://feeds.example.org/icon.png"
    )
    assert "icon" not in document()


def test_an_undated_item_has_no_dates_and_an_item_without_body_shows_its_summary() -> None:
    bare = article(published=None, first_seen=None, link=None, origin_url=None, content_html="", author=None)
    got = item(document(sample_feed(articles=(bare,))), "en-1")
    assert "date_published" not in got and "date_modified" not in got
    assert "url" not in got and "authors" not in got
    assert got["content_html"] == "<p>Talks on the budget resume on Monday.</p>"


def test_text_is_json_text_never_markup_and_non_ascii_is_kept() -> None:
    data = render_json(sample_feed(title=XSS, articles=(article(title=XSS),)), base_url=BASE_URL)
    doc = json.loads(data)
    assert doc["title"] == XSS and doc["items"][0]["title"] == XSS
    assert "综合新闻".encode() in render_json(sample_feed(), base_url=BASE_URL)
    assert data.endswith(b"}\n")


def test_a_fixed_feed_renders_to_the_reviewed_bytes() -> None:
    data = render_json(sample_feed(), base_url=BASE_URL, footer=rights_footer)
    assert data == render_json(sample_feed(), base_url=BASE_URL, footer=rights_footer)
    if os.environ.get("FEEDS_UPDATE_FIXTURES"):
        EXPECTED.write_bytes(data)
        pytest.skip(f"rewrote {EXPECTED}")
    assert data == EXPECTED.read_bytes()


def test_the_layout_is_json_dumps_with_indent_2_and_non_ascii_kept() -> None:
    tricky = article(title='quote " back \\ tab \t nl \n \u2028 é 中', categories=(), via=())
    for feed in (sample_feed(), sample_feed(articles=(tricky,), description="", language=None)):
        data = render_json(feed, base_url=BASE_URL, footer=rights_footer, hub="https://hub.example.org/")
        assert data == (json.dumps(json.loads(data), ensure_ascii=False, indent=2) + "\n").encode()


def test_paging_adds_next_url_and_an_archive_page_names_itself_in_the_extension() -> None:
    older = f"{BASE_URL}feeds/archive/all-2.json"
    current = document(paging=Paging(f"{BASE_URL}feeds/all.json", prev_archive=older))
    assert list(current)[:6] == ["version", "title", "home_page_url", "feed_url", "description", "next_url"]
    assert current["next_url"] == older and "_feeds" not in current
    page = document(
        paging=Paging(
            f"{BASE_URL}feeds/archive/all-3.json",
            current=f"{BASE_URL}feeds/all.json",
            prev_archive=older,
            next_archive=f"{BASE_URL}feeds/archive/all-4.json",
            archive=True,
        )
    )
    assert page["feed_url"] == f"{BASE_URL}feeds/all.json"  # the feed's identity, not the page's URL
    assert page["next_url"] == older
    assert page["_feeds"] == {
        "archive": True,
        "page_url": f"{BASE_URL}feeds/archive/all-3.json",
        "newer_url": f"{BASE_URL}feeds/archive/all-4.json",
    }
    assert list(page)[-2:] == ["_feeds", "items"]
    assert [i["id"] for i in page["items"]] == [i["id"] for i in document()["items"]]
    oldest = document(paging=Paging(f"{BASE_URL}feeds/archive/all-1.json", current=f"{BASE_URL}feeds/all.json",
                                    next_archive=older, archive=True))  # fmt: skip
    assert "next_url" not in oldest


def test_a_feed_without_archive_has_no_next_url() -> None:
    assert "next_url" not in document()
    assert "next_url" not in document(paging=Paging(f"{BASE_URL}feeds/all.json"))
