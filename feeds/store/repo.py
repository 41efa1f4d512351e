"""The article store: dedupe, reprint merge and change detection over SQLAlchemy.

``Store`` is the only way the other stages reach the database; it takes and
returns the values of ``feeds.models`` and raises ``StoreError`` naming the
operation and the table when the database fails.

Upsert rules, by ``Article.id``:

* unknown id: inserted, ``first_seen = changed_at = now``; status ``new``.
* known id, same source: a different ``content_hash`` rewrites the article's
  fields (id and ``first_seen`` kept, ``updated = max(now, article.updated)``);
  different categories replace the stored ones; either is status ``updated``.
* known id, another source (a reprint of the same original): the stored
  content stays, the reprint's page (its ``link``) and vias are added to the
  article's vias; status ``merged``.
* new vias alone also give ``merged``; nothing new at all gives ``unchanged``
  and writes nothing.
* unknown id whose body is a near-duplicate of a stored article (MinHash
  signatures agreeing on an LSH band and an estimated Jaccard similarity of at
  least ``NEAR_DUPLICATE``): a reprint of it under another URL, merged like a
  known id from another source; status ``merged`` (or ``unchanged``).

``changed_at`` moves to ``now`` on every write, so a feed's newest change is
the newest ``changed_at`` of its articles.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Any

from sqlalchemy import ColumnElement, Engine, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import selectinload, sessionmaker

from feeds.errors import StoreError
from feeds.models import Article, SourceState
from feeds.store.db import cause, describe, migrate, open_engine, writer
from feeds.store.rows import UpsertResult, UpsertStatus, near_duplicate, new_row, to_article, update_row
from feeds.store.tables import (
    ArticleBandRow,
    ArticleCategoryRow,
    ArticleRow,
    DocumentRow,
    SourceStateRow,
)

__all__ = ["PruneResult", "Store", "UpsertResult", "UpsertStatus"]

_STATE_FIELDS = tuple(f.name for f in fields(SourceState))
TOUCH_EVERY = timedelta(hours=1)  # how stale a document's seen_at may get before a touch rewrites it


@dataclass(frozen=True)
class PruneResult:
    """How many rows a prune deleted."""

    documents: int
    bands: int
    articles: int


class Store:
    """Articles, processed documents and source state in one SQLite or PostgreSQL database."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._reads = sessionmaker(engine, expire_on_commit=False)
        self._writes = sessionmaker(writer(engine), expire_on_commit=False)

    @classmethod
    def open(cls, url: str) -> Store:
        """Connect to ``url`` and migrate its schema to the newest revision."""
        engine = open_engine(url)
        store = cls(engine)
        try:
            store.ping()
            migrate(engine)
        except BaseException:
            engine.dispose()
            raise
        return store

    def close(self) -> None:
        """Close every pooled connection; the store cannot be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Store:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Store({describe(self._engine.url)!r})"

    # ------------------------------------------------------------------ health

    def ping(self) -> None:
        """Raise ``StoreError`` unless the database answers."""
        try:
            with self._engine.connect() as connection:
                connection.execute(select(1))
        except SQLAlchemyError as exc:
            raise StoreError(f"ping: cannot reach database {describe(self._engine.url)}: {cause(exc)}") from exc

    # ------------------------------------------------------------------ documents

    def seen(self, source_id: str, key: str) -> str | None:
        """The content hash of the document last processed under ``key``, or None."""
        stmt = select(DocumentRow.content_hash).where(DocumentRow.source_id == source_id, DocumentRow.key == key)
        try:
            with self._reads() as session:
                return session.execute(stmt).scalar_one_or_none()
        except SQLAlchemyError as exc:
            raise _failure(f"read document {source_id}:{key}", "documents", exc) from exc

    def mark_seen(self, source_id: str, key: str, content_hash: str, article_id: str | None, now: datetime) -> None:
        """Record that ``key`` of ``source_id`` was processed with this content (and gave ``article_id``)."""
        values: dict[str, Any] = {
            "source_id": source_id,
            "key": key,
            "content_hash": content_hash,
            "article_id": article_id,
            "seen_at": _aware(now, "now"),
        }
        try:
            with self._writes.begin() as session:
                insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
                stmt = insert(DocumentRow).values(values)
                stmt = stmt.on_conflict_do_update(
                    index_elements=[DocumentRow.source_id, DocumentRow.key],
                    set_={name: stmt.excluded[name] for name in ("content_hash", "article_id", "seen_at")},
                )
                session.execute(stmt)
        except SQLAlchemyError as exc:
            raise _failure(f"mark document {source_id}:{key} seen", "documents", exc) from exc

    def touch(self, source_id: str, now: datetime, *, keys: Iterable[str] = (), since: datetime | None = None) -> None:
        """Record that ``source_id`` still lists documents: ``keys``, and every one last listed at ``since``
        or later. Their ``seen_at`` becomes ``now``; a row touched within the last ``TOUCH_EVERY`` is left
        alone, so a source read every minute does not rewrite its documents every minute."""
        _aware(now, "now")
        listed, fresh = sorted(keys), DocumentRow.seen_at < now - TOUCH_EVERY
        chunks = range(0, len(listed), 500)
        statements: list[ColumnElement[bool]] = [DocumentRow.key.in_(listed[i : i + 500]) for i in chunks]
        if since is not None:
            # a row listed then may have gone untouched for up to TOUCH_EVERY before it
            statements.append(DocumentRow.seen_at >= since - TOUCH_EVERY)
        try:
            with self._writes.begin() as session:
                for which in statements:
                    session.execute(
                        update(DocumentRow)
                        .where(DocumentRow.source_id == source_id, which, fresh)
                        .values(seen_at=now)
                        .execution_options(synchronize_session=False)
                    )
        except SQLAlchemyError as exc:
            raise _failure(f"touch documents of {source_id}", "documents", exc) from exc

    # ------------------------------------------------------------------ source state

    def source_state(self, source_id: str) -> SourceState:
        """The fetch state of ``source_id`` (an empty one for a source never fetched)."""
        try:
            with self._reads() as session:
                row = session.get(SourceStateRow, source_id)
        except SQLAlchemyError as exc:
            raise _failure(f"read state of source {source_id}", "sources_state", exc) from exc
        if row is None:
            return SourceState(source_id=source_id)
        return SourceState(**{name: getattr(row, name) for name in _STATE_FIELDS})

    def save_source_state(self, state: SourceState) -> None:
        """Replace the fetch state of ``state.source_id``."""
        values = {name: getattr(state, name) for name in _STATE_FIELDS}
        try:
            with self._writes.begin() as session:
                row = session.get(SourceStateRow, state.source_id, with_for_update=True)
                if row is None:
                    session.add(SourceStateRow(**values))
                else:
                    for name, value in values.items():
                        setattr(row, name, value)
        except SQLAlchemyError as exc:
            raise _failure(f"save state of source {state.source_id}", "sources_state", exc) from exc

    def claim(self, source_ids: Iterable[str], *, now: datetime, until: datetime) -> list[str]:
        """Claim the due sources among ``source_ids``, in order; return the ids claimed.

        A source is due when its ``next_check_at`` is unset or not after ``now``
        and it is not gone. Claiming moves ``next_check_at`` to ``until`` in the
        same statement, so no other tick (of this process or another) takes it;
        the fetch then saves the real next check, and a fetch that never ends
        (a crash) leaves the source due again at ``until``.
        """
        _aware(now, "now")
        claimed: list[str] = []
        try:
            with self._writes.begin() as session:
                dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
                for source_id in source_ids:
                    due = or_(SourceStateRow.next_check_at.is_(None), SourceStateRow.next_check_at <= now)
                    claim = (
                        update(SourceStateRow)
                        .where(SourceStateRow.source_id == source_id, SourceStateRow.gone.is_(False), due)
                        .values(next_check_at=until)
                        .returning(SourceStateRow.source_id)
                        .execution_options(synchronize_session=False)
                    )
                    first = (
                        dialect.insert(SourceStateRow)
                        .values(source_id=source_id, next_check_at=until, failures=0, gone=False)
                        .on_conflict_do_nothing(index_elements=[SourceStateRow.source_id])
                        .returning(SourceStateRow.source_id)
                    )
                    if session.execute(claim).first() or session.execute(first).first():
                        claimed.append(source_id)
        except SQLAlchemyError as exc:
            raise _failure("claim due sources", "sources_state", exc) from exc
        return claimed

    def release(self, source_ids: Iterable[str], *, until: datetime) -> None:
        """Give back the claims (made with ``until``) of sources that did not run: they are due at once."""
        ids = list(source_ids)
        try:
            with self._writes.begin() as session:
                session.execute(
                    update(SourceStateRow)
                    .where(SourceStateRow.source_id.in_(ids), SourceStateRow.next_check_at == until)
                    .values(next_check_at=None)
                    .execution_options(synchronize_session=False)
                )
        except SQLAlchemyError as exc:
            raise _failure("release claimed sources", "sources_state", exc) from exc

    # ------------------------------------------------------------------ retention

    def prune(self, *, before: datetime, keep: Iterable[tuple[str | None, int]] | None = None) -> PruneResult:
        """Forget what is older than ``before`` and no longer needed; return what was deleted.

        Always: the records of documents their source has not listed since
        ``before`` (``seen_at``: when a document was last processed or found
        listed, see ``touch``), so a document that is listed is never read
        again, even when its article was pruned; and the near-duplicate bands
        of articles unchanged since ``before`` (a reprint is looked for among
        recent articles only).

        With ``keep`` — (category or None for all, count) pairs naming what the
        published feeds show — articles unchanged since ``before`` that are not
        among the newest ``count`` of any of those feeds are deleted as well.
        Without it, no article is deleted (archive pages show them all).
        """
        _aware(before, "before")
        try:
            with self._writes.begin() as session:
                documents = session.execute(delete(DocumentRow).where(DocumentRow.seen_at < before))
                old = select(ArticleRow.id).where(ArticleRow.changed_at < before)
                bands = session.execute(delete(ArticleBandRow).where(ArticleBandRow.article_id.in_(old)))
                articles = 0
                if keep is not None:
                    shown: set[str] = set()
                    for category, count in keep:
                        shown.update(session.scalars(_newest_ids(category, count)))
                    stale = [i for i in session.scalars(old) if i not in shown]
                    for start in range(0, len(stale), 500):
                        chunk = stale[start : start + 500]
                        session.execute(delete(ArticleRow).where(ArticleRow.id.in_(chunk)))
                    articles = len(stale)
        except SQLAlchemyError as exc:
            raise _failure(f"prune what is older than {before.isoformat()}", "articles", exc) from exc
        return PruneResult(
            documents=documents.rowcount,  # type: ignore[attr-defined]
            bands=bands.rowcount,  # type: ignore[attr-defined]
            articles=articles,
        )

    # ------------------------------------------------------------------ articles

    def upsert(self, article: Article, *, now: datetime) -> UpsertResult:
        """Insert, update or merge ``article`` in one transaction (see the module docstring)."""
        _aware(now, "now")
        try:
            with self._writes.begin() as session:
                row = session.get(
                    ArticleRow,
                    article.id,
                    with_for_update=True,
                    options=[selectinload(ArticleRow.categories), selectinload(ArticleRow.vias)],
                )
                if row is None:
                    original = near_duplicate(session, article)
                    if original is not None:
                        return update_row(original, replace(article, id=original.id), now)
                    session.add(new_row(article, now))
                    return UpsertResult("new", article.id, frozenset(article.categories))
                return update_row(row, article, now)
        except SQLAlchemyError as exc:
            raise _failure(f"upsert article {article.id}", "articles", exc) from exc

    def feed_articles(self, category: str | None, limit: int) -> list[Article]:
        """The newest ``limit`` articles of ``category`` (None: of all), newest first.

        Newest is by publication date, or first sight when the date is unknown;
        ties are broken by id, so the order is always the same.
        """
        if limit < 0:
            raise ValueError(f"limit must not be negative, got {limit}")
        recency = func.coalesce(ArticleRow.published, ArticleRow.first_seen)
        stmt = select(ArticleRow).options(selectinload(ArticleRow.categories), selectinload(ArticleRow.vias))
        if category is not None:
            stmt = stmt.join(ArticleCategoryRow).where(ArticleCategoryRow.slug == category)
        stmt = stmt.order_by(recency.desc(), ArticleRow.id).limit(limit)
        try:
            with self._reads() as session:
                return [to_article(row) for row in session.scalars(stmt)]
        except SQLAlchemyError as exc:
            what = f"category {category}" if category is not None else "all categories"
            raise _failure(f"list articles of {what}", "articles", exc) from exc

    def archive_articles(self, category: str | None, limit: int, offset: int = 0) -> list[Article]:
        """Articles of ``category`` (None: of all) oldest first: the exact reverse of ``feed_articles``' order.

        ``offset`` articles are skipped from the oldest, then at most ``limit`` returned.
        """
        if limit < 0 or offset < 0:
            raise ValueError(f"limit and offset must not be negative, got {limit} and {offset}")
        recency = func.coalesce(ArticleRow.published, ArticleRow.first_seen)
        stmt = select(ArticleRow).options(selectinload(ArticleRow.categories), selectinload(ArticleRow.vias))
        if category is not None:
            stmt = stmt.join(ArticleCategoryRow).where(ArticleCategoryRow.slug == category)
        stmt = stmt.order_by(recency.asc(), ArticleRow.id.desc()).offset(offset).limit(limit)
        try:
            with self._reads() as session:
                return [to_article(row) for row in session.scalars(stmt)]
        except SQLAlchemyError as exc:
            what = f"category {category}" if category is not None else "all categories"
            raise _failure(f"list archived articles of {what}", "articles", exc) from exc

    def count_feed_articles(self, category: str | None) -> int:
        """How many articles ``category`` holds (None: how many are stored)."""
        if category is None:
            return self.count_articles()
        stmt = select(func.count()).select_from(ArticleCategoryRow).where(ArticleCategoryRow.slug == category)
        try:
            with self._reads() as session:
                return session.execute(stmt).scalar_one()
        except SQLAlchemyError as exc:
            raise _failure(f"count articles of category {category}", "article_categories", exc) from exc

    def category_stats(self) -> dict[str, tuple[int, datetime | None]]:
        """Per category slug: how many articles it holds and the newest ``changed_at`` among them."""
        stmt = (
            select(ArticleCategoryRow.slug, func.count(), func.max(ArticleRow.changed_at))
            .join(ArticleRow)
            .group_by(ArticleCategoryRow.slug)
            .order_by(ArticleCategoryRow.slug)
        )
        try:
            with self._reads() as session:
                return {slug: (count, newest) for slug, count, newest in session.execute(stmt)}
        except SQLAlchemyError as exc:
            raise _failure("count articles per category", "article_categories", exc) from exc

    def count_articles(self) -> int:
        """How many articles are stored."""
        try:
            with self._reads() as session:
                return session.execute(select(func.count()).select_from(ArticleRow)).scalar_one()
        except SQLAlchemyError as exc:
            raise _failure("count articles", "articles", exc) from exc


def _newest_ids(category: str | None, limit: int) -> Any:
    """The ids of the newest ``limit`` articles of ``category`` (None: of all), in ``feed_articles``' order."""
    recency = func.coalesce(ArticleRow.published, ArticleRow.first_seen)
    stmt = select(ArticleRow.id)
    if category is not None:
        stmt = stmt.join(ArticleCategoryRow).where(ArticleCategoryRow.slug == category)
    return stmt.order_by(recency.desc(), ArticleRow.id).limit(limit)


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime, got naive {value.isoformat()}")
    return value


def _failure(operation: str, table: str, exc: BaseException) -> StoreError:
    return StoreError(f"{operation} (table {table}) failed: {cause(exc)}")
