"""Fixtures of the store tests: every test runs on SQLite and on PostgreSQL.

Each PostgreSQL test gets a schema of its own, created empty and dropped
afterwards; the store reaches it through ``search_path`` in the connection
options, so its tables and ``alembic_version`` live there and nowhere else.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from feeds.store import Store


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database: a SQLite file in ``tmp_path``, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'var' / 'feeds.db'}"
        return
    base: str = request.getfixturevalue("postgres_url")
    schema = f"feeds_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
        url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    with Store.open(db_url) as opened:
        yield opened


class Recorder:
    """Every SQL statement any engine runs while the fixture is active."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.failing: str | None = None

    def fail_inserts_into(self, table: str) -> None:
        """Redirect inserts into ``table`` to a table that does not exist, so the database fails them."""
        self.failing = f"INSERT INTO {table} "

    def writes(self) -> list[str]:
        verbs = ("INSERT", "UPDATE", "DELETE")
        return [s for s in self.statements if s.lstrip().upper().startswith(verbs)]

    def clear(self) -> None:
        self.statements.clear()

    def before_cursor_execute(
        self, _conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool
    ) -> tuple[str, Any]:
        self.statements.append(statement)
        if self.failing is not None and statement.lstrip().startswith(self.failing):
            statement = statement.replace(self.failing, "INSERT INTO no_such_table ", 1)
        return statement, parameters


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    rec = Recorder()
    event.listen(Engine, "before_cursor_execute", rec.before_cursor_execute, retval=True)
    try:
        yield rec
    finally:
        event.remove(Engine, "before_cursor_execute", rec.before_cursor_execute)
