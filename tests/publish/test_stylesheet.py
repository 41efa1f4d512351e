"""feed.xsl: RSS and Atom open in a browser as a readable page; the feeds stay valid."""

from __future__ import annotations

from importlib import resources
from typing import Any

import feedparser
import pytest
from lxml import etree, html

from feeds.publish.render import render_atom, render_rss
from tests.publish.articles import BASE_URL, XSS, article, rights_footer, sample_articles, sample_feed
from tests.publish.test_render import assert_valid_atom

STYLESHEET = f"{BASE_URL}feed.xsl"
HUB = "https://hub.example.org/"
PI = f'<?xml-stylesheet type="text/xsl" href="{STYLESHEET}"?>'.encode()


def transform(data: bytes) -> html.HtmlElement:
    xsl = etree.XML(resources.files("feeds.publish").joinpath("feed.xsl").read_bytes())
    result = etree.XSLT(xsl)(etree.fromstring(data))
    return html.fromstring(bytes(result))


@pytest.mark.parametrize("render", [render_rss, render_atom])
def test_the_instruction_follows_the_xml_declaration(render: Any) -> None:
    data = render(sample_feed(), base_url=BASE_URL, stylesheet=STYLESHEET)
    declaration, instruction, _ = data.split(b"\n", 2)
    assert declaration == b"<?xml version='1.0' encoding='UTF-8'?>"
    assert instruction == PI
    assert PI not in render(sample_feed(), base_url=BASE_URL)


@pytest.mark.parametrize("render", [render_rss, render_atom])
def test_the_stylesheet_shows_every_item_with_its_link(render: Any) -> None:
    data = render(sample_feed(), base_url=BASE_URL, footer=rights_footer, stylesheet=STYLESHEET)
    page = transform(data)
    assert page.get("lang") == "zh-CN"
    assert page.findtext(".//title") == "综合新闻"
    assert page.findtext(".//h1") == "综合新闻"
    assert "Every article of every category" in page.text_content()
    assert "copy its URL into your feed reader" in page.text_content().replace("Copy", "copy")
    fmt = "rss" if render is render_rss else "atom"
    assert page.findtext(".//code") == f"{BASE_URL}feeds/all.{fmt}"
    headings = page.findall(".//li/h2")
    articles = sample_articles()
    assert [h.text_content() for h in headings] == [a.title for a in articles]
    assert [h.find("a").get("href") for h in headings] == [a.link or a.origin_url for a in articles]
    meta = [li.findtext("p[@class='meta']") or "" for li in page.findall(".//li")]
    assert "2024" in meta[0] and "Jane Doe" in meta[0]


@pytest.mark.parametrize("render", [render_rss, render_atom])
def test_the_page_carries_no_markup_from_the_data_and_links_only_to_http(render: Any) -> None:
    evil = article(title=XSS, summary=XSS, link="javascript:alert(1)", origin_url=None)
    page = transform(render(sample_feed(title=XSS, articles=(evil,)), base_url=BASE_URL, stylesheet=STYLESHEET))
    assert page.find(".//script") is None
    assert page.findtext(".//h1") == XSS
    assert page.findtext(".//li/h2") == XSS
    assert page.find(".//li/h2/a") is None


def test_feeds_with_the_stylesheet_and_a_hub_stay_valid() -> None:
    atom = render_atom(sample_feed(), base_url=BASE_URL, footer=rights_footer, hub=HUB, stylesheet=STYLESHEET)
    rss = render_rss(sample_feed(), base_url=BASE_URL, footer=rights_footer, hub=HUB, stylesheet=STYLESHEET)
    assert_valid_atom(atom)
    for data in (atom, rss):
        parsed = feedparser.parse(data)
        assert not parsed.bozo, parsed.get("bozo_exception")
        assert len(parsed.entries) == 3
