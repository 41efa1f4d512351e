"""Fetch state of sources: validators, failures, next check."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from feeds.models import SourceState
from feeds.store import Store
from tests.store.factory import T0


def test_a_source_never_fetched_has_an_empty_state(store: Store) -> None:
    assert store.source_state("upstream") == SourceState(source_id="upstream")


def test_state_is_saved_replaced_and_read_back_whole(store: Store) -> None:
    state = SourceState(
        source_id="upstream",
        url="https://news.example.org/feed.xml",
        etag='"abc"',
        last_modified="Tue, 15 Nov 1994 12:45:26 GMT",
        body_hash="f" * 64,
        last_fetch_at=T0,
        last_ok_at=T0,
        last_status="ok",
        parse_warning="mismatched tag at line 3",
        failures=0,
        next_check_at=T0 + timedelta(minutes=30),
    )
    store.save_source_state(state)
    assert store.source_state("upstream") == state
    failed = dataclasses.replace(state, last_status="error", last_error="fetch: 503", failures=3, gone=True)
    store.save_source_state(failed)
    assert store.source_state("upstream") == failed
    assert store.source_state("other") == SourceState(source_id="other")
