"""Identity of an article and a fingerprint of its content.

The id depends only on where the article comes from — its original URL when
known, else the page it was read from, else its source, title and date — so it
never changes when the article is edited or the feeds are rebuilt. The content
hash changes with every edit of the title or body.
"""

from __future__ import annotations

import hashlib
import unicodedata
from datetime import UTC, datetime

from feeds.errors import ParseError
from feeds.normalize.urls import canonical_url

__all__ = ["article_id", "content_hash"]

ID_LENGTH = 16


def article_id(
    *,
    origin_url: str | None,
    link: str | None,
    source_id: str,
    title: str,
    published: datetime | None,
) -> str:
    """16 hex characters of SHA-256 over the article's origin, link, or source, title and date."""
    key: str | None = None
    for prefix, url in (("origin:", origin_url), ("link:", link)):
        if url:
            try:
                key = prefix + canonical_url(url)
            except ParseError:
                continue
            break
    if key is None:
        when = published.astimezone(UTC).isoformat() if published is not None else ""
        key = f"src:{source_id}\n{_norm(title)}\n{when}"
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:ID_LENGTH]


def content_hash(title: str, content_text: str) -> str:
    """SHA-256 (hex) of the normalized title and body text."""
    body = unicodedata.normalize("NFC", content_text).strip()
    payload = f"{_norm(title)}\n\n{body}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _norm(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())
