"""OPML reading (nesting, safety guards), writing (grouping, stable bytes) and the import plan."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from feeds.errors import ParseError
from feeds.models import Category, Source, SourceKind
from feeds.sources.opml import OpmlFeed, plan_import, read_opml, write_opml

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "opml"
CATEGORIES = (
    Category(slug="news", title="综合新闻", default=True),
    Category(slug="cppcc", title="政协动态"),
    Category(slug="economy", title="经济"),
)


def _read(name: str) -> list[OpmlFeed]:
    path = FIXTURES / name
    return read_opml(path.read_bytes(), where=str(path))


def test_nested_outlines_give_the_category_path() -> None:
    feeds = _read("nested.opml")
    assert [(f.url, f.title, f.category_path) for f in feeds] == [
        ("https://www.cppcc.example.cn/rss/news.xml", "人民政协新闻", ("政协动态", "全国政协")),
        ("https://zx.example.gov.cn/feed", "地方政协", ("政协动态",)),
        ("https://finance.example.com/rss.xml", "财经要闻", ("经济",)),
        ("https://tech.example.com/atom", "Only a title", ("经济", "Tech")),
        ("https://markets.example.net/feed/", "Markets", ("Reading", "ECONOMY")),
        ("https://loose.example.org/index.xml", "Loose feed", ()),
    ]
    assert feeds[0].html_url == "https://www.cppcc.example.cn/"
    assert feeds[1].html_url is None


def test_a_flat_list_keeps_only_outlines_with_an_xml_url() -> None:
    feeds = _read("flat.opml")
    assert [f.title for f in feeds] == ["Alpha", "Beta", "Alpha again", "Old scheme", "Gamma"]
    assert all(f.category_path == () for f in feeds)


def test_a_malformed_file_names_the_file_and_line() -> None:
    with pytest.raises(ParseError, match=r"malformed\.opml: line 7: not well-formed XML"):
        _read("malformed.opml")


def test_a_doctype_entity_is_refused_and_never_expanded() -> None:
    with pytest.raises(ParseError) as caught:
        _read("entity.opml")
    message = str(caught.value)
    assert "entity.opml: line 3: refused, the DOCTYPE declares entities" in message
    assert "EXPANDED-ENTITY-VALUE" not in message


def test_an_external_entity_is_not_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET", encoding="utf-8")
    data = (
        f'<?xml version="1.0"?>\n<!DOCTYPE opml [<!ENTITY x SYSTEM "file://{secret}">]>\n'
        '<opml version="2.0"><body><outline text="&x;" xmlUrl="https://a.example/"/></body></opml>'
    ).encode()
    with pytest.raises(ParseError, match="line 2: refused") as caught:
        read_opml(data, where="xxe.opml")
    assert "TOP-SECRET" not in str(caught.value)


def test_an_entity_in_another_encoding_is_refused_too() -> None:
    text = (
        '<?xml version="1.0" encoding="UTF-16"?>\n<!DOCTYPE opml [<!ENTITY e "EXPANDED">]>\n'
        '<opml version="2.0"><body><outline text="&e;" xmlUrl="https://a.example/"/></body></opml>'
    )
    with pytest.raises(ParseError, match="refused, the DOCTYPE declares entities"):
        read_opml(text.encode("utf-16"), where="utf16.opml")


def test_an_entity_expansion_bomb_is_refused_at_once() -> None:
    entities = "".join(f'<!ENTITY e{i} "{f"&e{i - 1};" * 10}">' for i in range(1, 10))
    data = (
        f'<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY e0 "lol">{entities}]>'
        '<opml version="2.0"><body><outline text="&e9;" xmlUrl="https://a.example/"/></body></opml>'
    ).encode()
    started = time.monotonic()
    with pytest.raises(ParseError, match="refused"):
        read_opml(data, where="bomb.opml")
    assert time.monotonic() - started < 1


def test_a_doctype_without_declarations_is_read() -> None:
    data = b'<?xml version="1.0"?>\n<!DOCTYPE opml>\n<opml version="2.0"><body><outline text="A" xmlUrl="https://a.example/f"/></body></opml>'
    assert [f.url for f in read_opml(data, where="plain.opml")] == ["https://a.example/f"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b'<?xml version="1.0"?>\n<rss version="2.0"><channel/></rss>', "line 2: not OPML (the root element is <rss>"),
        (b'<opml version="2.0"><head/></opml>', "line 1: OPML without a <body>"),
        (b"", "line 1: not well-formed XML"),
    ],
)
def test_what_is_not_opml_is_named(data: bytes, expected: str) -> None:
    with pytest.raises(ParseError, match=re.escape("x.opml: " + expected)):
        read_opml(data, where="x.opml")


def _feed(source_id: str, category: str, url: str | None, name: str = "", path: Path | None = None) -> Source:
    return Source(id=source_id, kind=SourceKind.FEED, category=category, url=url, name=name, path=path)


SOURCES = (
    Source(id="inbox", kind=SourceKind.CAPTURE, category="news", path=Path("/srv/inbox")),
    _feed("markets", "economy", "https://markets.example.net/feed/", "Markets & <Trade>"),
    _feed("cppcc", "cppcc", "https://www.cppcc.example.cn/rss/news.xml", "人民政协新闻"),
    _feed("local", "economy", None, path=Path("/srv/local.xml")),
    _feed("bare", "economy", "https://bare.example.com/rss"),
    Source(id="list", kind=SourceKind.PAGE, category="news", url="https://pages.example.com/list"),
)


def test_write_groups_feed_sources_by_category_in_a_stable_document() -> None:
    data = write_opml(SOURCES, CATEGORIES, title="feeds", html_urls={"cppcc": "https://www.cppcc.example.cn/"})
    assert data == write_opml(SOURCES, CATEGORIES, title="feeds", html_urls={"cppcc": "https://www.cppcc.example.cn/"})
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<opml version=\"2.0\">")
    assert b"dateCreated" not in data and b"dateModified" not in data
    text = data.decode("utf-8")
    assert '<outline text="综合新闻"' not in text  # no feed source in news: the capture and page sources are left out
    assert text.index('text="政协动态"') < text.index('text="经济"')
    assert 'text="Markets &amp; &lt;Trade&gt;"' in text
    assert 'htmlUrl="https://www.cppcc.example.cn/"' in text
    assert text.count('type="rss"') == 3
    feeds = read_opml(data, where="export")
    assert [(f.url, f.title, f.category_path) for f in feeds] == [
        ("https://www.cppcc.example.cn/rss/news.xml", "人民政协新闻", ("政协动态",)),
        ("https://markets.example.net/feed/", "Markets & <Trade>", ("经济",)),
        ("https://bare.example.com/rss", "https://bare.example.com/rss", ("经济",)),
    ]


def test_the_plan_takes_the_innermost_category_and_skips_duplicates() -> None:
    configured = (_feed("finance", "economy", "https://FINANCE.example.com/rss.xml"),)
    feeds = [*_read("nested.opml"), OpmlFeed(url="https://zx.example.gov.cn/feed/", title="again")]
    plan = plan_import(feeds, sources=configured, categories=CATEGORIES, fallback="news")
    assert [(s.id, s.category, s.name) for s in plan.added] == [
        ("cppcc-example-cn-rss-news-xml", "cppcc", "人民政协新闻"),
        ("zx-example-gov-cn-feed", "cppcc", "地方政协"),
        ("tech-example-com-atom", "economy", "Only a title"),
        ("markets-example-net-feed", "economy", "Markets"),
        ("loose-example-org-index-xml", "news", "Loose feed"),
    ]
    assert plan.already_configured == (("https://finance.example.com/rss.xml", "finance"),)
    assert plan.repeated == ("https://zx.example.gov.cn/feed/",)
    assert plan.summary() == (
        "added 5, skipped 2 (already configured: https://finance.example.com/rss.xml as finance; "
        "repeated in the file: https://zx.example.gov.cn/feed/)"
    )


def test_the_plan_refuses_what_is_not_http_and_keeps_ids_unique() -> None:
    configured = (_feed("alpha-example-com-feed-xml", "news", "https://elsewhere.example/"),)
    plan = plan_import(_read("flat.opml"), sources=configured, categories=CATEGORIES, fallback="economy")
    assert [s.id for s in plan.added] == [
        "alpha-example-com-feed-xml-2",
        "beta-example-com-rss",
        "gamma-example-com-feed",
    ]
    assert {s.category for s in plan.added} == {"economy"}
    assert plan.refused == ("feed://delta.example.com/rss",)
    assert plan.repeated == ("https://ALPHA.example.com/feed.xml",)
    assert plan.skipped == 2
