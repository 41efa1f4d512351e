"""Articles as rows and back, and the rules of an upsert: update in place, merge a reprint, find a near-duplicate.

A near-duplicate is found by the LSH bands of the body's MinHash signature
(``BANDS`` bands, indexed in ``article_bands``): articles agreeing on a band are
candidates, and one whose estimated Jaccard similarity reaches ``NEAR_DUPLICATE``
is the same article under another URL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from feeds.models import Article, Disclaimer, Precision, Upstream
from feeds.store.tables import (
    ArticleBandRow,
    ArticleCategoryRow,
    ArticleRow,
    ArticleViaRow,
)

UpsertStatus = Literal["new", "updated", "unchanged", "merged"]


@dataclass(frozen=True)
class UpsertResult:
    """What an upsert did, and which categories' feeds it touched."""

    status: UpsertStatus
    article_id: str
    categories: frozenset[str]  # old ∪ new categories when they changed; empty when unchanged


BANDS = 32  # LSH bands over the 128-value MinHash signature: 4 values a band
NEAR_DUPLICATE = 0.7  # estimated Jaccard similarity of shingles from which two bodies are one article


def new_row(article: Article, now: datetime) -> ArticleRow:
    row = ArticleRow(
        id=article.id, source_id=article.source_id, first_seen=now, changed_at=now, updated=article.updated
    )
    set_content(row, article)
    row.categories = [ArticleCategoryRow(slug=slug) for slug in sorted(set(article.categories))]
    row.vias = [ArticleViaRow(url=url, source_id=article.source_id) for url in sorted(set(article.via))]
    return row


def bands_of(signature: bytes) -> list[int]:
    """One signed 64-bit value per band of the signature (none for an empty one)."""
    if not signature:
        return []
    size = len(signature) // BANDS
    return [
        int.from_bytes(
            hashlib.blake2b(signature[i * size : (i + 1) * size], digest_size=8).digest(), "big", signed=True
        )
        for i in range(BANDS)
    ]


def similarity(a: bytes, b: bytes) -> float:
    """Estimated Jaccard similarity of the shingle sets behind two MinHash signatures."""
    if not a or len(a) != len(b):
        return 0.0
    same = sum(a[i : i + 4] == b[i : i + 4] for i in range(0, len(a), 4))
    return same / (len(a) // 4)


def near_duplicate(session: Session, article: Article) -> ArticleRow | None:
    """The stored article whose body ``article`` reprints, if any: the most similar above the threshold."""
    bands = bands_of(article.signature)
    if not bands:
        return None
    matches = or_(*(and_(ArticleBandRow.band == i, ArticleBandRow.value == v) for i, v in enumerate(bands)))
    candidates = session.scalars(select(ArticleBandRow.article_id).where(matches).distinct()).all()
    best: tuple[float, str] | None = None
    for candidate in sorted(candidates):
        row = session.get(ArticleRow, candidate)
        if row is None or not row.signature:
            continue
        score = similarity(article.signature, row.signature)
        if score >= NEAR_DUPLICATE and (best is None or score > best[0]):
            best = (score, candidate)
    if best is None:
        return None
    return session.get(
        ArticleRow,
        best[1],
        with_for_update=True,
        options=[selectinload(ArticleRow.categories), selectinload(ArticleRow.vias)],
        populate_existing=True,
    )


def update_row(row: ArticleRow, article: Article, now: datetime) -> UpsertResult:
    old = {c.slug for c in row.categories}
    new = set(article.categories)
    own = article.source_id == row.source_id
    content_changed = own and article.content_hash != row.content_hash
    categories_changed = own and new != old

    if content_changed:
        set_content(row, article)
        row.updated = max(now, article.updated) if article.updated is not None else now
    if categories_changed:
        row.categories = [c for c in row.categories if c.slug in new]
        row.categories.extend(ArticleCategoryRow(slug=slug) for slug in sorted(new - old))
    vias_added = add_vias(row, article, own)
    if not (content_changed or categories_changed or vias_added):
        return UpsertResult("unchanged", row.id, frozenset())

    row.changed_at = now
    if categories_changed:
        return UpsertResult("updated", row.id, frozenset(old | new))
    current = frozenset(c.slug for c in row.categories)
    return UpsertResult("updated" if content_changed else "merged", row.id, current)


def add_vias(row: ArticleRow, article: Article, own: bool) -> bool:
    """Add the pages ``article`` was read from that ``row`` does not know yet; True when any was added."""
    candidates = set(article.via)
    if not own and article.link:
        candidates.add(article.link)
    known = {v.url for v in row.vias}
    if row.link:
        known.add(row.link)
    fresh = sorted(candidates - known)
    row.vias.extend(ArticleViaRow(url=url, source_id=article.source_id) for url in fresh)
    return bool(fresh)


def set_content(row: ArticleRow, article: Article) -> None:
    row.title = article.title
    row.link = article.link
    row.origin_url = article.origin_url
    row.source_name = article.source_name
    row.author = article.author
    row.published = article.published
    row.published_precision = article.published_precision.value
    row.language = article.language
    row.summary = article.summary
    row.content_html = article.content_html
    row.content_text = article.content_text
    row.disclaimer_kind = article.disclaimer.kind if article.disclaimer is not None else None
    row.disclaimer_text = article.disclaimer.text if article.disclaimer is not None else None
    row.rights = article.rights
    row.content_hash = article.content_hash
    row.signature = article.signature or None
    upstream = article.upstream
    row.upstream_title = upstream.title if upstream else None
    row.upstream_url = upstream.url if upstream else None
    row.upstream_id = upstream.id if upstream else None
    row.upstream_updated = upstream.updated if upstream else None
    row.bands = [ArticleBandRow(band=i, value=v) for i, v in enumerate(bands_of(article.signature))]


def to_article(row: ArticleRow) -> Article:
    disclaimer = None
    if row.disclaimer_kind is not None:
        disclaimer = Disclaimer(kind=row.disclaimer_kind, text=row.disclaimer_text or "")
    return Article(
        id=row.id,
        source_id=row.source_id,
        title=row.title,
        link=row.link,
        origin_url=row.origin_url,
        source_name=row.source_name,
        author=row.author,
        published=row.published,
        updated=row.updated,
        published_precision=Precision(row.published_precision),
        language=row.language,
        summary=row.summary,
        content_html=row.content_html,
        content_text=row.content_text,
        categories=sorted_values(c.slug for c in row.categories),
        disclaimer=disclaimer,
        rights=row.rights,
        content_hash=row.content_hash,
        via=sorted_values(v.url for v in row.vias),
        first_seen=row.first_seen,
        signature=row.signature or b"",
        upstream=Upstream(row.upstream_title, row.upstream_url, row.upstream_id, row.upstream_updated)
        if row.upstream_url or row.upstream_id or row.upstream_title
        else None,
    )


def sorted_values(values: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(values)))
