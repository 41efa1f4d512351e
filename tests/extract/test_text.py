"""Plain-text captures: the seed, and the meta lines shared with HTML pages."""

from __future__ import annotations

import hashlib

import pytest

from feeds.errors import ExtractError
from feeds.extract import extract
from feeds.extract.text import extract_text, meta_fields, take_meta
from feeds.models import Block, RawItem
from feeds.normalize.boilerplate import strip_boilerplate
from tests.conftest import SEED

SEED_TITLE = "坚持和加强党的全面领导 展现新时代人民政协责任担当"
SEED_ORIGIN = "http://www.sdzx.gov.cn/articles/ch02373/202404/184ec8ac-c80a-4e50-8497-cdf652700502.shtml"


def _raw(data: bytes, media_type: str = "text/plain", charset: str | None = None) -> RawItem:
    return RawItem("test", "capture.txt", data, hashlib.sha256(data).hexdigest(), media_type, charset=charset)


def test_seed_title_and_origin() -> None:
    extracted = extract(_raw(SEED.read_bytes()))
    assert extracted.title == SEED_TITLE
    assert extracted.meta == {"origin_url": SEED_ORIGIN}
    assert extracted.url is None
    assert not any("原文链接" in block.text for block in extracted.blocks)


def test_seed_body_after_boilerplate_is_the_article_and_its_disclaimer() -> None:
    blocks = strip_boilerplate(extract(_raw(SEED.read_bytes())).blocks)
    texts = [block.text for block in blocks]
    assert len(texts) == 8
    assert texts[0].startswith("坚持和加强党对人民政协工作的全面领导,是习近平总书记关于加强和改进人民政协工作")
    assert texts[0].endswith("干出政协新样子、展现政协新作为。")
    assert texts[6].startswith("要以改革思维、创新理念、务实举措全面提升自身建设水平")
    assert texts[6].endswith("持续巩固风清气正、团结和谐、奋进实干的政治生态。")
    assert texts[7].startswith("[免责声明] 本文来源于网络转载")
    assert texts[7].endswith("我们将在第一时间处理。")
    joined = "\n".join(texts)
    for gone in ("上一篇", "下一篇", "最新加入", "热门资讯", "24-12-", "20-05-", "李强主持", "原文链接"):
        assert gone not in joined
    assert all(block.tag == "p" and block.html is None for block in blocks)


def test_seed_lines_are_kept_verbatim() -> None:
    lines = SEED.read_text(encoding="utf-8").splitlines()
    blocks = strip_boilerplate(extract(_raw(SEED.read_bytes())).blocks)
    assert [block.text for block in blocks] == [*lines[1:8], lines[9]]


@pytest.mark.parametrize(
    ("line", "fields"),
    [
        ("发布时间:2024-04-12 10:30 来源:人民网 作者:张三",
         {"published": "2024-04-12 10:30", "source": "人民网", "author": "张三"}),
        ("发布日期：2024-04-12　来源：人民网", {"published": "2024-04-12", "source": "人民网"}),
        ("日期:2024年4月12日", {"published": "2024年4月12日"}),
        ("时间:2024-04-12 09:00:05", {"published": "2024-04-12 09:00:05"}),
        ("更新时间:2024-04-13 08:00", {"updated": "2024-04-13 08:00"}),
        ("来源于:新华网", {"source": "新华网"}),
        ("文章来源:某某日报", {"source": "某某日报"}),
        ("来源:https://www.example.cn/a.html", {"origin_url": "https://www.example.cn/a.html"}),
        ("作者:李明 浏览次数:{{ pvCount }}", {"author": "李明"}),
        ("责任编辑:张华", {"editor": "张华"}),
        ("编辑：王五", {"editor": "王五"}),
        ("原文链接:http://www.sdzx.gov.cn/a.shtml", {"origin_url": "http://www.sdzx.gov.cn/a.shtml"}),
        ("本文链接：https://x.example/1", {"origin_url": "https://x.example/1"}),
        ("来源链接:https://x.example/2", {"origin_url": "https://x.example/2"}),
        ("原文地址:https://x.example/3", {"origin_url": "https://x.example/3"}),
        ("【摘要】全文的要点。", {"abstract": "全文的要点。"}),
        ("摘要:全文的要点。", {"abstract": "全文的要点。"}),
        ("【来源:人民日报】", {"source": "人民日报"}),
        ("2024-04-12 10:30 来源:人民网", {"published": "2024-04-12 10:30", "source": "人民网"}),
        ("Published: March 3, 2024 14:20", {"published": "March 3, 2024 14:20"}),
        ("By Anna Fischer", {"author": "Anna Fischer"}),
        ("by Tom Baker and Lena Ortiz", {"author": "Tom Baker and Lena Ortiz"}),
        ("Author: Jane Roe", {"author": "Jane Roe"}),
        ("Source: Riverside Herald", {"source": "Riverside Herald"}),
        ("Source: https://news.example.org/a/", {"origin_url": "https://news.example.org/a/"}),
        ("Original article: https://news.example.org/b", {"origin_url": "https://news.example.org/b"}),
        ("Published: April 2, 2024 | Source: Herald", {"published": "April 2, 2024", "source": "Herald"}),
        ("3小时前 来源:某某新闻客户端", {"published": "3小时前", "source": "某某新闻客户端"}),
        ("昨天 15:20 来源:某某晚报", {"published": "昨天 15:20", "source": "某某晚报"}),
        ("刚刚 来源:某某网", {"published": "刚刚", "source": "某某网"}),
        ("2 hours ago | Source: Herald", {"published": "2 hours ago", "source": "Herald"}),
        ("（来源：某某日报 记者 朱镕）", {"source": "某某日报", "author": "朱镕"}),
        ("来源:新华社 记者:张三", {"source": "新华社", "author": "张三"}),
        ("来源:某某晚报 通讯员 李四", {"source": "某某晚报", "author": "李四"}),
    ],
)
def test_meta_line(line: str, fields: dict[str, str]) -> None:
    assert meta_fields(line) == fields


@pytest.mark.parametrize(
    "line",
    [
        "会议指出,要坚持问需于民。",
        "时间:2024年5月1日上午9时 地点:市民中心三楼会议室",  # an event notice, not page metadata
        "日期:待定",
        "作者:" + "很长的一句话" * 30,
        "By the way, the council met on Monday.",
        "By 2026 the embankment will be finished",
        "Original article: a story we liked",
        "Source: The figures came from: a survey of households",
        "2024-04-12",  # a bare date is a meta line only in the header
        "3小时前",  # so is a bare relative time
        "3小时前,市政府召开常务会议。",
        "字号:[大][中][小] 打印本页 关闭窗口",
        "",
    ],
)
def test_not_a_meta_line(line: str) -> None:
    assert meta_fields(line) is None


def test_bare_date_counts_in_the_header_only() -> None:
    meta: dict[str, str] = {}
    blocks = take_meta([Block("2024-04-12 10:30"), Block("正文第一段。" * 20), Block("2024-04-13")], meta)
    assert meta == {"published": "2024-04-12 10:30"}
    assert [block.text for block in blocks] == ["正文第一段。" * 20, "2024-04-13"]


def test_bare_relative_time_counts_in_the_header_only() -> None:
    meta: dict[str, str] = {}
    blocks = take_meta([Block("3小时前"), Block("正文第一段。" * 20), Block("昨天")], meta)
    assert meta == {"published": "3小时前"}
    assert [block.text for block in blocks] == ["正文第一段。" * 20, "昨天"]


def test_first_value_of_a_key_wins() -> None:
    extracted = extract_text("标题\n来源:甲报\n正文。\n来源:乙报\n")
    assert extracted.meta == {"source": "甲报"}
    assert [block.text for block in extracted.blocks] == ["正文。"]


def test_text_capture_lines_and_crlf() -> None:
    extracted = extract_text("\r\n\r\n  标题  \r\n第一段\r\n\r\n第二段\r")
    assert extracted.title == "标题"
    assert [block.text for block in extracted.blocks] == ["第一段", "第二段"]


def test_title_only_capture_is_an_article() -> None:
    extracted = extract(_raw("只有标题".encode()))
    assert extracted.title == "只有标题" and extracted.blocks == ()


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n", "\ufeff\n".encode()])
def test_empty_capture_raises(data: bytes) -> None:
    with pytest.raises(ExtractError, match=r"no title and no body in 'capture\.txt'"):
        extract(_raw(data))


def test_unknown_media_type_raises() -> None:
    with pytest.raises(ExtractError, match="unsupported media type 'application/pdf'"):
        extract(_raw(b"%PDF-1.7", media_type="application/pdf"))


def test_media_type_parameters_and_html_sniffing() -> None:
    gbk = "标题\n正文".encode("gbk")
    assert extract(_raw(gbk, media_type="text/plain; charset=GBK")).title == "标题"
    page = b"<!DOCTYPE html><html><head><title>Page</title></head><body><p>Body text here.</p></body></html>"
    extracted = extract(_raw(page, media_type="text/plain"))
    assert extracted.title == "Page"
    assert [block.text for block in extracted.blocks] == ["Body text here."]
