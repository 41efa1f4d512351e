"""Claiming due sources and pruning what retention lets go, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import threading
from datetime import timedelta

from sqlalchemy import create_engine, func, select

from feeds.models import SourceState
from feeds.normalize.identity import signature
from feeds.store import Store
from feeds.store.tables import ArticleBandRow
from tests.store.factory import T0, make_article

LEASE = T0 + timedelta(minutes=15)


def test_a_source_never_fetched_is_claimed_once(store: Store) -> None:
    assert store.claim(["a", "b"], now=T0, until=LEASE) == ["a", "b"]
    assert store.source_state("a").next_check_at == LEASE
    assert store.claim(["a", "b"], now=T0 + timedelta(minutes=1), until=LEASE) == []


def test_a_source_is_claimed_when_its_next_check_is_reached(store: Store) -> None:
    store.save_source_state(SourceState(source_id="a", etag='"x"', next_check_at=T0 + timedelta(minutes=30)))
    assert store.claim(["a"], now=T0, until=LEASE) == []
    later = T0 + timedelta(minutes=30)
    assert store.claim(["a"], now=later, until=later + timedelta(minutes=15)) == ["a"]
    state = store.source_state("a")
    assert state.etag == '"x"'  # claiming keeps the rest of the state
    assert state.next_check_at == later + timedelta(minutes=15)


def test_a_gone_source_is_never_claimed(store: Store) -> None:
    store.save_source_state(SourceState(source_id="a", gone=True))
    assert store.claim(["a"], now=T0, until=LEASE) == []


def test_a_lease_that_ran_out_makes_the_source_due_again(store: Store) -> None:
    assert store.claim(["a"], now=T0, until=LEASE) == ["a"]
    # the process claiming it died before saving the real next check
    assert store.claim(["a"], now=LEASE, until=LEASE + timedelta(minutes=15)) == ["a"]


def test_concurrent_claims_give_each_source_to_one_claimer(db_url: str) -> None:
    ids = [f"s{n}" for n in range(20)]
    won: list[list[str]] = []
    with Store.open(db_url) as first, Store.open(db_url) as second:
        barrier = threading.Barrier(2)

        def claim(store: Store) -> None:
            barrier.wait()
            won.append(store.claim(ids, now=T0, until=LEASE))

        threads = [threading.Thread(target=claim, args=(s,)) for s in (first, second)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(won[0] + won[1]) == sorted(ids)


def _count(db_url: str, table: type) -> int:
    engine = create_engine(db_url)
    try:
        with engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(table)).scalar_one())
    finally:
        engine.dispose()


def _articles(n: int) -> list[tuple[str, int]]:
    """``n`` articles of category "news", one a day from T0, with distinct bodies; (id, day)."""
    return [(f"{i:016x}", i) for i in range(n)]


def _fill(store: Store, n: int) -> None:
    for article_id, day in _articles(n):
        body = " ".join(hashlib.sha256(f"{day}-{k}".encode()).hexdigest() for k in range(8))
        article = make_article(
            id=article_id,
            link=f"https://example.org/{day}.html",
            origin_url=None,
            via=(),
            categories=("news",),
            published=T0 + timedelta(days=day),
            content_text=body,
            signature=signature(body),
            content_hash=f"{day:064x}",
        )
        store.upsert(article, now=T0 + timedelta(days=day))
        store.mark_seen("inbox", f"{day}.txt", "h", article_id, T0 + timedelta(days=day))


def test_prune_without_keep_deletes_no_article_but_old_bands_and_documents_no_longer_listed(
    store: Store, db_url: str
) -> None:
    _fill(store, 10)  # document <d>.txt processed on day d
    store.mark_seen("inbox", "broken.txt", "h", None, T0)
    store.touch("inbox", T0 + timedelta(days=9), keys=["2.txt", "missing.txt"])  # still listed on day 9
    bands_before = _count(db_url, ArticleBandRow)
    assert bands_before > 0
    result = store.prune(before=T0 + timedelta(days=5))
    assert result.articles == 0
    assert store.count_articles() == 10
    assert result.documents == 5  # 0, 1, 3, 4 and broken: not listed since day 5
    assert [store.seen("inbox", f"{d}.txt") for d in range(10)] == [None, None, "h", None, None, *["h"] * 5]
    assert store.seen("inbox", "broken.txt") is None
    assert result.bands == bands_before - _count(db_url, ArticleBandRow) > 0


def test_prune_with_keep_deletes_old_articles_no_feed_shows(store: Store) -> None:
    _fill(store, 10)
    store.touch("inbox", T0 + timedelta(days=9), keys=["0.txt"])  # the source still lists day 0's document
    result = store.prune(before=T0 + timedelta(days=5), keep=[("news", 3), (None, 2)])
    # days 0–4 are old; the feeds show days 7–9 (news) and 8–9 (all): 0–4 go, 5 and 6 stay as recent
    assert result.articles == 5
    remaining = store.feed_articles(None, 100)
    assert [a.published for a in remaining] == [T0 + timedelta(days=d) for d in range(9, 4, -1)]
    # a listed document outlives its pruned article, so the source does not bring it back
    assert store.seen("inbox", "0.txt") == "h"
    assert store.seen("inbox", "1.txt") is None


def test_prune_keeps_old_articles_a_feed_still_shows(store: Store) -> None:
    _fill(store, 4)
    result = store.prune(before=T0 + timedelta(days=100), keep=[("news", 2)])
    assert result.articles == 2
    assert [a.id for a in store.feed_articles("news", 10)] == [f"{3:016x}", f"{2:016x}"]


def test_touch_carries_what_was_listed_and_leaves_fresh_rows_alone(store: Store, db_url: str) -> None:
    day = timedelta(days=1)
    store.mark_seen("s", "a", "h", None, T0)
    store.mark_seen("s", "b", "h", None, T0 + 2 * day)
    store.mark_seen("s", "c", "h", None, T0 + 2 * day + timedelta(minutes=30))
    # not modified on day 3: what was listed at the last good fetch (day 2) is still listed; "a" is not
    store.touch("s", T0 + 3 * day, since=T0 + 2 * day + timedelta(minutes=30))
    result = store.prune(before=T0 + 3 * day)
    assert result.documents == 1
    assert store.seen("s", "a") is None and store.seen("s", "b") == "h" and store.seen("s", "c") == "h"
    # a touch within the hour rewrites nothing: seen_at stays at day 3
    store.touch("s", T0 + 3 * day + timedelta(minutes=10), keys=["b", "c"])
    assert store.prune(before=T0 + 3 * day + timedelta(minutes=5)).documents == 2
