"""HTML pages: title choice, meta tags, JSON-LD, furniture, content container, blocks."""

from __future__ import annotations

import hashlib

import pytest

from feeds.errors import ExtractError
from feeds.extract import extract
from feeds.extract.html import extract_html
from feeds.models import RawItem

PARA = "这是一段足够长的正文内容,用来让正文的文字密度明显高于导航和侧栏里的短链接文字。"


def _page(head: str, body: str, lang: str = "") -> str:
    return f"<!DOCTYPE html><html{lang}><head><meta charset='utf-8'>{head}</head><body>{body}</body></html>"


@pytest.mark.parametrize(
    ("head", "body", "title"),
    [
        ("<title>标题甲_某某网</title><meta name='ArticleTitle' content='标题甲'>", "", "标题甲"),
        ("<title>Story | Site</title><meta property='og:title' content='Story'>", "", "Story"),
        ("<title>长一些的文章标题--某某政协</title>", "<h1>某某政协</h1><h1>长一些的文章标题</h1>", "长一些的文章标题"),
        ("<title>文章标题_某某政协</title>", "<h1>某某政协</h1>", "文章标题_某某政协"),
        ("<title>站点名</title><meta name='ArticleTitle' content='真正的标题'>", "", "真正的标题"),
        ("", "<h1>Only a heading</h1>", "Only a heading"),
        ("<title>  Spaced\n  title </title>", "", "Spaced title"),
    ],
)
def test_title(head: str, body: str, title: str) -> None:
    assert extract_html(_page(head, body + f"<p>{PARA}</p>")).title == title


def test_json_ld_fills_what_meta_tags_leave() -> None:
    head = """<title>Headline - Site</title><meta name="author" content="Meta Author">
    <script type="application/ld+json">{"@graph": [{"@type": "WebSite"}, {"@type": ["NewsArticle"],
    "headline": "Headline", "datePublished": "2024-01-02T03:04:05Z", "dateModified": "2024-01-03",
    "author": [{"name": "A One"}, {"name": "B Two"}]}]}</script>
    <script type="application/ld+json">{ not json</script>"""
    extracted = extract_html(_page(head, f"<p>{PARA}</p>"))
    assert extracted.title == "Headline"
    assert extracted.meta == {"author": "Meta Author", "published": "2024-01-02T03:04:05Z", "updated": "2024-01-03"}


def test_meta_tags_and_canonical_url() -> None:
    head = """<meta name="PubDate" content="2024-12-18 09:42"><meta name="ContentSource" content="某某日报">
    <meta property="article:published_time" content="2024-12-19"><meta property="article:author"
    content="https://facebook.example/someone"><link rel="canonical" href="https://www.example.cn/a/1.html">"""
    extracted = extract_html(_page(head, f"<p>{PARA}</p>"))
    assert extracted.meta == {"published": "2024-12-18 09:42", "source": "某某日报",
                              "url": "https://www.example.cn/a/1.html"}
    assert extracted.url == "https://www.example.cn/a/1.html"


def test_page_url_beats_canonical_and_resolves_links() -> None:
    body = "<div class='content'><p><a href='../b.html'>相对链接</a>" + PARA + "</p><img data-src='/i/x.png'></div>"
    extracted = extract_html(_page("<link rel='canonical' href='https://c.example/'>", body),
                             "https://www.example.cn/news/2024/a.html")
    assert extracted.url == "https://www.example.cn/news/2024/a.html"
    assert '<a href="https://www.example.cn/news/b.html">相对链接</a>' in (extracted.blocks[0].html or "")
    assert extracted.blocks[1].tag == "img"
    assert extracted.blocks[1].html == '<img src="https://www.example.cn/i/x.png" alt="">'


@pytest.mark.parametrize(
    ("lang", "head", "language"),
    [(" lang='en-GB'", "", "en-GB"), ("", "<meta http-equiv='Content-Language' content='zh-CN'>", "zh-CN"),
     ("", "", None)],
)
def test_language(lang: str, head: str, language: str | None) -> None:
    assert extract_html(_page(head, f"<p>{PARA}</p>", lang)).language == language


def test_furniture_is_dropped_by_tag_and_by_class() -> None:
    body = f"""<header><p>{PARA}头部</p></header><nav><p>{PARA}导航</p></nav>
    <div class="main has-sidebar"><div id="left-menu"><p>{PARA}菜单</p></div>
    <div class="post-body"><p>{PARA}一</p><p>{PARA}二</p><p>{PARA}三</p>
    <div class="ad-box"><p>广告</p></div><div class="share_bar"><p>分享</p></div>
    <script>var x = "{PARA}";</script><style>p {{ color: red }}</style><!-- 注释 --></div>
    <div class="commentList"><p>{PARA}评论</p></div><aside><p>{PARA}侧栏</p></aside></div>
    <footer><p>{PARA}页脚</p></footer>"""
    texts = [block.text for block in extract_html(_page("<title>T</title>", body)).blocks]
    assert texts == [PARA + "一", PARA + "二", PARA + "三"]


def test_known_container_wins_over_density() -> None:
    body = f"""<div class="list">{f"<p>{PARA}</p>" * 5}</div>
    <div id="zoom"><p>正文在这里,虽然短一些,但是在已知的正文容器里。</p></div>"""
    texts = [block.text for block in extract_html(_page("<title>T</title>", body)).blocks]
    assert texts == ["正文在这里,虽然短一些,但是在已知的正文容器里。"]


def test_link_lists_do_not_win_the_density_score() -> None:
    links = "".join(f"<p><a href='/{i}'>{PARA}</a></p>" for i in range(5))
    body = f"<div class='a'>{links}</div><div class='b'><p>{PARA}正文</p><p>{PARA}继续</p></div>"
    texts = [block.text for block in extract_html(_page("<title>T</title>", body)).blocks]
    assert texts == [PARA + "正文", PARA + "继续"]


def test_block_kinds_and_inner_html() -> None:
    body = """<article><h1>Title</h1><h2>Part one</h2><p>Some <strong>bold</strong> and <em>em</em>
    text with <a href="https://x.example/">a link</a>.</p><h4>Small heading</h4><ul><li>one</li><li>two</li></ul>
    <blockquote><p>Quoted words.</p></blockquote><pre>line 1
  line 2</pre><figure><img src="https://x.example/p.jpg" alt="A photo"><figcaption>Caption</figcaption></figure>
    <p><img src="data:image/gif;base64,R0lGOD"></p></article>"""
    blocks = extract_html(_page("<title>Title</title>", body)).blocks
    assert [(b.tag, b.text) for b in blocks] == [
        ("h2", "Part one"),
        ("p", "Some bold and em text with a link."),
        ("h3", "Small heading"),
        ("li", "one"),
        ("li", "two"),
        ("blockquote", "Quoted words."),
        ("pre", "line 1\n  line 2"),
        ("img", "A photo"),
        ("p", "Caption"),
    ]
    assert blocks[1].html == ('Some <strong>bold</strong> and <em>em</em>\n    text with '
                              '<a href="https://x.example/">a link</a>.')
    assert blocks[5].html == "<p>Quoted words.</p>"


def test_br_separated_lines_are_blocks() -> None:
    body = "<div id='zoom'>第一行文字<br>第二行有<b>加粗</b>文字<br><br>  <br>第三行</div>"
    blocks = extract_html(_page("<title>T</title>", body)).blocks
    assert [(b.text, b.html) for b in blocks] == [
        ("第一行文字", "第一行文字"), ("第二行有加粗文字", "第二行有<b>加粗</b>文字"), ("第三行", "第三行")]


def test_meta_lines_in_the_body_and_around_the_container() -> None:
    body = f"""<div class="article"><div class="info"><span>发布时间:2024-12-18 09:42</span>
    <span>来源:某某日报</span></div><div class="TRS_Editor"><p>作者:陈静 责任编辑:王五</p><p>{PARA}</p>
    <p>原文链接:https://origin.example.cn/a.html</p></div><div>浏览次数:123</div></div>"""
    extracted = extract_html(_page("<title>T</title><meta name='source' content='元数据来源'>", body))
    assert extracted.meta == {"source": "元数据来源", "author": "陈静", "editor": "王五",
                              "origin_url": "https://origin.example.cn/a.html", "published": "2024-12-18 09:42"}
    assert [block.text for block in extracted.blocks] == [PARA]


def test_heading_equal_to_the_title_is_not_a_block() -> None:
    body = f"<article><h1>同一个标题</h1><p>{PARA}</p></article>"
    assert [b.text for b in extract_html(_page("<title>同一个标题_网</title>", body)).blocks] == [PARA]


@pytest.mark.parametrize(
    "page",
    [
        "",
        "<html></html>",
        "<!-- only a comment -->",
        "<?xml version='1.0' encoding='utf-8'?><html><body><script>x()</script></body></html>",
        "<html><head><title> </title></head><body><nav>导航</nav></body></html>",
    ],
)
def test_pages_without_an_article_raise(page: str) -> None:
    data = page.encode()
    raw = RawItem("test", "page.html", data, hashlib.sha256(data).hexdigest(), "text/html", url="https://x.example/")
    with pytest.raises(ExtractError, match=r"no title and no body in 'page.html' \(source_id=test"):
        extract(raw)


def test_xml_declaration_and_control_characters_are_tolerated() -> None:
    page = "<?xml version='1.0' encoding='utf-8'?>\n<html><head><title>T\x00itle\x07</title></head><body><p>Body</p>"
    extracted = extract_html(page)
    assert extracted.title == "Title"
    assert [b.text for b in extracted.blocks] == ["Body"]


def test_hidden_markup_is_not_body() -> None:
    page = _page(
        "",
        f"<div class='content'><p>{PARA}</p><p style='display: none'>隐藏的统计代码</p>"
        "<p hidden>也看不见</p><div style='VISIBILITY:hidden'><p>隐身的段落</p></div></div>",
    )
    assert [block.text for block in extract_html(page).blocks] == [PARA]


@pytest.mark.parametrize(
    ("img", "kept"),
    [
        ("<img src='/p.gif' width='1' height='1'>", False),
        ("<img src='/p.gif' width='0' height='0' alt=''>", False),
        ("<img src='/p.gif' width='1px'>", False),
        ("<img src='/p.gif' height='1'>", False),
        ("<img src='/photo.jpg' width='1' height='300'>", True),
        ("<img src='/photo.jpg' width='640'>", True),
        ("<img src='/photo.jpg'>", True),
    ],
)
def test_tracking_pixels_are_not_image_blocks(img: str, kept: bool) -> None:
    page = _page("", f"<div class='content'><p>{PARA}</p><p>{img}</p></div>")
    blocks = extract_html(page, "https://www.example.cn/a/b.html").blocks
    images = [block for block in blocks if block.tag == "img"]
    assert bool(images) is kept
