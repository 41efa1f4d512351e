"""Normalization: what an extractor read off a page becomes an ``Article``.

The steps, in order::

    strip_boilerplate → disclaimers out of the body → metadata (dates, author,
    source name, origin URL) → text cleanup → URL canonicalization → sanitize
    → summary, language → categories → identity and content hash

The body (``content_html`` and ``content_text``) holds the article alone: no
boilerplate, disclaimer or meta lines; images appear in ``content_html`` only.
Zone-less times are read in the source's zone; all datetimes come out aware
and in UTC.
"""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

from feeds.config import Settings
from feeds.errors import ExtractError, ParseError
from feeds.models import Article, Block, Extracted, Precision, Source, Upstream
from feeds.normalize.boilerplate import strip_boilerplate
from feeds.normalize.categorize import categorize
from feeds.normalize.dates import ParsedDate, date_from_url, parse_date
from feeds.normalize.disclaimers import rights_text, split_disclaimer
from feeds.normalize.identity import article_id, content_hash, signature
from feeds.normalize.sanitize import sanitize_html
from feeds.normalize.text import clean_text, clean_title, detect_language, summarize
from feeds.normalize.urls import canonical_url

__all__ = ["normalize"]

TITLE_FROM_BODY = 60  # characters of the first paragraph used when a page has no title
_HEADINGS = {"h1": "h2", "h2": "h2", "h3": "h3", "h4": "h4", "h5": "h4", "h6": "h4"}
_LABEL = re.compile(
    r"^(?:作者|记者|来源|稿源|文章来源|责任编辑|编辑|by|source|author)(?:\s*[:：]\s*|\s+)", re.IGNORECASE
)


def normalize(extracted: Extracted, source: Source, settings: Settings, *, now: datetime | None = None) -> Article:
    """The normalized article of ``extracted``, read from ``source``.

    ``now`` (default: the current time) anchors relative dates (``3小时前``) and the
    check that rejects dates in the future. Raises ``ExtractError`` when there is
    neither a title nor a body.
    """
    now = _aware(now) if now is not None else datetime.now(UTC)
    blocks, disclaimer = split_disclaimer(strip_boilerplate(extracted.blocks), settings.disclaimers.rules)

    meta = {key: clean_text(value) for key, value in extracted.meta.items() if isinstance(value, str)}
    page_url = _url(extracted.url or meta.get("url"), None)
    origin_url = _url(meta.get("origin_url"), page_url)
    published = _published(meta, origin_url, page_url, source.timezone, now)
    updated = parse_date(meta["updated"], source.timezone, now=now) if meta.get("updated") else None
    author = _value(meta.get("author"))
    source_name = _value(meta.get("source")) or source.name.strip() or None

    body = _clean_blocks(blocks)
    # An image's alt text describes a picture; it is not a paragraph of the article (nor its summary).
    content_text = "\n\n".join(block.text for block in body if block.text and block.tag != "img")
    title = clean_title(extracted.title, (source_name, source.name))
    if not title:
        alts = (block.text for block in body if block.tag == "img" and block.text)
        title = _title_from(content_text or next(alts, ""))
    if not title and not content_text:
        raise ExtractError(f"normalize: nothing to normalize (source_id={source.id}, url={extracted.url})")

    link = page_url or origin_url
    via = (page_url,) if page_url and origin_url and page_url != origin_url else ()
    content_html = sanitize_html(_render(body), page_url or origin_url)

    language = detect_language(f"{title}\n{content_text}", extracted.language or source.language)
    summary = summarize(meta.get("abstract") or content_text, language)
    upstream = tuple(part for part in re.split(r"[,，;；|]", meta.get("categories", "")) if part.strip())
    categories = categorize(title, content_text, source, settings.categories, upstream)

    rights = rights_text(
        settings.rights_template(source, language),
        source_name=source_name or _host(origin_url or link),
        origin_url=origin_url or link,
        title=title,
    )
    return Article(
        id=article_id(
            origin_url=origin_url,
            link=link,
            source_id=source.id,
            title=title,
            published=published.when if published else None,
        ),
        source_id=source.id,
        title=title,
        link=link,
        origin_url=origin_url,
        source_name=source_name,
        author=author,
        published=published.when if published else None,
        updated=updated.when if updated else None,
        published_precision=published.precision if published else Precision.NONE,
        language=language,
        summary=summary,
        content_html=content_html,
        content_text=content_text,
        categories=categories,
        disclaimer=disclaimer,
        rights=rights or None,
        content_hash=content_hash(title, content_text),
        via=via,
        signature=signature(content_text),
        upstream=_upstream(meta, source.timezone, now),
    )


def _upstream(meta: dict[str, str], tz: str, now: datetime) -> Upstream | None:
    """The feed the article came through, from the ``upstream_*`` meta a feed source sets."""
    title, url, feed_id = (meta.get(f"upstream_{k}") or None for k in ("title", "url", "id"))
    if not (title or url or feed_id):
        return None
    updated = parse_date(meta["upstream_updated"], tz, now=now) if meta.get("upstream_updated") else None
    return Upstream(title=title, url=_url(url, None) or url, id=feed_id, updated=updated.when if updated else None)


def _aware(moment: datetime) -> datetime:
    return moment.astimezone(UTC) if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _url(value: str | None, base: str | None) -> str | None:
    """The canonical form of a URL found in the page, or None when there is none usable."""
    if not value:
        return None
    try:
        return canonical_url(value, base)
    except ParseError:
        return None


def _host(url: str | None) -> str | None:
    if not url:
        return None
    return urlsplit(url).hostname or None


def _value(text: str | None) -> str | None:
    """A meta value without its label (``作者:``, ``By``), or None when empty."""
    if not text:
        return None
    return _LABEL.sub("", text).strip() or None


def _published(
    meta: dict[str, str], origin_url: str | None, page_url: str | None, tz: str, now: datetime
) -> ParsedDate | None:
    """Meta ``published``, else a date in the original URL, else one in the page URL."""
    if meta.get("published"):
        found = parse_date(meta["published"], tz, now=now)
        if found is not None:
            return found
    for url in (origin_url, page_url):
        if url:
            found = date_from_url(url, tz)
            if found is not None and found.when <= now:
                return found
    return None


def _clean_blocks(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    cleaned = []
    for block in blocks:
        text = clean_text(block.text, keep_newlines=block.tag == "pre")
        if text or (block.html and block.html.strip()):
            cleaned.append(Block(text=text, tag=block.tag, html=block.html))
    return tuple(cleaned)


def _title_from(text: str) -> str:
    first = text.split("\n\n", 1)[0]
    return first if len(first) <= TITLE_FROM_BODY else first[: TITLE_FROM_BODY - 1].rstrip() + "…"


def _render(blocks: tuple[Block, ...]) -> str:
    """One HTML element per block; consecutive list items share a ``<ul>``."""
    out: list[str] = []
    items: list[str] = []
    for block in blocks:
        inner = block.html if block.html is not None else html.escape(block.text, quote=False)
        if block.tag == "li":
            items.append(f"<li>{inner}</li>")
            continue
        if items:
            out.append("<ul>" + "".join(items) + "</ul>")
            items = []
        if block.tag == "img":
            out.append(f"<figure>{inner}</figure>" if block.html else f"<p>{inner}</p>")
        elif block.tag in ("blockquote", "pre"):
            out.append(f"<{block.tag}>{inner}</{block.tag}>")
        elif block.tag in _HEADINGS:
            out.append(f"<{_HEADINGS[block.tag]}>{inner}</{_HEADINGS[block.tag]}>")
        else:
            out.append(f"<p>{inner}</p>")
    if items:
        out.append("<ul>" + "".join(items) + "</ul>")
    return "\n".join(out)
