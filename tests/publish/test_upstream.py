"""Items read from upstream feeds name that feed: atom:source, RSS <source>, JSON Feed _feeds.source."""

from __future__ import annotations

import json

import feedparser
from lxml import etree

from feeds.models import Feed, Upstream
from feeds.publish.jsonfeed import render_json
from feeds.publish.render import render_atom, render_rss
from tests.conftest import ATOM_RNG
from tests.publish.articles import BASE_URL, article, at, sample_feed

UPSTREAM = Upstream(
    title="上游新闻", url="https://up.example.org/feed.xml", id="urn:uuid:1234", updated=at("2024-12-22T08:00:00")
)


def _feed() -> Feed:
    return sample_feed(articles=(article(upstream=UPSTREAM),))


def test_atom_source_carries_the_upstream_id_title_updated_and_self_link() -> None:
    data = render_atom(_feed(), base_url=BASE_URL)
    root = etree.fromstring(data)
    schema = etree.RelaxNG(etree.parse(str(ATOM_RNG)))
    assert schema.validate(root), schema.error_log
    ns = {"a": "http://www.w3.org/2005/Atom"}
    source = root.find("a:entry/a:source", ns)
    assert source is not None
    assert source.findtext("a:id", namespaces=ns) == "urn:uuid:1234"
    assert source.findtext("a:title", namespaces=ns) == "上游新闻"
    assert source.findtext("a:updated", namespaces=ns) == "2024-12-22T08:00:00+00:00"
    assert source.find("a:link[@rel='self']", ns).get("href") == "https://up.example.org/feed.xml"
    assert feedparser.parse(data).entries[0].source.title == "上游新闻"


def test_rss_source_names_the_upstream_feed() -> None:
    data = render_rss(_feed(), base_url=BASE_URL)
    parsed = feedparser.parse(data)
    assert not parsed.bozo
    assert parsed.entries[0].source == {"href": "https://up.example.org/feed.xml", "title": "上游新闻"}


def test_json_feed_source_extension() -> None:
    item = json.loads(render_json(_feed(), base_url=BASE_URL))["items"][0]
    assert item["_feeds"]["source"] == {
        "id": "urn:uuid:1234",
        "title": "上游新闻",
        "feed_url": "https://up.example.org/feed.xml",
        "updated": "2024-12-22T08:00:00+00:00",
    }


def test_articles_without_upstream_have_no_source() -> None:
    data = render_rss(sample_feed(articles=(article(),)), base_url=BASE_URL)
    assert b"<source" not in data
