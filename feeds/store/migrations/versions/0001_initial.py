"""Initial schema: articles, their categories, vias and signature bands, processed documents, source state.

Revision ID: 0001
Revises:
Create Date: 2026-11-26
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _timestamp() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "articles",
        sa.Column("id", sa.String(), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("link", sa.Text(), nullable=True),
        sa.Column("origin_url", sa.Text(), nullable=True),
        sa.Column("source_name", sa.Text(), nullable=True),
        sa.Column("author", sa.Text(), nullable=True),
        sa.Column("published", _timestamp(), nullable=True),
        sa.Column("published_precision", sa.String(length=16), nullable=False),
        sa.Column("updated", _timestamp(), nullable=True),
        sa.Column("first_seen", _timestamp(), nullable=False),
        sa.Column("changed_at", _timestamp(), nullable=False),
        sa.Column("language", sa.String(length=35), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("content_html", sa.Text(), nullable=False),
        sa.Column("content_text", sa.Text(), nullable=False),
        sa.Column("disclaimer_kind", sa.String(length=32), nullable=True),
        sa.Column("disclaimer_text", sa.Text(), nullable=True),
        sa.Column("rights", sa.Text(), nullable=True),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("signature", sa.LargeBinary(), nullable=True),
        sa.Column("upstream_title", sa.Text(), nullable=True),
        sa.Column("upstream_url", sa.Text(), nullable=True),
        sa.Column("upstream_id", sa.Text(), nullable=True),
        sa.Column("upstream_updated", _timestamp(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_articles"),
    )
    op.create_index("ix_articles_source_id", "articles", ["source_id"])
    op.create_index("ix_articles_published", "articles", ["published"])
    op.create_index("ix_articles_changed_at", "articles", ["changed_at"])
    op.create_index(
        "ix_articles_recency", "articles", [sa.literal_column("coalesce(published, first_seen) DESC"), "id"]
    )

    op.create_table(
        "article_categories",
        sa.Column("article_id", sa.String(), nullable=False),
        sa.Column("slug", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_article_categories_article_id_articles", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", "slug", name="pk_article_categories"),
    )
    op.create_index("ix_article_categories_slug_article_id", "article_categories", ["slug", "article_id"])

    op.create_table(
        "article_bands",
        sa.Column("article_id", sa.String(), nullable=False),
        sa.Column("band", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_article_bands_article_id_articles", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", "band", name="pk_article_bands"),
    )
    op.create_index("ix_article_bands_band_value", "article_bands", ["band", "value"])

    op.create_table(
        "article_vias",
        sa.Column("article_id", sa.String(), nullable=False),
        sa.Column("url", sa.Text(), nullable=False),
        sa.Column("source_id", sa.String(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_article_vias_article_id_articles", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("article_id", "url", name="pk_article_vias"),
    )

    op.create_table(
        "documents",
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("article_id", sa.String(), nullable=True),
        sa.Column("seen_at", _timestamp(), nullable=False),
        sa.ForeignKeyConstraint(
            ["article_id"], ["articles.id"], name="fk_documents_article_id_articles", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("source_id", "key", name="pk_documents"),
    )
    op.create_index("ix_documents_article_id", "documents", ["article_id"])

    op.create_table(
        "sources_state",
        sa.Column("source_id", sa.String(), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("etag", sa.Text(), nullable=True),
        sa.Column("last_modified", sa.Text(), nullable=True),
        sa.Column("body_hash", sa.String(length=64), nullable=True),
        sa.Column("last_fetch_at", _timestamp(), nullable=True),
        sa.Column("last_ok_at", _timestamp(), nullable=True),
        sa.Column("last_status", sa.String(length=32), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("parse_warning", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("next_check_at", _timestamp(), nullable=True),
        sa.Column("gone", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.PrimaryKeyConstraint("source_id", name="pk_sources_state"),
    )
    op.create_index("ix_sources_state_next_check_at", "sources_state", ["next_check_at"])


def downgrade() -> None:
    op.drop_index("ix_sources_state_next_check_at", table_name="sources_state")
    op.drop_table("sources_state")
    op.drop_index("ix_documents_article_id", table_name="documents")
    op.drop_table("documents")
    op.drop_table("article_vias")
    op.drop_index("ix_article_bands_band_value", table_name="article_bands")
    op.drop_table("article_bands")
    op.drop_index("ix_article_categories_slug_article_id", table_name="article_categories")
    op.drop_table("article_categories")
    op.drop_index("ix_articles_recency", table_name="articles")
    op.drop_index("ix_articles_changed_at", table_name="articles")
    op.drop_index("ix_articles_published", table_name="articles")
    op.drop_index("ix_articles_source_id", table_name="articles")
    op.drop_table("articles")
