"""The database schema as SQLAlchemy 2.0 typed declarative models.

These rows never leave ``feeds.store``: the repository turns them into the
frozen values of ``feeds.models``. Every datetime column is a ``UTCDateTime``:
``timestamptz`` on PostgreSQL, and on SQLite a naive UTC text that is read
back as an aware UTC datetime. The migrations under ``migrations/versions``
create exactly this schema.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    Dialect,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator

__all__ = [
    "ArticleBandRow",
    "ArticleCategoryRow",
    "ArticleRow",
    "ArticleViaRow",
    "Base",
    "DocumentRow",
    "SourceStateRow",
    "UTCDateTime",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC and always read back aware, in UTC.

    Naive datetimes are refused: inside the service every datetime is aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value.isoformat()} (expected an aware datetime)")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: Any | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if not isinstance(value, datetime):
            raise TypeError(f"expected a datetime from the database, got {type(value).__name__}")
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}  # noqa: RUF012


class ArticleRow(Base):
    """One article; its id is the stable ``Article.id``."""

    __tablename__ = "articles"

    id: Mapped[str] = mapped_column(String, primary_key=True)
    source_id: Mapped[str] = mapped_column(String, index=True)
    title: Mapped[str] = mapped_column(Text)
    link: Mapped[str | None] = mapped_column(Text)
    origin_url: Mapped[str | None] = mapped_column(Text)
    source_name: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published: Mapped[datetime | None] = mapped_column(index=True)
    published_precision: Mapped[str] = mapped_column(String(16))
    updated: Mapped[datetime | None]
    first_seen: Mapped[datetime]
    changed_at: Mapped[datetime] = mapped_column(index=True)  # last write of content, categories or vias
    language: Mapped[str] = mapped_column(String(35))
    summary: Mapped[str] = mapped_column(Text)
    content_html: Mapped[str] = mapped_column(Text)
    content_text: Mapped[str] = mapped_column(Text)
    disclaimer_kind: Mapped[str | None] = mapped_column(String(32))
    disclaimer_text: Mapped[str | None] = mapped_column(Text)
    rights: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64))
    signature: Mapped[bytes | None] = mapped_column(LargeBinary)  # MinHash of the body, see ArticleBandRow
    upstream_title: Mapped[str | None] = mapped_column(Text)
    upstream_url: Mapped[str | None] = mapped_column(Text)
    upstream_id: Mapped[str | None] = mapped_column(Text)
    upstream_updated: Mapped[datetime | None]

    categories: Mapped[list[ArticleCategoryRow]] = relationship(
        back_populates="article", cascade="all, delete-orphan", passive_deletes=True, order_by="ArticleCategoryRow.slug"
    )
    vias: Mapped[list[ArticleViaRow]] = relationship(
        back_populates="article", cascade="all, delete-orphan", passive_deletes=True, order_by="ArticleViaRow.url"
    )
    bands: Mapped[list[ArticleBandRow]] = relationship(cascade="all, delete-orphan", passive_deletes=True)

    __table_args__ = (
        # Feeds list articles newest first: coalesce(published, first_seen) DESC, id.
        Index("ix_articles_recency", text("coalesce(published, first_seen) DESC"), "id"),
    )


class ArticleCategoryRow(Base):
    """An article's membership in one category."""

    __tablename__ = "article_categories"

    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    slug: Mapped[str] = mapped_column(String, primary_key=True)

    article: Mapped[ArticleRow] = relationship(back_populates="categories")

    __table_args__ = (Index("ix_article_categories_slug_article_id", "slug", "article_id"),)


class ArticleBandRow(Base):
    """One LSH band of an article's MinHash signature.

    Articles whose signatures agree on all rows of any band are candidate
    near-duplicates (reprints of one text under different URLs); the index on
    (band, value) finds them without scanning the articles.
    """

    __tablename__ = "article_bands"

    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    band: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)

    __table_args__ = (Index("ix_article_bands_band_value", "band", "value"),)


class ArticleViaRow(Base):
    """A page an article was (also) read from, such as a reprint on another site."""

    __tablename__ = "article_vias"

    article_id: Mapped[str] = mapped_column(ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str] = mapped_column(Text, primary_key=True)
    source_id: Mapped[str] = mapped_column(String)

    article: Mapped[ArticleRow] = relationship(back_populates="vias")


class DocumentRow(Base):
    """A document a source has processed, so an unchanged file or page is skipped."""

    __tablename__ = "documents"

    source_id: Mapped[str] = mapped_column(String, primary_key=True)
    key: Mapped[str] = mapped_column(Text, primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64))
    article_id: Mapped[str | None] = mapped_column(ForeignKey("articles.id", ondelete="SET NULL"), index=True)
    seen_at: Mapped[datetime]


class SourceStateRow(Base):
    """Fetch state of a source: conditional GET validators and scheduling."""

    __tablename__ = "sources_state"

    source_id: Mapped[str] = mapped_column(String, primary_key=True)
    url: Mapped[str | None] = mapped_column(Text)
    etag: Mapped[str | None] = mapped_column(Text)
    last_modified: Mapped[str | None] = mapped_column(Text)  # the HTTP header value, sent back as is
    body_hash: Mapped[str | None] = mapped_column(String(64))
    last_fetch_at: Mapped[datetime | None]
    last_ok_at: Mapped[datetime | None]
    last_status: Mapped[str | None] = mapped_column(String(32))
    last_error: Mapped[str | None] = mapped_column(Text)
    parse_warning: Mapped[str | None] = mapped_column(Text)
    failures: Mapped[int] = mapped_column(Integer, default=0, server_default=text("0"))
    next_check_at: Mapped[datetime | None] = mapped_column(index=True)
    gone: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
