from __future__ import annotations

import pytest

from feeds.normalize.sanitize import sanitize_html

PAGE = "https://www.example.gov.cn/zxdt/2024/art_1.html"


@pytest.mark.parametrize(
    ("dirty", "forbidden"),
    [
        ("<p>hi</p><script>alert(1)</script>", ["<script", "alert"]),
        ('<img src="x.png" onerror="alert(1)">', ["onerror", "alert"]),
        ('<a href="javascript:alert(1)">x</a>', ["javascript", "alert"]),
        ('<a href=" JaVaScRiPt:alert(1)">x</a>', ["javascript", "alert"]),
        ('<a href="java&#x09;script:alert(1)">x</a>', ["script:", "alert"]),
        ("<svg onload=alert(1)><circle r=1 /></svg><p>after</p>", ["svg", "onload", "alert"]),
        ('<iframe src="https://evil.example/"></iframe><p>after</p>', ["iframe", "evil"]),
        ('<p style="width: expression(alert(1))">x</p>', ["style", "expression"]),
        ('<img src="data:image/svg+xml;base64,PHN2Zz4=">', ["data:", "<img"]),
        ('<a href="data:text/html,<script>alert(1)</script>">x</a>', ["data:", "alert"]),
        ("<object data=\"x.swf\"></object><embed src=\"x.swf\">", ["object", "embed", "swf"]),
        ('<form action="/steal"><input name="p"></form>', ["form", "input", "steal"]),
        ("<p onclick=\"steal()\" class=\"x\" id=\"y\">t</p>", ["onclick", "class", "id="]),
        ("<style>p{color:red}</style><p>t</p>", ["<style", "color"]),
        ("<!-- secret --><p>t</p>", ["secret", "<!--"]),
    ],
)
def test_xss_vectors_do_not_survive(dirty: str, forbidden: list[str]) -> None:
    clean = sanitize_html(dirty, PAGE)
    for bad in forbidden:
        assert bad not in clean.lower()


def test_links_are_absolute_and_get_rel() -> None:
    clean = sanitize_html('<p><a href="/zxdt/2.html" title="next">n</a></p>', PAGE)
    assert clean == (
        '<p><a href="https://www.example.gov.cn/zxdt/2.html" title="next" rel="noopener noreferrer">n</a></p>'
    )


def test_images_are_absolute_and_keep_their_allowed_attributes() -> None:
    clean = sanitize_html('<img src="img/a.jpg" alt="会议" width="600" height="400" class="big" loading="lazy">', PAGE)
    assert clean == '<img src="https://www.example.gov.cn/zxdt/2024/img/a.jpg" alt="会议" width="600" height="400">'


def test_protocol_relative_urls_take_the_page_scheme() -> None:
    assert 'src="https://cdn.example.com/a.png"' in sanitize_html('<img src="//cdn.example.com/a.png">', PAGE)


@pytest.mark.parametrize(
    "pixel",
    [
        '<img src="https://t.example/p.gif" width="1" height="1">',
        '<img src="/stat.gif?id=1" width="1px" height="1px">',
        '<img src="/stat.gif" width="0" height="0">',
        '<img src="/stat.gif" height="1">',
    ],
)
def test_tracking_pixels_are_dropped(pixel: str) -> None:
    assert "<img" not in sanitize_html(f"<p>text{pixel}</p>", PAGE)


def test_allowed_structure_survives() -> None:
    source = (
        "<h2>小标题</h2><p><strong>粗</strong><em>斜</em><b>b</b><i>i</i><u>u</u><br></p>"
        "<blockquote><p>引用</p></blockquote><ul><li>一</li></ul><ol><li>二</li></ol>"
        "<pre><code>x = 1</code></pre><figure><img src=\"/a.png\" alt=\"a\"><figcaption>图</figcaption></figure>"
        "<table><thead><tr><th>h</th></tr></thead><tbody><tr><td>d</td></tr></tbody></table>"
    )
    clean = sanitize_html(source, PAGE)
    for tag in ("h2", "strong", "em", "b", "i", "u", "br", "blockquote", "ul", "ol", "li", "pre", "code",
                "figure", "img", "figcaption", "table", "thead", "tbody", "tr", "th", "td"):
        assert f"<{tag}" in clean


def test_disallowed_tags_are_unwrapped_keeping_their_text() -> None:
    assert sanitize_html("<div><span>内容</span><font color=red>文字</font></div>", PAGE) == "内容文字"


def test_text_is_escaped() -> None:
    assert sanitize_html("<p>1 &lt; 2 &amp; 3</p>", PAGE) == "<p>1 &lt; 2 &amp; 3</p>"


def test_without_a_base_relative_urls_stay_relative() -> None:
    assert sanitize_html('<a href="/x">x</a>', None) == '<a href="/x" rel="noopener noreferrer">x</a>'


@pytest.mark.parametrize(
    ("source", "clean"),
    [
        ('<p>看<a href="javascript:alert(1)">这里</a>。</p>', "<p>看这里。</p>"),
        ('<p><a href="data:text/html,x" title="t"><b>粗</b>体</a></p>', "<p><b>粗</b>体</p>"),
        ('<p><a name="top">锚点</a></p>', "<p>锚点</p>"),
        ('<p><a href="/ok.html">好</a></p>',
         '<p><a href="https://www.example.gov.cn/ok.html" rel="noopener noreferrer">好</a></p>'),
    ],
)
def test_links_without_an_address_become_text(source: str, clean: str) -> None:
    assert sanitize_html(source, PAGE) == clean
