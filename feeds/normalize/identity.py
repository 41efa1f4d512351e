"""Identity of an article and a fingerprint of its content.

The id depends only on where the article comes from — its original URL when
known, else the page it was read from, else its source, title and date — so it
never changes when the article is edited or the feeds are rebuilt. The content
hash changes with every edit of the title or body.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import UTC, datetime

from datasketch import MinHash

from feeds.errors import ParseError
from feeds.normalize.urls import canonical_url

__all__ = ["article_id", "content_hash", "signature"]

ID_LENGTH = 16
SHINGLE = 5  # characters: CJK text has no word breaks, and Latin text works as well
PERMUTATIONS = 128
MIN_SIGNED = 120  # letters: shorter bodies (a one-line summary) say too little to call two articles one
_NOT_WORD = re.compile(r"[\W_]+")


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


def signature(text: str) -> bytes:
    """MinHash signature (128 × uint32, little-endian) of the body's character shingles.

    Punctuation, spacing and case are ignored, so two reprints of one article
    with other boilerplate and small edits share most of their shingles. An
    body shorter than ``MIN_SIGNED`` letters has an empty signature.
    """
    letters = _NOT_WORD.sub("", unicodedata.normalize("NFKC", text).casefold())
    if len(letters) < MIN_SIGNED:
        return b""
    shingles = {letters[i : i + SHINGLE] for i in range(max(1, len(letters) - SHINGLE + 1))}
    minhash = MinHash(num_perm=PERMUTATIONS, seed=1)
    minhash.update_batch([s.encode("utf-8") for s in sorted(shingles)])
    return bytes(minhash.hashvalues.astype("<u4").tobytes())

