"""Reprints of one text under different URLs and ids merge into one article."""

from __future__ import annotations

from datetime import timedelta

from feeds.models import Article
from feeds.normalize.identity import content_hash, signature
from feeds.store import Store
from tests.conftest import SEED
from tests.store.factory import T0, make_article

BODY = "\n".join(SEED.read_text(encoding="utf-8").splitlines()[1:8])
REPRINT = BODY.replace("政协新样子", "政协新面貌").replace("在新时代的赶考之路上,", "") + "\n(责任编辑:王五)"
OTHER = "城市议会周一投票批准了一项用于防洪设施的预算,结束了持续两年多的争论。" * 8


def _article(article_id: str, source_id: str, link: str, body: str) -> Article:
    return make_article(
        id=article_id,
        source_id=source_id,
        link=link,
        origin_url=None,
        via=(),
        content_text=body,
        content_hash=content_hash("t", body),
        signature=signature(body),
    )


def test_a_reprint_from_another_site_merges_and_records_its_page(store: Store) -> None:
    first = _article("aaaaaaaaaaaaaaaa", "site-a", "https://a.example.cn/1.html", BODY)
    second = _article("bbbbbbbbbbbbbbbb", "site-b", "https://b.example.cn/2.html", REPRINT)
    assert store.upsert(first, now=T0).status == "new"
    result = store.upsert(second, now=T0 + timedelta(minutes=5))
    assert (result.status, result.article_id) == ("merged", "aaaaaaaaaaaaaaaa")
    [only] = store.feed_articles(None, 10)
    assert only.id == "aaaaaaaaaaaaaaaa"
    assert only.content_text == BODY  # the first version stays
    assert "https://b.example.cn/2.html" in only.via
    assert store.count_articles() == 1
    # the same reprint again changes nothing
    again = store.upsert(second, now=T0 + timedelta(minutes=10))
    assert again.status == "unchanged"


def test_an_unrelated_text_stays_a_separate_article(store: Store) -> None:
    store.upsert(_article("aaaaaaaaaaaaaaaa", "site-a", "https://a.example.cn/1.html", BODY), now=T0)
    other = _article("cccccccccccccccc", "site-b", "https://b.example.cn/3.html", OTHER)
    assert store.upsert(other, now=T0).status == "new"
    assert store.count_articles() == 2


def test_an_edited_body_moves_its_bands_with_it(store: Store) -> None:
    first = _article("aaaaaaaaaaaaaaaa", "site-a", "https://a.example.cn/1.html", OTHER)
    store.upsert(first, now=T0)
    edited = _article("aaaaaaaaaaaaaaaa", "site-a", "https://a.example.cn/1.html", BODY)
    assert store.upsert(edited, now=T0 + timedelta(hours=1)).status == "updated"
    reprint = _article("bbbbbbbbbbbbbbbb", "site-b", "https://b.example.cn/2.html", REPRINT)
    assert store.upsert(reprint, now=T0 + timedelta(hours=2)).article_id == "aaaaaaaaaaaaaaaa"
