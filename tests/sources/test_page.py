"""List pages of sites without a feed: article links and the next page (feeds.sources.page)."""

from __future__ import annotations

import pytest

from feeds.errors import ParseError
from feeds.models import ListRules
from feeds.sources.page import ListLink, next_page_url, parse_list

LIST_URL = "http://www.example.gov.cn/zxyw/index.html"
PAGE = """<!DOCTYPE html><html><head><meta charset="utf-8"><title>政协要闻</title></head><body>
<ul class="nav"><li><a href="/">首页</a></li></ul>
<ul class="list">
  <li><a href="./202412/t20241218_1.html?utm_source=home&id=7">政协召开常委会议</a><span>2024-12-18</span></li>
  <li><a href="http://WWW.Example.gov.cn:80/zxyw/202412/t20241217_2.html#top">委员视察城市更新</a>
      <span>2024-12-17</span></li>
  <li><a href="javascript:void(0)">更多</a></li>
  <li><a href="mailto:zx@example.gov.cn">来信</a></li>
  <li><a href="#">置顶</a></li>
  <li><span>没有链接的条目</span></li>
  <li><a href="202412/t20241218_1.html?id=7">政协召开常委会议(重复)</a><span>2024-12-18</span></li>
  <li><em>2024-12-16</em> <a href="/other/202412/t20241216_3.html" title="完整标题">截断的标题...</a></li>
</ul>
<div class="page"><a href="index.html">首页</a> <a class="next" href="index_1.html">下一页</a></div>
</body></html>"""


def _rules(**overrides: object) -> ListRules:
    values: dict[str, object] = {"links": "ul.list li", "title": "a", "date": "span, em"}
    values.update(overrides)
    return ListRules(**values)  # type: ignore[arg-type]


def test_links_are_absolute_canonical_deduplicated_and_in_page_order() -> None:
    page = parse_list(PAGE.encode(), LIST_URL, "utf-8", _rules())
    assert page.links == (
        ListLink("http://www.example.gov.cn/zxyw/202412/t20241218_1.html?id=7", "政协召开常委会议", "2024-12-18"),
        ListLink("http://www.example.gov.cn/zxyw/202412/t20241217_2.html", "委员视察城市更新", "2024-12-17"),
        ListLink("http://www.example.gov.cn/other/202412/t20241216_3.html", "截断的标题...", "2024-12-16"),
    )


def test_title_defaults_to_the_link_text_and_attributes_can_be_selected_by_xpath() -> None:
    page = parse_list(PAGE.encode(), LIST_URL, None, _rules(links="ul.list a", title=None, date=None))
    assert [link.title for link in page.links] == ["政协召开常委会议", "委员视察城市更新", "截断的标题..."]
    assert all(link.date == "" for link in page.links)

    by_xpath = parse_list(PAGE.encode(), LIST_URL, None, _rules(links="//ul[@class='list']//a/@href", title=None))
    assert [link.url for link in by_xpath.links] == [link.url for link in page.links]
    assert all(link.title == "" for link in by_xpath.links)

    titled = parse_list(PAGE.encode(), LIST_URL, None, _rules(links="ul.list a", title="xpath:string(./@title)"))
    assert titled.links[2].title == "完整标题"


def test_next_page_by_selector_is_resolved_against_the_list_page() -> None:
    page = parse_list(PAGE.encode(), LIST_URL, None, _rules(next_page="a.next"))
    assert page.next_url == "http://www.example.gov.cn/zxyw/index_1.html"


def test_the_walk_ends_at_max_pages_or_at_a_page_already_read() -> None:
    assert parse_list(PAGE.encode(), LIST_URL, None, _rules(next_page="a.next", max_pages=1)).next_url is None
    second = parse_list(PAGE.encode(), "http://www.example.gov.cn/zxyw/index_1.html", None,
                        _rules(next_page="div.page a"), page=2, visited=(LIST_URL,))  # fmt: skip
    assert second.next_url is None  # its first pager link leads back to index.html
    assert parse_list(PAGE.encode(), LIST_URL, None, _rules(next_page="a.missing")).next_url is None


@pytest.mark.parametrize(
    ("pattern", "page", "expected"),
    [
        ("index_{i}.html", 2, "http://www.example.gov.cn/zxyw/index_1.html"),  # TRS: index, index_1, index_2
        ("index_{i}.html", 3, "http://www.example.gov.cn/zxyw/index_2.html"),
        ("list_{n}.html", 2, "http://www.example.gov.cn/zxyw/list_2.html"),
        ("/news/list.jsp?page={n}", 4, "http://www.example.gov.cn/news/list.jsp?page=4"),
        ("https://m.example.gov.cn/zxyw/{n}/", 2, "https://m.example.gov.cn/zxyw/2/"),
    ],
)
def test_page_pattern(pattern: str, page: int, expected: str) -> None:
    assert next_page_url(pattern, LIST_URL, page) == expected


def test_page_pattern_counts_from_the_first_list_page() -> None:
    rules = _rules(page_pattern="index_{i}.html", max_pages=3)
    first = parse_list(PAGE.encode(), LIST_URL, None, rules)
    assert first.next_url == "http://www.example.gov.cn/zxyw/index_1.html"
    second = parse_list(PAGE.encode(), first.next_url, None, rules, page=2, visited=(LIST_URL,))
    assert second.next_url == "http://www.example.gov.cn/zxyw/index_2.html"
    third = parse_list(PAGE.encode(), "http://www.example.gov.cn/zxyw/index_2.html", None, rules, page=3,
                       visited=(LIST_URL, first.next_url))  # fmt: skip
    assert third.next_url is None  # max_pages


def test_a_gb2312_list_page_is_decoded_by_its_meta_or_transport_charset() -> None:
    html = PAGE.replace('charset="utf-8"', 'charset="gb2312"').encode("gb18030")
    assert parse_list(html, LIST_URL, None, _rules()).links[0].title == "政协召开常委会议"
    bare = PAGE.replace('<meta charset="utf-8">', "").encode("gb18030")
    assert parse_list(bare, LIST_URL, "GB2312", _rules()).links[1].title == "委员视察城市更新"


def test_an_xhtml_list_page_with_an_xml_declaration() -> None:
    xhtml = '<?xml version="1.0" encoding="utf-8"?>' + PAGE.replace("<!DOCTYPE html>", "")
    assert len(parse_list(xhtml.encode(), LIST_URL, None, _rules()).links) == 3


def test_a_page_without_links_or_markup() -> None:
    assert parse_list(b"<html><body><p>none</p></body></html>", LIST_URL, None, _rules()).links == ()
    with pytest.raises(ParseError, match=r"list page .* is not readable as HTML"):
        parse_list(b"   ", LIST_URL, None, _rules())
