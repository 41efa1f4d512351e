"""Per-site extraction rules (feeds.extract.rules) through ``extract_html``, and their lookup by host."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from feeds.config import Settings, load_settings
from feeds.errors import ConfigError
from feeds.extract import extract
from feeds.extract.html import extract_html
from feeds.extract.rules import rule_date
from feeds.models import RawItem, SiteRules, Source, SourceKind
from tests.conftest import FIXTURES, ROOT, make_instance

URL = "http://www.example-zx.gov.cn/zxyw/202412/t20241218_1.html"
PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>某某网站 - 首页</title>
<meta name="ArticleTitle" content="市政协召开专题协商会">
<meta name="PubDate" content="2024-12-18 16:12">
</head><body>
<div id="crumb">当前位置:首页 &gt; 要闻</div>
<div class="wrap">
  <div class="headline"><span class="t">市政协召开专题协商会</span></div>
  <div class="meta">时间:2024年12月18日 16:12 <span class="src">来源:市政协办公室</span> <i>作者:王芳</i></div>
  <div class="text">
    <p>12月18日,市政协召开专题协商会,围绕城市更新听取委员意见建议。</p>
    <div class="ad">广告:某某楼盘火热认购中</div>
    <p>会议指出,要坚持以人民为中心,把城市更新作为提升群众获得感的重要抓手。</p>
  </div>
  <div class="article-content">
  <p>这是另一块看起来像正文但其实是推荐阅读的内容,它比较长以便被通用提取器选中作为正文容器使用。</p>
  <p>推荐阅读的第二段内容也相当长,足以让通用提取器误以为这里才是正文所在的位置。</p></div>
</div>
</body></html>"""


def test_rules_choose_title_body_date_source_author_and_strip() -> None:
    rules = SiteRules(
        title="div.headline .t",
        body="div.text",
        date="div.meta",
        source="span.src",
        author="xpath:substring-after(//div[@class='meta']/i, ':')",
        strip=("div.ad",),
        date_format="%Y年%m月%d日 %H:%M",
        timezone="Asia/Shanghai",
    )
    page = extract_html(PAGE, URL, rules)
    assert page.title == "市政协召开专题协商会"
    assert [block.text for block in page.blocks] == [
        "12月18日,市政协召开专题协商会,围绕城市更新听取委员意见建议。",
        "会议指出,要坚持以人民为中心,把城市更新作为提升群众获得感的重要抓手。",
    ]
    assert page.meta["published"] == "2024-12-18 16:12+08:00"
    assert page.meta["source"] == "来源:市政协办公室"  # the label goes in normalization
    assert page.meta["author"] == "王芳"


def test_without_rules_the_generic_extractor_reads_the_page() -> None:
    generic = extract_html(PAGE, URL)
    assert generic.title == "市政协召开专题协商会"  # from <meta name="ArticleTitle">
    assert generic.blocks[0].text.startswith("这是另一块看起来像正文")  # the generic guess
    assert generic == extract_html(PAGE, URL, None) == extract_html(PAGE, URL, SiteRules())


def test_selectors_that_find_nothing_leave_their_field_to_the_generic_extractor() -> None:
    rules = SiteRules(title="h1.nothing", body="#nothing", date="//time", source="span.none")
    assert extract_html(PAGE, URL, rules) == extract_html(PAGE, URL)


def test_a_meta_element_gives_its_content_and_the_date_format_applies_to_generic_dates() -> None:
    rules = SiteRules(title="meta[name=ArticleTitle]", body="div.text", date_format="%Y-%m-%d %H:%M")
    page = extract_html(PAGE, URL, rules)
    assert page.title == "市政协召开专题协商会"
    assert page.meta["published"] == "2024-12-18 16:12"  # from <meta name="PubDate">, zone-less: no rules zone


@pytest.mark.parametrize(
    ("date_format", "timezone", "text", "expected"),
    [
        ("%Y年%m月%d日 %H:%M", "Asia/Shanghai", "发布时间：2024年4月12日 10:30 来源：某某", "2024-04-12 10:30+08:00"),
        ("%Y年%m月%d日", "Asia/Shanghai", "日期:2024年4月12日", "2024-04-12"),  # a day: zone left to the source's
        ("%d/%m/%Y %H:%M:%S", None, "posted 12/04/2024 10:30:05", "2024-04-12 10:30:05"),
        ("%Y-%m-%dT%H:%M%z", "Asia/Shanghai", "2024-04-12T10:30+0200", "2024-04-12 10:30+02:00"),
        ("%Y.%m.%d %H:%M", "Europe/Berlin", "２０２４．０７．０１　０９：１５", "2024-07-01 09:15+02:00"),  # NFKC
        ("%Y-%m-%d", "UTC", "no date here", "no date here"),
        ("%Y-%m-%d", "UTC", "2024-13-45", "2024-13-45"),  # matches the pattern, not the calendar
    ],
)
def test_rule_date(date_format: str, timezone: str | None, text: str, expected: str) -> None:
    assert rule_date(text, SiteRules(date_format=date_format, timezone=timezone)) == expected


def test_extract_passes_rules_to_html_pages_only() -> None:
    rules = SiteRules(body="div.text", strip=("div.ad",))
    raw = RawItem("s", URL, PAGE.encode(), "h", "text/html", url=URL)
    assert extract(raw, rules).blocks[0].text.startswith("12月18日")
    seed = (FIXTURES / "seed" / "000_3f7fc0ed3a60827e.txt").read_bytes()
    text = RawItem("s", "seed.txt", seed, "h", "text/plain")
    assert extract(text, rules) == extract(text)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    config = make_instance(tmp_path)
    (config / "sources.toml").write_text(
        """
[[source]]
id = "list"
kind = "page"
url = "http://www.example-zx.gov.cn/zxyw/index.html"
category = "news"
links = "ul.list a"
rules = { body = "div.text" }

[[source]]
id = "plain"
kind = "page"
url = "http://www.other.org/list.html"
category = "news"
links = "ul.list a"

[[site]]
host = "example-zx.gov.cn"
title = "meta[name=ArticleTitle]"
body = "div.TRS_Editor"
timezone = "Asia/Shanghai"
""",
        encoding="utf-8",
    )
    return load_settings(config)


def test_rules_of_a_source_are_laid_over_those_of_its_host(settings: Settings) -> None:
    listed, plain = settings.source("list"), settings.source("plain")
    rules = settings.rules_for(listed, URL)
    assert rules is not None
    assert (rules.title, rules.body, rules.timezone) == ("meta[name=ArticleTitle]", "div.text", "Asia/Shanghai")
    site = settings.rules_for(plain, "http://example-zx.gov.cn/a.html")  # the host itself, or a subdomain
    assert site is not None and site.body == "div.TRS_Editor"
    assert settings.rules_for(plain, "http://www.other.org/a.html") is None
    assert settings.rules_for(plain, "http://notexample-zx.gov.cn/a.html") is None
    own = settings.rules_for(listed, "http://www.other.org/a.html")
    assert own is not None and (own.body, own.title) == ("div.text", None)


def test_a_feed_source_takes_no_page_keys(tmp_path: Path) -> None:
    config = make_instance(tmp_path)
    (config / "sources.toml").write_text(
        '[[source]]\nid = "f"\nkind = "feed"\nurl = "https://a.example.org/feed.xml"\ncategory = "news"\n'
        'links = "a"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"source\[0\]\.links: source 'f': only a page source"):
        load_settings(config)


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ("", r"source\[0\]\.links: source 'p': missing"),
        ('links = "a"\nnext_page = "a.next"\npage_pattern = "index_{i}.html"\n', r"set next_page or page_pattern"),
        ('links = "a"\npage_pattern = "index.html"\n', r"page_pattern: expected a URL pattern holding \{n\}"),
        ('links = "a"\nmax_pages = 0\n', r"max_pages: expected a positive integer"),
        ('links = "a"\nmin_delay = -1\n', r"min_delay: expected seconds from 0 to 3600"),
        ('links = "a"\nrules = "x"\n', r"source\[0\]\.rules: expected a table"),
        ('links = "a"\nrules = { timezone = "Mars/Base" }\n', r"rules\.timezone: unknown time zone"),
    ],
)
def test_page_keys_are_checked(tmp_path: Path, extra: str, expected: str) -> None:
    config = make_instance(tmp_path)
    (config / "sources.toml").write_text(
        f'[[source]]\nid = "p"\nkind = "page"\nurl = "https://a.example.org/list.html"\ncategory = "news"\n{extra}',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=expected):
        load_settings(config)


def test_a_site_needs_a_host_once(tmp_path: Path) -> None:
    config = make_instance(tmp_path)
    sources = config / "sources.toml"
    sources.write_text(sources.read_text() + '\n[[site]]\nbody = "div.x"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"site\[0\]\.host: missing"):
        load_settings(config)
    sources.write_text(sources.read_text() + 'host = "a.example.org"\n[[site]]\nhost = "A.example.org"\n')
    with pytest.raises(ConfigError, match=r"site\[1\]\.host: duplicate \[\[site\]\] for host 'a.example.org'"):
        load_settings(config)


def test_a_source_kind_page_loads_with_its_defaults(tmp_path: Path) -> None:
    config = make_instance(tmp_path)
    (config / "sources.toml").write_text(
        '[[source]]\nid = "p"\nkind = "page"\nurl = "https://a.example.org/list.html"\ncategory = "news"\n'
        'links = "ul.list li"\n',
        encoding="utf-8",
    )
    source = load_settings(config).source("p")
    assert source.kind is SourceKind.PAGE
    assert source.listing is not None
    assert (source.listing.max_pages, source.listing.min_delay, source.listing.next_page) == (3, 1.0, None)
    assert source.rules is None
    assert isinstance(source, Source)


def test_the_commented_page_examples_of_the_bundled_sources_toml_load(tmp_path: Path) -> None:
    """Uncommented, the examples in config/sources.toml are a valid configuration."""
    config = make_instance(tmp_path)
    bundled = (ROOT / "config" / "sources.toml").read_text(encoding="utf-8")
    example = bundled[bundled.index("# 1. A TRS-style CMS site") :]
    lines = [line[2:] for line in example.splitlines() if re.match(r"^# (\[|[a-z_]+ = )", line)]
    (config / "sources.toml").write_text("\n".join(lines), encoding="utf-8")
    settings = load_settings(config)
    assert [(s.id, s.kind) for s in settings.sources] == [
        ("zx-news", SourceKind.PAGE),
        ("county-zx", SourceKind.PAGE),
        ("reprints", SourceKind.PAGE),
    ]
    assert [site.host for site in settings.sites] == ["www.example-zx.gov.cn"]
    county = settings.source("county-zx")
    assert county.rules is not None and county.rules.date_format == "%Y年%m月%d日 %H:%M"
