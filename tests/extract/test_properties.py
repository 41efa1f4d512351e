"""Whatever bytes arrive, extraction either succeeds or raises ExtractError."""

from __future__ import annotations

import hashlib

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.errors import ExtractError
from feeds.extract import extract
from feeds.extract.encoding import decode
from feeds.models import Block, Extracted, RawItem
from feeds.normalize.boilerplate import strip_boilerplate

MEDIA_TYPES = st.sampled_from(["text/plain", "text/html", "text/html; charset=gbk", "application/xhtml+xml"])
CHARSETS = st.one_of(st.none(), st.sampled_from(["utf-8", "gb2312", "gbk", "latin-1", "utf-16", "bogus", ""]))
FRAGMENTS = st.sampled_from([
    "<html>", "<head>", "<title>", "</title>", "<body>", "<p>", "</p>", "<div class='content'>", "</div>",
    "<article>", "<br>", "<img src='a.png'>", "<img data-src=''>", "<a href='http://[::1'>", "<pre>", "<li>",
    "<meta name='ArticleTitle' content='", "<meta charset=gb2312>", "<script type='application/ld+json'>",
    '{"@type": "NewsArticle", "author": [[[]]], "headline": 1}', "</script>", "<!--", "-->", "<?xml version='1.0'?>",
    "发布时间:2024-04-12 来源:", "原文链接:", "By ", "Source: ", "【摘要】", "\n", " ", "\x00", "\ufeff", "&amp;",
    "最新加入", "24-12-20李强", "{{ pvCount }}", "标题", "Text.", "<base href='javascript:'>", "<h1>", "</h1>",
])


def _raw(data: bytes, media_type: str, charset: str | None) -> RawItem:
    return RawItem("prop", "x", data, hashlib.sha256(data).hexdigest(), media_type, url="http://example.org/a/b",
                   charset=charset)


def _check(raw: RawItem) -> None:
    try:
        extracted = extract(raw)
    except ExtractError as exc:
        assert exc.code == "extract"
        return
    assert isinstance(extracted, Extracted)
    assert all(isinstance(block, Block) for block in strip_boilerplate(extracted.blocks))
    assert all(isinstance(key, str) and isinstance(value, str) for key, value in extracted.meta.items())


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000), MEDIA_TYPES, CHARSETS)
def test_arbitrary_bytes(data: bytes, media_type: str, charset: str | None) -> None:
    _check(_raw(data, media_type, charset))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=1000), MEDIA_TYPES, st.sampled_from(["utf-8", "gb18030", "utf-16"]))
def test_arbitrary_text(text: str, media_type: str, codec: str) -> None:
    _check(_raw(text.encode(codec, errors="replace"), media_type, None))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(FRAGMENTS, st.text(max_size=20)), max_size=60), MEDIA_TYPES)
def test_arbitrary_markup(parts: list[str], media_type: str) -> None:
    _check(_raw("".join(parts).encode("utf-8", errors="replace"), media_type, None))


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=500), CHARSETS)
def test_decode_never_raises(data: bytes, charset: str | None) -> None:
    assert isinstance(decode(data, charset), str)
