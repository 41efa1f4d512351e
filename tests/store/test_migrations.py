"""Schema migrations, engines and connection failures."""

from __future__ import annotations

import sqlite3
import warnings
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine, inspect, text

from feeds.errors import StoreError
from feeds.store import Store
from feeds.store.db import MIGRATIONS, migrate, open_engine
from feeds.store.tables import Base

TABLES = {"articles", "article_bands", "article_categories", "article_vias", "documents", "sources_state"}
ARTICLE_COLUMNS = {
    "id", "source_id", "title", "link", "origin_url", "source_name", "author", "published", "published_precision",
    "updated", "first_seen", "changed_at", "language", "summary", "content_html", "content_text",
    "disclaimer_kind", "disclaimer_text", "rights", "content_hash", "signature",
    "upstream_title", "upstream_url", "upstream_id", "upstream_updated",
}  # fmt: skip
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/x"


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = open_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


def _version(engine: Engine) -> list[str]:
    with engine.connect() as connection:
        return list(connection.execute(text("select version_num from alembic_version")).scalars())


def _indexes(engine: Engine, table: str) -> set[str]:
    """Index names of ``table``, expression indexes included (SQLite's inspector skips those)."""
    if engine.dialect.name == "sqlite":
        query = text("select name from sqlite_master where type = 'index' and tbl_name = :table and sql is not null")
        with engine.connect() as connection:
            return set(connection.execute(query, {"table": table}).scalars())
    return {str(index["name"]) for index in inspect(engine).get_indexes(table)}


def test_migrate_creates_every_table_from_empty(engine: Engine) -> None:
    assert inspect(engine).get_table_names() == []
    migrate(engine)
    inspector = inspect(engine)
    assert set(inspector.get_table_names()) == TABLES | {"alembic_version"}
    assert {c["name"] for c in inspector.get_columns("articles")} == ARTICLE_COLUMNS
    assert {c["name"] for c in inspector.get_columns("article_categories")} == {"article_id", "slug"}
    assert {c["name"] for c in inspector.get_columns("article_vias")} == {"article_id", "url", "source_id"}
    assert {c["name"] for c in inspector.get_columns("documents")} == {
        "source_id", "key", "content_hash", "article_id", "seen_at",
    }  # fmt: skip
    assert {c["name"] for c in inspector.get_columns("sources_state")} == {
        "source_id", "etag", "last_modified", "last_fetch_at", "last_error", "next_check_at", "url",
        "body_hash", "last_ok_at", "last_status", "parse_warning", "failures", "gone",
    }  # fmt: skip
    assert inspector.get_pk_constraint("article_vias")["constrained_columns"] == ["article_id", "url"]
    assert inspector.get_pk_constraint("documents")["constrained_columns"] == ["source_id", "key"]
    assert _indexes(engine, "articles") == {
        "ix_articles_source_id", "ix_articles_published", "ix_articles_changed_at", "ix_articles_recency",
    }  # fmt: skip
    assert _indexes(engine, "article_categories") == {"ix_article_categories_slug_article_id"}
    assert _indexes(engine, "documents") == {"ix_documents_article_id"}
    assert _indexes(engine, "article_bands") == {"ix_article_bands_band_value"}
    assert _version(engine) == ["0001"]


def test_migration_creates_exactly_the_models_schema(engine: Engine) -> None:
    migrate(engine)
    with engine.connect() as connection, warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*expression-based index")
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    # Expression indexes are not reflected alike by every backend; their presence is checked above.
    diff = [d for d in diff if not (d[0] in ("add_index", "remove_index") and d[1].name == "ix_articles_recency")]
    assert diff == []


def test_migrate_twice_is_a_no_op(engine: Engine) -> None:
    migrate(engine)
    with engine.begin() as connection:
        connection.execute(text("insert into sources_state (source_id, url) values ('inbox', 'https://example.org/')"))
    before = inspect(engine).get_table_names()
    migrate(engine)
    assert sorted(inspect(engine).get_table_names()) == sorted(before)
    assert _version(engine) == ["0001"]
    with engine.connect() as connection:
        assert connection.execute(text("select url from sources_state")).scalar_one() == "https://example.org/"


def test_migrate_works_from_any_working_directory(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert MIGRATIONS.is_absolute()
    monkeypatch.chdir(tmp_path)
    migrate(engine)
    assert _version(engine) == ["0001"]


def test_unknown_revision_in_database_is_a_store_error(engine: Engine) -> None:
    migrate(engine)
    with engine.begin() as connection:
        connection.execute(text("update alembic_version set version_num = '9999'"))
    with pytest.raises(StoreError, match="migrate schema"):
        migrate(engine)


def test_store_open_is_repeatable(db_url: str) -> None:
    with Store.open(db_url) as first:
        assert first.count_articles() == 0
    with Store.open(db_url) as second:
        assert second.count_articles() == 0
        second.ping()


def test_unreachable_database_is_a_store_error() -> None:
    with pytest.raises(StoreError) as caught:
        Store.open(UNREACHABLE)
    message = str(caught.value)
    assert message.startswith("store: ping: cannot reach database")
    assert "127.0.0.1:1" in message
    assert "OperationalError" in message
    assert caught.value.code == "store"


def test_ping_of_unreachable_database_raises() -> None:
    store = Store(open_engine(UNREACHABLE))
    try:
        with pytest.raises(StoreError, match="cannot reach database"):
            store.ping()
    finally:
        store.close()


@pytest.mark.parametrize(
    ("url", "why"),
    [("not a url", "not a database URL"), ("mysql://root@localhost/feeds", "unsupported backend 'mysql'")],
)
def test_bad_url_is_a_store_error(url: str, why: str) -> None:
    with pytest.raises(StoreError, match=why):
        open_engine(url)


def test_sqlite_file_is_in_wal_mode_with_foreign_keys(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "dir" / "feeds.db"
    with Store.open(f"sqlite:///{path}") as store:
        store.ping()
        engine = open_engine(f"sqlite:///{path}")
        try:
            with engine.connect() as connection:
                assert connection.execute(text("pragma foreign_keys")).scalar_one() == 1
                assert connection.execute(text("pragma busy_timeout")).scalar_one() > 0
        finally:
            engine.dispose()
    with sqlite3.connect(path) as raw:
        assert raw.execute("pragma journal_mode").fetchone() == ("wal",)
