"""opml.xml: one outline per category feed, valid OPML 2.0, deterministic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from lxml import etree

from feeds.publish.opml import render_opml
from feeds.publish.site import FeedSummary
from tests.publish.articles import BASE_URL, XSS


def summaries() -> list[FeedSummary]:
    return [
        FeedSummary("news", "综合新闻", "News & notices", 2, datetime(2024, 12, 23, 8, 15, tzinfo=UTC)),
        FeedSummary("empty", "Empty", "", 0, None),
        FeedSummary("all", "Everything", "", 2, datetime(2024, 12, 23, 8, 15, tzinfo=UTC)),
    ]


def test_an_outline_per_category_feed_pointing_at_its_rss() -> None:
    root = etree.fromstring(render_opml(summaries(), base_url=BASE_URL, title="Feeds"))
    assert (root.tag, root.get("version")) == ("opml", "2.0")
    assert root.findtext("head/title") == "Feeds"
    assert root.findtext("head/dateModified") == "Mon, 23 Dec 2024 08:15:00 GMT"
    assert root.find("head/dateCreated") is None
    outlines = [dict(o.attrib) for o in root.iterfind("body/outline")]
    assert outlines == [
        {
            "type": "rss",
            "version": "RSS2",
            "text": "综合新闻",
            "title": "综合新闻",
            "xmlUrl": f"{BASE_URL}feeds/news.rss",
            "htmlUrl": f"{BASE_URL}#feed-news",
            "description": "News & notices",
        },
        {
            "type": "rss",
            "version": "RSS2",
            "text": "Empty",
            "title": "Empty",
            "xmlUrl": f"{BASE_URL}feeds/empty.rss",
            "htmlUrl": f"{BASE_URL}#feed-empty",
        },
    ]


def test_the_same_summaries_give_the_same_bytes_and_dates_are_utc() -> None:
    first = render_opml(summaries(), base_url=BASE_URL, title="Feeds")
    assert render_opml(summaries(), base_url=BASE_URL, title="Feeds") == first
    shanghai = timezone(timedelta(hours=8))
    local = [FeedSummary("news", "N", "", 1, datetime(2024, 12, 23, 16, 15, tzinfo=shanghai))]
    root = etree.fromstring(render_opml(local, base_url=BASE_URL, title="Feeds"))
    assert root.findtext("head/dateModified") == "Mon, 23 Dec 2024 08:15:00 GMT"
    assert etree.fromstring(render_opml([], base_url=BASE_URL, title="Feeds")).find("head/dateModified") is None


def test_values_are_escaped_attributes() -> None:
    data = render_opml([FeedSummary("x", XSS, XSS, 1, None)], base_url=BASE_URL, title=XSS)
    assert b"<script" not in data
    root = etree.fromstring(data)
    assert root.findtext("head/title") == XSS
    assert root.find("body/outline").get("title") == XSS
