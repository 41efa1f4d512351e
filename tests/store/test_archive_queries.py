"""The queries behind archived feeds: oldest first with an offset, and counts per category."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest

from feeds.store import Store
from tests.store.factory import T0, make_article


def _fill(store: Store, count: int) -> list[str]:
    """``count`` articles one hour apart, half of them dated by first sight only; their ids oldest first."""
    ids = []
    for i in range(count):
        article = dataclasses.replace(
            make_article(),
            id=f"a{i:03d}",
            link=f"https://example.org/{i}",
            origin_url=None,
            published=T0 + timedelta(hours=i) if i % 2 else None,
            categories=("news",) if i % 3 else ("news", "world"),
            signature=b"",
        )
        store.upsert(article, now=T0 + timedelta(hours=i))
        ids.append(article.id)
    return ids


def test_archive_articles_is_the_reverse_of_feed_articles_and_pages_by_offset(store: Store) -> None:
    ids = _fill(store, 11)
    newest_first = [a.id for a in store.feed_articles("news", 100)]
    assert newest_first == list(reversed(ids))
    assert [a.id for a in store.archive_articles("news", 100)] == ids
    pages = [[a.id for a in store.archive_articles("news", 4, offset)] for offset in (0, 4, 8)]
    assert pages == [ids[0:4], ids[4:8], ids[8:11]]
    assert store.archive_articles("news", 4, 20) == []


def test_a_tie_on_dates_orders_by_id_the_reverse_way(store: Store) -> None:
    for article_id in ("b", "a", "c"):
        store.upsert(dataclasses.replace(make_article(), id=article_id, signature=b"", link=None), now=T0)
    assert [a.id for a in store.feed_articles(None, 10)] == ["a", "b", "c"]
    assert [a.id for a in store.archive_articles(None, 10)] == ["c", "b", "a"]


def test_counts_per_category_and_of_all(store: Store) -> None:
    ids = _fill(store, 7)
    world = [i for n, i in enumerate(ids) if n % 3 == 0]
    assert store.count_feed_articles("news") == 7
    assert store.count_feed_articles("world") == len(world)
    assert store.count_feed_articles(None) == 7
    assert store.count_feed_articles("nothing") == 0
    assert [a.id for a in store.archive_articles("world", 10)] == world


def test_negative_limits_and_offsets_are_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="must not be negative"):
        store.archive_articles(None, 1, -1)
