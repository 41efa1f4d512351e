"""Upsert, reprint merge, processed documents and the feed queries."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from feeds.errors import StoreError
from feeds.models import Precision
from feeds.store import Store, UpsertResult
from tests.store.conftest import Recorder
from tests.store.factory import SHANGHAI, T0, make_article, stored

T1 = T0 + timedelta(hours=1)
T2 = T0 + timedelta(hours=2)


def _only(store: Store) -> dict[str, object]:
    articles = store.feed_articles(None, 10)
    assert len(articles) == 1
    return dataclasses.asdict(articles[0])


# ---------------------------------------------------------------------- upsert


def test_new_article_is_inserted_and_read_back_whole(store: Store) -> None:
    article = make_article()
    assert store.upsert(article, now=T0) == UpsertResult("new", article.id, frozenset({"news", "politics"}))
    assert store.feed_articles(None, 10) == [stored(article, first_seen=T0)]
    assert store.count_articles() == 1


def test_same_article_again_is_unchanged_and_writes_nothing(store: Store, recorder: Recorder) -> None:
    article = make_article()
    store.upsert(article, now=T0)
    before = _only(store)
    recorder.clear()
    assert store.upsert(article, now=T1) == UpsertResult("unchanged", article.id, frozenset())
    assert recorder.writes() == []
    assert _only(store) == before
    assert before["first_seen"] == T0


def test_edited_content_updates_in_place(store: Store) -> None:
    article = make_article()
    store.upsert(article, now=T0)
    edited = dataclasses.replace(article, title="更正:" + article.title, content_hash="b" * 64, author="编辑部")
    result = store.upsert(edited, now=T1)
    assert result == UpsertResult("updated", article.id, frozenset({"news", "politics"}))
    [back] = store.feed_articles(None, 10)
    assert back == stored(edited, first_seen=T0, updated=T1)
    stats = store.category_stats()
    assert stats["news"] == (1, T1)


def test_update_keeps_a_later_updated_of_the_article(store: Store) -> None:
    store.upsert(make_article(), now=T0)
    later = T2 + timedelta(days=1)
    store.upsert(make_article(content_hash="b" * 64, updated=later), now=T1)
    assert store.feed_articles(None, 1)[0].updated == later
    store.upsert(make_article(content_hash="c" * 64, updated=T0), now=T2)
    assert store.feed_articles(None, 1)[0].updated == T2


def test_category_change_reports_old_and_new_categories(store: Store) -> None:
    store.upsert(make_article(categories=("news", "politics")), now=T0)
    result = store.upsert(make_article(categories=("news", "economy")), now=T1)
    assert result == UpsertResult("updated", make_article().id, frozenset({"news", "politics", "economy"}))
    [back] = store.feed_articles(None, 10)
    assert back.categories == ("economy", "news")
    assert back.updated is None  # the content itself did not change
    assert store.feed_articles("politics", 10) == []
    assert store.category_stats() == {"economy": (1, T1), "news": (1, T1)}


def test_reprint_from_another_source_is_merged_as_a_via(store: Store, recorder: Recorder) -> None:
    original = make_article(via=())
    store.upsert(original, now=T0)
    reprint = make_article(
        source_id="mirror-site",
        link="https://other.example.com/a/9.html",
        title="转载:" + original.title,
        content_hash="d" * 64,
        categories=("world",),
        via=(),
    )
    result = store.upsert(reprint, now=T1)
    assert result == UpsertResult("merged", original.id, frozenset({"news", "politics"}))
    [back] = store.feed_articles(None, 10)
    assert back == dataclasses.replace(stored(original, first_seen=T0), via=("https://other.example.com/a/9.html",))
    assert store.category_stats()["news"] == (1, T1)
    assert "world" not in store.category_stats()

    recorder.clear()
    assert store.upsert(reprint, now=T2).status == "unchanged"
    assert recorder.writes() == []


def test_new_via_from_the_same_source_is_merged(store: Store) -> None:
    store.upsert(make_article(via=("https://a.example/1",)), now=T0)
    result = store.upsert(make_article(via=("https://b.example/2",)), now=T1)
    assert result.status == "merged"
    assert store.feed_articles(None, 1)[0].via == ("https://a.example/1", "https://b.example/2")


def test_failure_mid_insert_rolls_back_everything(store: Store, recorder: Recorder) -> None:
    recorder.fail_inserts_into("article_categories")
    with pytest.raises(StoreError, match=r"upsert article 3f7fc0ed3a60827e \(table articles\) failed"):
        store.upsert(make_article(), now=T0)
    assert any(s.lstrip().startswith("INSERT INTO articles ") for s in recorder.statements)
    recorder.failing = None
    assert store.count_articles() == 0
    assert store.feed_articles(None, 10) == []
    assert store.upsert(make_article(), now=T1).status == "new"


def test_failure_mid_update_leaves_the_previous_state(store: Store, recorder: Recorder) -> None:
    store.upsert(make_article(), now=T0)
    before = store.feed_articles(None, 10)
    recorder.fail_inserts_into("article_vias")
    edited = make_article(content_hash="e" * 64, title="新标题", via=("https://new.example/v",))
    with pytest.raises(StoreError, match="upsert article"):
        store.upsert(edited, now=T1)
    assert any(s.lstrip().startswith("UPDATE articles ") for s in recorder.statements)
    recorder.failing = None
    assert store.feed_articles(None, 10) == before


def test_naive_now_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="aware"):
        store.upsert(make_article(), now=datetime(2024, 1, 1))


def test_naive_published_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match="naive datetime"):
        store.upsert(make_article(published=datetime(2024, 1, 1)), now=T0)
    assert store.count_articles() == 0


# ---------------------------------------------------------------------- queries


def test_feed_articles_are_newest_first_with_deterministic_ties(store: Store) -> None:
    day = datetime(2024, 5, 1, tzinfo=UTC)
    articles = [
        make_article(id="b-tie", published=day, via=()),
        make_article(id="a-tie", published=day, via=()),
        make_article(id="old", published=day - timedelta(days=30), via=()),
        make_article(id="undated", published=None, published_precision=Precision.NONE, via=()),
        make_article(id="newest", published=day + timedelta(minutes=1), via=()),
    ]
    for article in articles:
        store.upsert(article, now=day + timedelta(days=1) if article.id == "undated" else T0)
    assert [a.id for a in store.feed_articles(None, 10)] == ["undated", "newest", "a-tie", "b-tie", "old"]
    assert [a.id for a in store.feed_articles(None, 2)] == ["undated", "newest"]
    assert store.feed_articles(None, 0) == []


def test_feed_articles_filter_by_category(store: Store) -> None:
    store.upsert(make_article(id="p1", categories=("politics",), published=T0), now=T0)
    store.upsert(make_article(id="p2", categories=("politics", "news"), published=T1), now=T0)
    store.upsert(make_article(id="e1", categories=("economy",), published=T2), now=T0)
    assert [a.id for a in store.feed_articles("politics", 10)] == ["p2", "p1"]
    assert [a.id for a in store.feed_articles("economy", 10)] == ["e1"]
    assert [a.id for a in store.feed_articles("news", 10)] == ["p2"]
    assert store.feed_articles("sports", 10) == []
    assert store.feed_articles("politics", 10)[0].categories == ("news", "politics")
    assert store.count_articles() == 3
    assert store.category_stats() == {"economy": (1, T0), "news": (1, T0), "politics": (2, T0)}


def test_datetimes_come_back_aware_utc_with_the_same_instant(store: Store) -> None:
    published = datetime(2024, 12, 20, 23, 59, 58, 654321, tzinfo=SHANGHAI)
    now = datetime(2024, 12, 21, 9, 0, 0, 1, tzinfo=SHANGHAI)
    updated = published + timedelta(hours=1)
    store.upsert(make_article(published=published, updated=updated, categories=("news",)), now=now)
    [back] = store.feed_articles(None, 1)
    for value, expected in ((back.published, published), (back.updated, updated), (back.first_seen, now)):
        assert value is not None
        assert value == expected
        assert value.tzinfo is UTC
    [(count, newest)] = store.category_stats().values()
    assert count == 1 and newest == now and newest is not None and newest.tzinfo is UTC


def test_empty_store_queries(store: Store) -> None:
    assert store.feed_articles(None, 10) == []
    assert store.category_stats() == {}
    assert store.count_articles() == 0
    with pytest.raises(ValueError, match="limit"):
        store.feed_articles(None, -1)


# ---------------------------------------------------------------------- documents


def test_seen_documents(store: Store) -> None:
    assert store.seen("inbox", "2024/a.txt") is None
    store.mark_seen("inbox", "2024/a.txt", "h1", None, T0)
    assert store.seen("inbox", "2024/a.txt") == "h1"
    assert store.seen("other", "2024/a.txt") is None
    store.upsert(make_article(), now=T1)
    store.mark_seen("inbox", "2024/a.txt", "h2", make_article().id, T1)
    assert store.seen("inbox", "2024/a.txt") == "h2"


def test_mark_seen_of_an_unknown_article_is_a_store_error(store: Store) -> None:
    with pytest.raises(StoreError, match=r"mark document inbox:k seen \(table documents\) failed"):
        store.mark_seen("inbox", "k", "h", "no-such-article", T0)
    assert store.seen("inbox", "k") is None
