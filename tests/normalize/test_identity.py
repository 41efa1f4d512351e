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
