"""The normalize pipeline on hand-built ``Extracted`` values."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feeds.config import Settings, load_settings
from feeds.errors import ExtractError
from feeds.models import Block, Extracted, Precision, Source, SourceKind
from feeds.normalize import normalize

NOW = datetime(2024, 12, 21, 12, 0, tzinfo=UTC)
SOURCE = Source(id="inbox", kind=SourceKind.CAPTURE, category="news", name="Captured pages")
BODY = (
    Block("11月18日,县政协组织召开“有事好商量”协商议事会,围绕老旧小区改造开展专题协商。"),
    Block("会议指出,老旧小区改造是民生工程,也是民心工程。"),
)


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings()


def test_meta_fields_become_article_fields(settings: Settings) -> None:
    extracted = Extracted(
        title="县政协召开协商议事会_某某县政协网",
        blocks=BODY,
        meta={"published": "2024-11-18 15:30", "updated": "2024-11-19 08:00", "source": "来源:某某县政协办公室",
              "author": "作者:李明", "editor": "张华"},
        url="http://www.example.gov.cn/zxdt/202411/t20241118_1.html?spm=1.2#top",
    )
    article = normalize(extracted, SOURCE, settings, now=NOW)
    assert article.title == "县政协召开协商议事会"
    assert article.published == datetime(2024, 11, 18, 7, 30, tzinfo=UTC)
    assert article.published_precision is Precision.MINUTE
    assert article.updated == datetime(2024, 11, 19, 0, 0, tzinfo=UTC)
    assert article.source_name == "某某县政协办公室"
    assert article.author == "李明"
    assert article.link == "http://www.example.gov.cn/zxdt/202411/t20241118_1.html"
    assert article.origin_url is None and article.via == ()
    assert article.categories == ("cppcc",)
    assert article.rights == "本文转载自某某县政协办公室,版权归原作者所有。原文:" + article.link


def test_a_reprint_links_to_its_page_and_lists_it_as_via(settings: Settings) -> None:
    extracted = Extracted(
        title="标题", blocks=BODY, meta={"origin_url": "/articles/202404/a.shtml"},
        url="https://mirror.example.org/news/1.html",
    )
    article = normalize(extracted, SOURCE, settings, now=NOW)
    assert article.origin_url == "https://mirror.example.org/articles/202404/a.shtml"  # relative to the page
    assert article.link == "https://mirror.example.org/news/1.html"
    assert article.via == ("https://mirror.example.org/news/1.html",)


def test_published_falls_back_to_the_origin_url_then_the_page_url(settings: Settings) -> None:
    origin = Extracted(title="t", blocks=BODY, meta={"published": "未知", "origin_url": "http://a.example/2024/03/03/x"},
                       url="http://b.example/20240508/y.html")
    got = normalize(origin, SOURCE, settings, now=NOW)
    assert (got.published, got.published_precision) == (datetime(2024, 3, 2, 16, tzinfo=UTC), Precision.DAY)
    page = Extracted(title="t", blocks=BODY, url="http://b.example/20240508/y.html")
    got = normalize(page, SOURCE, settings, now=NOW)
    assert got.published == datetime(2024, 5, 7, 16, tzinfo=UTC)
    nothing = normalize(Extracted(title="t", blocks=BODY), SOURCE, settings, now=NOW)
    assert (nothing.published, nothing.published_precision) == (None, Precision.NONE)


def test_a_future_date_is_not_trusted(settings: Settings) -> None:
    article = normalize(Extracted(title="t", blocks=BODY, meta={"published": "2025-06-01"}), SOURCE, settings, now=NOW)
    assert article.published is None and article.published_precision is Precision.NONE


def test_source_name_falls_back_to_the_configured_name_then_none(settings: Settings) -> None:
    assert normalize(Extracted(title="t", blocks=BODY), SOURCE, settings, now=NOW).source_name == "Captured pages"
    anonymous = Source(id="x", kind=SourceKind.CAPTURE, category="news")
    assert normalize(Extracted(title="t", blocks=BODY), anonymous, settings, now=NOW).source_name is None


def test_html_blocks_are_rendered_and_sanitized(settings: Settings) -> None:
    blocks = (
        Block("小标题", tag="h2"),
        Block("正文 链接", html='正文 <a href="/x.html" onclick="evil()">链接</a><script>alert(1)</script>'),
        Block("一", tag="li"),
        Block("二", tag="li"),
        Block("", tag="img", html='<img src="/a.jpg" alt="图"><img src="/px.gif" width="1" height="1">'),
        Block("a < b & c"),
    )
    article = normalize(Extracted(title="t", blocks=blocks, url="https://e.example/news/1.html"), SOURCE, settings,
                        now=NOW)
    assert article.content_html == (
        "<h2>小标题</h2>\n"
        '<p>正文 <a href="https://e.example/x.html" rel="noopener noreferrer">链接</a></p>\n'
        "<ul><li>一</li><li>二</li></ul>\n"
        '<figure><img src="https://e.example/a.jpg" alt="图"></figure>\n'
        "<p>a &lt; b &amp; c</p>"
    )
    assert article.content_text == "小标题\n\n正文 链接\n\n一\n\n二\n\na < b & c"


def test_text_is_cleaned_and_empty_blocks_dropped(settings: Settings) -> None:
    blocks = (Block("\u3000\u3000首段\u200b内容&nbsp;。"), Block(" \u00a0 "), Block("次段"))
    article = normalize(Extracted(title=" 标题\u200b ", blocks=blocks), SOURCE, settings, now=NOW)
    assert article.title == "标题"
    assert article.content_text == "首段内容 。\n\n次段"


def test_an_english_reprint(settings: Settings) -> None:
    extracted = Extracted(
        title="City Council Approves Budget for Flood Defences - Riverside Herald",
        blocks=(
            Block("The city council voted on Monday to approve a 12 million budget for new flood defences."),
            Block("Disclaimer: This article is reprinted for information only. All rights reserved."),
        ),
        meta={"published": "March 3, 2024 14:20", "author": "By Anna Fischer",
              "origin_url": "https://www.example-herald.org/news/2024/03/03/council-approves-flood-budget/"},
    )
    london = Source(id="en", kind=SourceKind.CAPTURE, category="news", timezone="Europe/London")
    article = normalize(extracted, london, settings, now=NOW)
    assert article.title == "City Council Approves Budget for Flood Defences"
    assert article.language == "en"
    assert article.author == "Anna Fischer"
    assert article.published == datetime(2024, 3, 3, 14, 20, tzinfo=UTC)
    assert article.disclaimer is not None and article.disclaimer.kind == "liability"
    assert "Disclaimer" not in article.content_text
    assert article.categories == ("news",)
    assert article.rights is not None and "www.example-herald.org" in article.rights


def test_meta_labels_are_dropped_but_names_kept(settings: Settings) -> None:
    meta = {"source": "Bystander News", "author": "Source: Anna"}
    article = normalize(Extracted(title="t", blocks=BODY, meta=meta), SOURCE, settings, now=NOW)
    assert (article.source_name, article.author) == ("Bystander News", "Anna")


def test_the_declared_language_wins_when_plausible(settings: Settings) -> None:
    article = normalize(Extracted(title="標題", blocks=BODY, language="zh-TW"), SOURCE, settings, now=NOW)
    assert article.language == "zh-TW"


def test_a_missing_title_is_taken_from_the_body(settings: Settings) -> None:
    article = normalize(Extracted(title="  ", blocks=BODY), SOURCE, settings, now=NOW)
    assert article.title == BODY[0].text


def test_nothing_at_all_is_an_extract_error(settings: Settings) -> None:
    with pytest.raises(ExtractError):
        normalize(Extracted(title="", blocks=(Block("  "),)), SOURCE, settings, now=NOW)


def test_now_defaults_to_the_current_time(settings: Settings) -> None:
    article = normalize(Extracted(title="t", blocks=BODY, meta={"published": "刚刚"}), SOURCE, settings)
    assert article.published is not None
    assert abs((datetime.now(UTC) - article.published).total_seconds()) < 120


def test_image_alt_text_is_not_body_text(settings: Settings) -> None:
    blocks = (
        Block("会场全景", tag="img", html='<img src="/a.jpg" alt="会场全景">'),
        Block("4月11日,市政协召开常委会议。"),
    )
    article = normalize(Extracted(title="标题", blocks=blocks, url="https://e.example/news/1.html"), SOURCE, settings,
                        now=NOW)
    assert article.content_text == "4月11日,市政协召开常委会议。"
    assert article.summary == "4月11日,市政协召开常委会议。"
    assert '<img src="https://e.example/a.jpg" alt="会场全景">' in article.content_html


def test_an_untitled_image_only_article_is_titled_by_its_alt_text(settings: Settings) -> None:
    blocks = (Block("会场全景", tag="img", html='<img src="/a.jpg" alt="会场全景">'),)
    article = normalize(Extracted(title="", blocks=blocks, url="https://e.example/news/1.html"), SOURCE, settings,
                        now=NOW)
    assert (article.title, article.content_text) == ("会场全景", "")
