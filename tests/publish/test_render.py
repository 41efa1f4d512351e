"""RSS and Atom rendering: validity, round trips through feedparser, the feedgen workarounds."""

from __future__ import annotations

import calendar
import os
import re
from dataclasses import replace
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree

from feeds.models import Article, Feed, Upstream
from feeds.publish.entries import Paging, entries
from feeds.publish.render import EPOCH, render_atom, render_rss, render_rss_atom
from tests.conftest import ATOM_RNG, FIXTURES
from tests.publish.articles import (
    BASE_URL,
    ORIGIN,
    REPRINT,
    XSS,
    article,
    at,
    rights_footer,
    sample_articles,
    sample_feed,
)

EXPECTED = FIXTURES / "publish"
A = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
HUB = "https://hub.example.org/"
RFC822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
    r"\d{2}:\d{2}:\d{2} [+-]\d{4}$"
)


def tag(kind: str, value: str) -> str:
    return f"tag:feeds.example.org,2026:{kind}/{value}"


def atom(feed: Feed | None = None, **kwargs: Any) -> etree._Element:
    return etree.fromstring(render_atom(feed or sample_feed(), base_url=BASE_URL, **kwargs))


def rss(feed: Feed | None = None, **kwargs: Any) -> etree._Element:
    return etree.fromstring(render_rss(feed or sample_feed(), base_url=BASE_URL, **kwargs))


def entry(root: etree._Element, article_id: str) -> etree._Element:
    [found] = [e for e in root.iter(f"{A}entry") if e.findtext(f"{A}id") == tag("article", article_id)]
    return found


def item(root: etree._Element, article_id: str) -> etree._Element:
    [found] = [i for i in root.iter("item") if i.findtext("guid") == tag("article", article_id)]
    return found


def rfc3339(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


# --------------------------------------------------------------------------- Atom validity


def schematron_problems(root: etree._Element) -> list[str]:
    """The rules of RFC 4287 that the RELAX NG grammar carries only as annotations."""
    problems: list[str] = []
    feed_author = root.find(f"{A}author") is not None
    for owner in [root, *root.findall(f"{A}entry")]:
        name = owner.findtext(f"{A}id")
        alternates = [
            (link.get("type"), link.get("hreflang"))
            for link in owner.findall(f"{A}link")
            if link.get("rel", "alternate") == "alternate"
        ]
        if len(alternates) != len(set(alternates)):
            problems.append(f"{name}: two alternate links with the same type and hreflang")
        if owner is root:
            continue
        if not feed_author and owner.find(f"{A}author") is None:
            problems.append(f"{name}: no author in the entry or the feed")
        if owner.find(f"{A}content") is None and not alternates:
            problems.append(f"{name}: neither content nor an alternate link")
    return problems


def assert_valid_atom(data: bytes) -> None:
    schema = etree.RelaxNG(etree.parse(str(ATOM_RNG)))
    root = etree.fromstring(data)
    assert schema.validate(root), schema.error_log
    assert schematron_problems(root) == []


@pytest.mark.parametrize(
    "feed",
    [
        sample_feed(),
        sample_feed(language=None, description="", updated=None),
        sample_feed(articles=(), updated=None),
        sample_feed(articles=(article(link=None, origin_url=None, content_html="", author=None),)),
    ],
    ids=["sample", "no-language", "empty", "no-link-no-content"],
)
def test_atom_is_valid_against_the_rfc_4287_grammar_and_rules(feed: Feed) -> None:
    assert_valid_atom(render_atom(feed, base_url=BASE_URL, footer=rights_footer))


def test_the_schematron_check_catches_what_it_is_meant_to() -> None:
    root = atom(sample_feed(articles=sample_articles()[:1]))
    root.remove(root.find(f"{A}author"))
    only = root.find(f"{A}entry")
    only.remove(only.find(f"{A}author"))
    only.remove(only.find(f"{A}content"))
    for link in only.findall(f"{A}link"):
        only.remove(link)
    assert len(schematron_problems(root)) == 2


# --------------------------------------------------------------------------- round trips


def test_rss_round_trips_through_feedparser() -> None:
    articles = sample_articles()
    parsed = feedparser.parse(render_rss(sample_feed(), base_url=BASE_URL, footer=rights_footer))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "rss20"
    channel = parsed.feed
    assert channel.title == "综合新闻"
    assert channel.link == BASE_URL
    assert channel.subtitle == "Every article of every category"
    assert [e.title for e in parsed.entries] == [a.title for a in articles]
    assert [e.id for e in parsed.entries] == [tag("article", a.id) for a in articles]
    assert [e.guidislink for e in parsed.entries] == [False] * len(articles)
    assert [e.link for e in parsed.entries] == [a.link or a.origin_url for a in articles]
    assert [e.get("author") for e in parsed.entries] == [a.author for a in articles]
    assert [[t.term for t in e.tags] for e in parsed.entries] == [list(a.categories) for a in articles]
    published = [
        datetime.fromtimestamp(calendar.timegm(e.published_parsed), UTC) if "published_parsed" in e else None
        for e in parsed.entries
    ]
    assert published == [a.published for a in articles]
    assert [e.summary for e in parsed.entries] == [a.summary for a in articles]


def test_rss_has_the_required_channel_elements_and_rfc_822_dates() -> None:
    root = rss()
    channel = root.find("channel")
    for name in ("title", "link", "description"):
        assert (channel.findtext(name) or "").strip(), name
    dates = [channel.findtext("lastBuildDate"), *(i.findtext("pubDate") for i in root.iter("item"))]
    dates = [d for d in dates if d is not None]
    assert len(dates) == 3  # lastBuildDate and the two dated items
    for text in dates:
        assert RFC822.match(text), text
        assert parsedate_to_datetime(text).tzinfo is not None


def test_atom_round_trips_through_feedparser() -> None:
    articles = sample_articles()
    parsed = feedparser.parse(render_atom(sample_feed(), base_url=BASE_URL, footer=rights_footer))
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.id == tag("feeds", "all")
    assert [e.title for e in parsed.entries] == [a.title for a in articles]
    assert [e.id for e in parsed.entries] == [tag("article", a.id) for a in articles]
    assert [e.link for e in parsed.entries] == [a.link or a.origin_url for a in articles]
    assert [e.get("author") for e in parsed.entries] == [a.author for a in articles]
    assert parsed.feed.author == "综合新闻"  # the author of the entries that name none
    assert [[t.term for t in e.tags] for e in parsed.entries] == [list(a.categories) for a in articles]
    assert [e.get("published") for e in parsed.entries] == [rfc3339(a.published) for a in articles]
    assert [e.updated for e in parsed.entries] == [rfc3339(a.updated or a.published or a.first_seen) for a in articles]
    assert [e.summary for e in parsed.entries] == [a.summary for a in articles]


# --------------------------------------------------------------------------- fixtures and determinism


@pytest.mark.parametrize(("render", "name"), [(render_rss, "expected.rss"), (render_atom, "expected.atom")])
def test_a_fixed_feed_renders_to_the_reviewed_bytes(render: Any, name: str) -> None:
    data = render(sample_feed(), base_url=BASE_URL, footer=rights_footer)
    path: Path = EXPECTED / name
    if os.environ.get("FEEDS_UPDATE_FIXTURES"):
        path.write_bytes(data)
        pytest.skip(f"rewrote {path}")
    assert data == path.read_bytes()


@pytest.mark.parametrize("render", [render_rss, render_atom])
def test_rendering_twice_gives_identical_bytes(render: Any) -> None:
    first = render(sample_feed(), base_url=BASE_URL, footer=rights_footer)
    assert render(sample_feed(), base_url=BASE_URL, footer=rights_footer) == first


# --------------------------------------------------------------------------- feedgen pitfalls


def test_a_via_link_survives_as_rel_via_in_atom() -> None:
    reprint = entry(atom(), "zh-reprint")
    links = [(link.get("rel"), link.get("href"), link.get("type")) for link in reprint.findall(f"{A}link")]
    assert links == [("alternate", ORIGIN, "text/html"), ("via", REPRINT, "text/html")]
    parsed = feedparser.parse(render_atom(sample_feed(), base_url=BASE_URL))
    seen = {(link.rel, link.href) for link in parsed.entries[2].links}
    assert seen == {("alternate", ORIGIN), ("via", REPRINT)}


def test_a_via_page_equal_to_the_link_adds_no_via_link() -> None:
    feed = sample_feed(articles=(article(via=("https://news.example.com/budget",)),))
    links = entry(atom(feed), "en-1").findall(f"{A}link")
    assert [link.get("rel") for link in links] == ["alternate"]


def test_via_links_stay_out_of_rss() -> None:
    reprint = item(rss(), "zh-reprint")
    assert reprint.findtext("link") == ORIGIN
    assert REPRINT.encode() not in render_rss(sample_feed(), base_url=BASE_URL)


def test_items_keep_the_newest_first_order_of_the_feed() -> None:
    articles = sample_articles()
    ids = [tag("article", a.id) for a in articles]
    assert [i.findtext("guid") for i in rss().iter("item")] == ids
    assert [e.findtext(f"{A}id") for e in atom().iter(f"{A}entry")] == ids


def test_rss_channel_link_is_the_alternate_and_each_format_has_its_own_self_link() -> None:
    channel = rss().find("channel")
    assert channel.findtext("link") == BASE_URL
    [self_link] = channel.findall(f"{A}link")
    assert (self_link.get("rel"), self_link.get("href")) == ("self", f"{BASE_URL}feeds/all.rss")
    assert self_link.get("type") == "application/rss+xml"
    links = {link.get("rel"): (link.get("href"), link.get("type")) for link in atom().findall(f"{A}link")}
    assert links == {
        "self": (f"{BASE_URL}feeds/all.atom", "application/atom+xml"),
        "alternate": (BASE_URL, "text/html"),
    }


def test_last_build_date_and_updated_come_from_the_data_not_the_clock() -> None:
    updated = at("2024-12-23T08:15:00")
    assert rss().find("channel").findtext("lastBuildDate") == "Mon, 23 Dec 2024 08:15:00 +0000"
    assert atom().findtext(f"{A}updated") == updated.isoformat()


def test_without_feed_updated_the_newest_article_date_is_used() -> None:
    feed = sample_feed(updated=None, articles=sample_articles()[1:])
    # zh-undated was first seen 2024-12-21T02:00; the reprint was first seen 2024-12-20.
    assert atom(feed).findtext(f"{A}updated") == "2024-12-21T02:00:00+00:00"
    assert rss(feed).find("channel").findtext("lastBuildDate") == "Sat, 21 Dec 2024 02:00:00 +0000"


def test_a_feed_without_any_date_uses_the_epoch() -> None:
    empty = sample_feed(articles=(), updated=None)
    assert atom(empty).findtext(f"{A}updated") == "1970-01-01T00:00:00+00:00"
    assert rss(empty).find("channel").findtext("lastBuildDate") == "Thu, 01 Jan 1970 00:00:00 +0000"
    undated = sample_feed(updated=None, articles=(article(published=None, first_seen=None),))
    assert entry(atom(undated), "en-1").findtext(f"{A}updated") == EPOCH.isoformat()
    assert item(rss(undated), "en-1").find("pubDate") is None


def test_author_names_go_to_dc_creator_in_rss_and_atom_author() -> None:
    reprint = item(rss(), "zh-reprint")
    assert reprint.find("author") is None
    assert reprint.findtext(f"{DC}creator") == "张三"
    assert item(rss(), "zh-undated").find(f"{DC}creator") is None
    assert entry(atom(), "zh-reprint").findtext(f"{A}author/{A}name") == "张三"
    assert atom().findtext(f"{A}author/{A}name") == "综合新闻"


def test_rights_are_per_entry() -> None:
    rights = sample_articles()[2].rights
    assert entry(atom(), "zh-reprint").findtext(f"{A}rights") == rights
    assert item(rss(), "zh-reprint").findtext(f"{DC}rights") == rights
    assert entry(atom(), "en-1").find(f"{A}rights") is None
    assert item(rss(), "en-1").find(f"{DC}rights") is None


def test_no_atom_source_is_produced() -> None:
    assert atom().find(f".//{A}source") is None


def test_languages_reach_atom_xml_lang_and_rss_language() -> None:
    root = atom()
    assert root.get(XML_LANG) == "zh-CN"
    assert entry(root, "en-1").get(XML_LANG) == "en"
    assert entry(root, "zh-reprint").get(XML_LANG) is None  # inherits zh-CN
    assert rss().find("channel").findtext("language") == "zh-CN"
    mixed = atom(sample_feed(language=None))
    assert mixed.get(XML_LANG) is None
    assert [e.get(XML_LANG) for e in mixed.iter(f"{A}entry")] == ["en", "zh-CN", "zh-CN"]


def test_published_and_updated_per_entry() -> None:
    english = entry(atom(), "en-1")
    assert english.findtext(f"{A}published") == "2024-12-22T09:30:00+00:00"
    assert english.findtext(f"{A}updated") == "2024-12-23T08:15:00+00:00"
    undated = entry(atom(), "zh-undated")
    assert undated.find(f"{A}published") is None
    assert undated.findtext(f"{A}updated") == "2024-12-21T02:00:00+00:00"
    assert item(rss(), "zh-undated").find("pubDate") is None


# --------------------------------------------------------------------------- content and footer


def test_summary_and_html_content_in_both_formats() -> None:
    english = sample_articles()[0]
    atom_entry = entry(atom(), "en-1")
    assert atom_entry.findtext(f"{A}summary") == english.summary
    content = atom_entry.find(f"{A}content")
    assert (content.get("type"), content.text) == ("html", english.content_html)
    rss_item = item(rss(), "en-1")
    assert rss_item.findtext("description") == english.summary
    assert rss_item.findtext(f"{CONTENT}encoded") == english.content_html


def test_the_footer_is_appended_to_the_content_of_each_article_only() -> None:
    reprint = sample_articles()[2]
    footer = rights_footer(reprint)
    assert footer is not None
    atom_entry = entry(atom(footer=rights_footer), "zh-reprint")
    assert atom_entry.findtext(f"{A}content") == reprint.content_html + footer
    assert footer not in atom_entry.findtext(f"{A}summary")
    rss_item = item(rss(footer=rights_footer), "zh-reprint")
    assert rss_item.findtext(f"{CONTENT}encoded") == reprint.content_html + footer
    assert footer not in rss_item.findtext("description")
    # An article without rights gets no footer; without a footer function nothing is added.
    assert entry(atom(footer=rights_footer), "en-1").findtext(f"{A}content") == sample_articles()[0].content_html
    assert entry(atom(), "zh-reprint").findtext(f"{A}content") == reprint.content_html


def test_without_a_summary_rss_description_carries_the_html_content() -> None:
    feed = sample_feed(articles=(article(summary=""),))
    rss_item = item(rss(feed), "en-1")
    assert rss_item.findtext("description") == "<p>Talks on the budget resume on Monday.</p>"
    assert entry(atom(feed), "en-1").find(f"{A}summary") is None


def test_an_empty_title_still_renders() -> None:
    feed = sample_feed(articles=(article(title=" "),))
    assert entry(atom(feed), "en-1").findtext(f"{A}title") == "(untitled)"
    assert item(rss(feed), "en-1").findtext("title") == "(untitled)"


def test_a_plain_text_summary_is_not_markup_in_rss() -> None:
    tricky = article(summary="if a < b & c > d then <b>bold</b>")
    parsed = feedparser.parse(render_rss(sample_feed(articles=(tricky,)), base_url=BASE_URL))
    assert "<b>" not in parsed.entries[0].summary
    assert "&lt;b&gt;bold" in parsed.entries[0].summary


def test_characters_xml_cannot_carry_are_dropped() -> None:
    feed = sample_feed(articles=(article(title="bad\x00title\x0b"),))
    assert entry(atom(feed), "en-1").findtext(f"{A}title") == "badtitle"
    assert item(rss(feed), "en-1").findtext("title") == "badtitle"


def test_naive_datetimes_are_refused() -> None:
    naive = replace(sample_articles()[0], published=datetime(2024, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        render_atom(sample_feed(articles=(naive,)), base_url=BASE_URL)


# --------------------------------------------------------------------------- escaping


def xss_feed() -> Feed:
    evil: Article = article(title=XSS, author=XSS, summary=XSS, categories=("news",))
    return sample_feed(title=XSS, description=XSS, articles=(evil,))


@pytest.mark.parametrize("render", [render_rss, render_atom])
def test_a_script_title_is_escaped_text_never_an_element(render: Any) -> None:
    data = render(xss_feed(), base_url=BASE_URL)
    assert b"<script" not in data
    root = etree.fromstring(data)
    assert not [el for el in root.iter() if isinstance(el.tag, str) and el.tag.endswith("script")]
    parsed = feedparser.parse(data)
    assert parsed.feed.title == XSS
    assert parsed.entries[0].title == XSS


def test_both_formats_from_one_generator_are_the_bytes_of_each_rendered_alone() -> None:
    upstream = Upstream(
        title="Upstream", url="https://up.example.org/feed.xml", id="urn:up", updated=at("2024-12-01T00:00:00")
    )
    odd = (
        article(id="bare", summary="", content_html="", link=None, origin_url=None, author=None, categories=()),
        article(id="relayed", upstream=upstream, via=("https://mirror.example.net/x",), rights="© Example"),
        *sample_articles(),
    )
    pagings = {
        fmt: Paging(f"{BASE_URL}archive/all-2.{fmt}", current=f"{BASE_URL}all.{fmt}",
                    prev_archive=f"{BASE_URL}archive/all-1.{fmt}", archive=True)
        for fmt in ("rss", "atom")
    }  # fmt: skip
    for feed, options in [
        (sample_feed(), {}),
        (sample_feed(articles=odd, icon="https://feeds.example.org/icon.png", description=""), {"hub": HUB}),
        (sample_feed(articles=odd[:1], language=None), {"stylesheet": f"{BASE_URL}feed.xsl"}),
    ]:
        for paging in (None, pagings):
            found = entries(feed, BASE_URL, rights_footer)
            both = render_rss_atom(
                feed, base_url=BASE_URL, items=found, rss_paging=paging and paging["rss"],
                atom_paging=paging and paging["atom"], **options,
            )  # fmt: skip
            alone = (
                render_rss(feed, base_url=BASE_URL, items=found, paging=paging and paging["rss"], **options),
                render_atom(feed, base_url=BASE_URL, items=found, paging=paging and paging["atom"], **options),
            )
            assert both == alone
