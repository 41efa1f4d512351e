"""Storage of articles: the only package that speaks SQLAlchemy.

``Store.open(url)`` connects to SQLite or PostgreSQL, migrates the schema and
offers dedupe, reprint merge and change detection (``upsert``), the record of
processed documents (``seen`` / ``mark_seen``) and the queries the feeds are
built from (``feed_articles``, ``category_stats``, ``count_articles``), the
claim of due sources (``claim``) and retention (``prune``).
"""

from __future__ import annotations

from feeds.store.repo import PruneResult, Store, UpsertResult, UpsertStatus

__all__ = ["PruneResult", "Store", "UpsertResult", "UpsertStatus"]
