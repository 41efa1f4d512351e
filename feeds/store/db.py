"""Engines and schema migrations.

``open_engine`` prepares an engine for SQLite or PostgreSQL (via psycopg);
``migrate`` brings its schema to the newest revision with alembic, configured
in code: the migration scripts are found beside this module, whatever the
working directory and wherever the package is installed.

SQLite runs in WAL mode with foreign keys on and a busy timeout. Transactions
are begun explicitly (``BEGIN``, or ``BEGIN IMMEDIATE`` on an engine made by
``writer``), so a read followed by a write is one transaction that holds the
write lock from its start.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.util.exc import CommandError
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError
from sqlalchemy.pool import ConnectionPoolEntry

from feeds.errors import StoreError

__all__ = ["MIGRATIONS", "alembic_config", "cause", "describe", "migrate", "open_engine", "writer"]

MIGRATIONS = Path(__file__).resolve().parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 30_000
PG_CONNECT_TIMEOUT_S = 10
# Serializes concurrent migrations of one PostgreSQL database (pg_advisory_xact_lock key).
PG_MIGRATION_LOCK = 0x66656564  # "feed"
_BEGIN_OPTION = "feeds_sqlite_begin"


def open_engine(url: str) -> Engine:
    """An engine for ``url`` (``sqlite:///…`` or ``postgresql+psycopg://…``); nothing is connected yet.

    A SQLite file's parent directory is created when missing.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise StoreError(f"open database: not a database URL {url!r} ({exc})") from None
    backend = parsed.get_backend_name()
    try:
        if backend == "sqlite":
            return _sqlite_engine(parsed)
        if backend == "postgresql":
            return _postgresql_engine(parsed)
    except (SQLAlchemyError, ImportError, OSError) as exc:
        raise StoreError(f"open database {describe(parsed)}: {cause(exc)}") from exc
    raise StoreError(
        f"open database {describe(parsed)}: unsupported backend {backend!r} (expected sqlite or postgresql)"
    )


def writer(engine: Engine) -> Engine:
    """``engine`` whose transactions take the write lock at once (``BEGIN IMMEDIATE`` on SQLite)."""
    if engine.dialect.name != "sqlite":
        return engine
    return engine.execution_options(**{_BEGIN_OPTION: "IMMEDIATE"})


def alembic_config(connection: Connection | None = None, url: str | None = None) -> Config:
    """An alembic configuration for our migrations, built in code (no ini file).

    ``env.py`` runs the migrations on ``connection`` when given, else on a new engine for ``url``.
    """
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("path_separator", "os")
    if url is not None:
        config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def migrate(engine: Engine) -> None:
    """Upgrade the schema to the newest revision (``alembic upgrade head``); a no-op when it is current.

    Runs in one transaction: on PostgreSQL under an advisory lock, on SQLite
    holding the write lock, so two processes starting together migrate once.
    """
    try:
        with writer(engine).begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("select pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
            command.upgrade(alembic_config(connection), "head")
    except (SQLAlchemyError, CommandError, sqlite3.Error) as exc:
        raise StoreError(
            f"migrate schema of {describe(engine.url)} (alembic_version and all tables): {cause(exc)}"
        ) from exc


def describe(url: URL | str) -> str:
    """``url`` with any password hidden, for messages."""
    parsed = make_url(url) if isinstance(url, str) else url
    return parsed.render_as_string(hide_password=True)


def cause(exc: BaseException) -> str:
    """A one-line cause: the driver's message rather than SQLAlchemy's statement dump."""
    error = getattr(exc, "orig", None) or exc
    lines = str(error).strip().splitlines()
    first = lines[0] if lines else ""
    return f"{type(error).__name__}: {first}" if first else type(error).__name__


def _sqlite_engine(url: URL) -> Engine:
    database = url.database or ""
    if database and database != ":memory:" and not database.startswith("file:"):
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
        # Let SQLAlchemy emit BEGIN itself (see _on_begin) instead of the driver's implicit one.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA journal_mode = WAL")
            cursor.execute("PRAGMA foreign_keys = ON")
            cursor.execute("PRAGMA synchronous = NORMAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Connection) -> None:
        mode = connection.get_execution_options().get(_BEGIN_OPTION, "DEFERRED")
        connection.exec_driver_sql(f"BEGIN {mode}")

    return engine


def _postgresql_engine(url: URL) -> Engine:
    if url.drivername == "postgresql":
        url = url.set(drivername="postgresql+psycopg")
    connect_args: dict[str, Any] = {}
    if "connect_timeout" not in url.query:
        connect_args["connect_timeout"] = PG_CONNECT_TIMEOUT_S
    return create_engine(url, pool_pre_ping=True, connect_args=connect_args)
