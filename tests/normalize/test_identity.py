from __future__ import annotations

import re
from datetime import UTC, datetime

from feeds.normalize.identity import article_id, content_hash

ORIGIN = "http://www.sdzx.gov.cn/articles/ch02373/202404/184ec8ac-c80a-4e50-8497-cdf652700502.shtml"
WHEN = datetime(2024, 3, 31, 16, 0, tzinfo=UTC)


def _id(**changes: object) -> str:
    values: dict[str, object] = {
        "origin_url": ORIGIN, "link": "https://mirror.example.org/a/1.html", "source_id": "inbox",
        "title": "标题", "published": WHEN,
    }
    values.update(changes)
    return article_id(**values)  # type: ignore[arg-type]


def test_an_id_is_sixteen_hex_characters() -> None:
    assert re.fullmatch(r"[0-9a-f]{16}", _id())


def test_the_origin_url_decides_when_known() -> None:
    assert _id() == _id(link="https://other.example/x", title="改过的标题", published=None, source_id="other")


def test_spellings_of_the_same_url_give_the_same_id() -> None:
    variant = ORIGIN.replace("http://www.sdzx.gov.cn", "HTTP://WWW.SDZX.GOV.CN:80") + "?utm_source=rss#top"
    assert _id(origin_url=variant) == _id()


def test_the_link_decides_without_an_origin() -> None:
    base = _id(origin_url=None)
    assert base == _id(origin_url=None, title="新标题", published=None)
    assert base != _id(origin_url=None, link="https://mirror.example.org/a/2.html")
    assert base != _id()


def test_an_unusable_origin_falls_back_to_the_link() -> None:
    assert _id(origin_url="not a url") == _id(origin_url=None)


def test_source_title_and_date_without_any_url() -> None:
    base = _id(origin_url=None, link=None)
    assert base == _id(origin_url=None, link=None, title="标题 ")
    assert base != _id(origin_url=None, link=None, title="另一篇")
    assert base != _id(origin_url=None, link=None, source_id="other")
    assert base != _id(origin_url=None, link=None, published=None)


def test_content_hash_is_stable_and_sensitive() -> None:
    first = content_hash("标题", "第一段\n\n第二段")
    assert first == content_hash("标题", "第一段\n\n第二段")
    assert first == content_hash(" 标题 ", "第一段\n\n第二段\n")
    assert first != content_hash("标题!", "第一段\n\n第二段")
    assert first != content_hash("标题", "第一段\n\n第二段。")
    assert re.fullmatch(r"[0-9a-f]{64}", first)


def test_signatures_of_two_reprints_are_similar_and_of_unrelated_texts_not() -> None:
    from feeds.normalize.identity import signature
    from feeds.store.rows import similarity
    from tests.conftest import SEED

    body = "\n".join(SEED.read_text(encoding="utf-8").splitlines()[1:8])
    reprint = "  " + body.replace("政协新样子", "政协新面貌").replace(",", "，") + "\n(编辑:王五)"
    other = "城市议会周一投票批准了一项用于防洪设施的预算，结束了持续两年多的争论。" * 5
    assert similarity(signature(body), signature(reprint)) >= 0.9
    assert similarity(signature(body), signature(other)) < 0.1
    assert signature(body) == signature(body)
    assert len(signature(body)) == 512
    assert signature(" ，。") == b""
    assert signature("第二篇文章。这是正文的第一段,讲述了会议的主要内容。") == b""  # too short to judge
    assert similarity(b"", b"") == 0.0
