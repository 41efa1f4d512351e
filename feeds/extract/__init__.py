"""Extraction: the bytes of a captured or fetched page to an ``Extracted``.

``extract`` decodes the bytes (see ``encoding``) and reads them as a plain-text
capture (``text``) or an HTML page (``html``) by media type. Nothing is judged
or cleaned here beyond taking meta lines out of the body; boilerplate,
disclaimers and dates are the normalizer's. A document with neither a title
nor a body raises ``ExtractError``.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import replace

from feeds.errors import ExtractError
from feeds.extract.encoding import decode
from feeds.extract.html import extract_html
from feeds.extract.text import extract_text
from feeds.models import Extracted, RawItem, SiteRules

__all__ = ["extract", "extract_entry"]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
TEXT_TYPES = frozenset({"text/plain"})
_CHARSET_PARAM = re.compile(r";\s*charset\s*=\s*[\"']?([^\"';\s]+)", re.IGNORECASE)
_LOOKS_HTML = re.compile(r"^\s*(?:<!doctype\s+html|<html[\s>])", re.IGNORECASE)


def extract(raw: RawItem, rules: SiteRules | None = None) -> Extracted:
    """Title, body blocks and meta of ``raw``, read by its media type (``text/plain`` or ``text/html``).

    ``rules`` are a site's extraction rules, applied to HTML pages.
    """
    media_type = raw.media_type.split(";", 1)[0].strip().lower()
    param = _CHARSET_PARAM.search(raw.media_type)
    declared = raw.charset or (param.group(1) if param else None)
    where = f"{raw.key!r} (source_id={raw.source_id}, url={raw.url})"
    if media_type in HTML_TYPES:
        extracted = extract_html(decode(raw.content, declared), raw.url, rules)
    elif media_type in TEXT_TYPES:
        text = decode(raw.content, declared, html=False)
        extracted = extract_html(text, raw.url, rules) if _LOOKS_HTML.match(text) else extract_text(text, raw.url)
    else:
        raise ExtractError(f"unsupported media type {raw.media_type!r} of {where}: expected text/plain or text/html")
    if not extracted.title.strip() and not any(block.text.strip() or block.html for block in extracted.blocks):
        raise ExtractError(f"no title and no body in {where}")
    return extracted


def extract_entry(content_html: str, *, title: str, url: str | None, meta: Mapping[str, str]) -> Extracted:
    """A feed entry: its HTML content read as a page body, with the entry's own title and metadata.

    The entry's structured fields (``meta``: published, author, categories, …)
    win over meta lines found in the content; the content may still supply
    what the entry lacks, such as ``原文链接``.
    """
    head = f"<head><title>{html.escape(title)}</title></head>"
    page = f"<html>{head}<body><article>{content_html}</article></body></html>"
    extracted = extract_html(page, url)
    merged = {**extracted.meta, **{key: value for key, value in meta.items() if value}}
    if url:
        merged.setdefault("url", url)
    extracted = replace(extracted, title=title or extracted.title, meta=merged, url=url or extracted.url)
    if not extracted.title.strip() and not any(block.text.strip() or block.html for block in extracted.blocks):
        raise ExtractError(f"feed entry {url or title!r} has no title and no content")
    return extracted
