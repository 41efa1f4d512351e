"""index.html: every feed listed with autodiscovery links; everything escaped."""

from __future__ import annotations

from datetime import UTC, datetime

from lxml import html

from feeds.publish.site import FeedSummary, render_index
from tests.publish.articles import BASE_URL, XSS, sample_feed


def summaries() -> list[FeedSummary]:
    return [
        FeedSummary("news", "综合新闻", "News & notices", 2, datetime(2024, 12, 23, 8, 15, tzinfo=UTC)),
        FeedSummary("empty", "Empty", "", 0, None),
        FeedSummary.of(sample_feed()),
    ]


def test_summary_of_a_feed() -> None:
    summary = FeedSummary.of(sample_feed(updated=None))
    assert (summary.slug, summary.title, summary.item_count) == ("all", "综合新闻", 3)
    assert summary.updated == datetime(2024, 12, 23, 8, 15, tzinfo=UTC)  # the newest article date


def test_the_index_lists_every_feed_with_links_and_autodiscovery() -> None:
    data = render_index(summaries(), base_url=BASE_URL, title="Feeds", lang="zh-CN")
    assert data.startswith(b'<!DOCTYPE html>\n<html lang="zh-CN">')
    page = html.fromstring(data)
    discovery = [(link.get("type"), link.get("title"), link.get("href")) for link in page.head.findall("link")]
    assert discovery == [
        ("application/rss+xml", "综合新闻 (RSS)", f"{BASE_URL}feeds/news.rss"),
        ("application/atom+xml", "综合新闻 (Atom)", f"{BASE_URL}feeds/news.atom"),
        ("application/feed+json", "综合新闻 (JSON Feed)", f"{BASE_URL}feeds/news.json"),
        ("application/rss+xml", "Empty (RSS)", f"{BASE_URL}feeds/empty.rss"),
        ("application/atom+xml", "Empty (Atom)", f"{BASE_URL}feeds/empty.atom"),
        ("application/feed+json", "Empty (JSON Feed)", f"{BASE_URL}feeds/empty.json"),
        ("application/rss+xml", "综合新闻 (RSS)", f"{BASE_URL}feeds/all.rss"),
        ("application/atom+xml", "综合新闻 (Atom)", f"{BASE_URL}feeds/all.atom"),
        ("application/feed+json", "综合新闻 (JSON Feed)", f"{BASE_URL}feeds/all.json"),
        ("text/x-opml", "OPML", f"{BASE_URL}opml.xml"),
    ]
    assert page.body.find(".//p[@class='opml']/a").get("href") == f"{BASE_URL}opml.xml"
    items = page.body.findall(".//li")
    assert [li.get("id") for li in items] == ["feed-news", "feed-empty", "feed-all"]
    news = items[0]
    assert news.findtext("h2") == "综合新闻"
    assert "News & notices" in news.text_content()
    assert "2 items" in news.text_content()
    assert news.find(".//time").get("datetime") == "2024-12-23T08:15:00Z"
    assert [a.get("href") for a in news.iter("a")] == [f"{BASE_URL}feeds/news.{fmt}" for fmt in ("rss", "atom", "json")]
    assert "0 items · never updated" in items[1].text_content()
    assert "3 items" in items[2].text_content()


def test_everything_is_escaped() -> None:
    evil = FeedSummary("x", XSS, XSS, 1, None)
    data = render_index([evil], base_url=BASE_URL, title=XSS, lang='en"><script>')
    assert b"<script" not in data
    page = html.fromstring(data)
    assert page.find(".//script") is None
    assert page.findtext(".//title") == XSS
    assert page.findtext(".//h1") == XSS
    assert page.head.find("link").get("title") == f"{XSS} (RSS)"


def test_the_same_summaries_give_the_same_bytes() -> None:
    first = render_index(summaries(), base_url=BASE_URL, title="Feeds")
    assert render_index(summaries(), base_url=BASE_URL, title="Feeds") == first
    assert b"<html>" in first  # no lang attribute when none is given
