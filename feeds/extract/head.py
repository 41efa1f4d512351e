"""The head of an article page: meta tags, JSON-LD, its title and declared language.

Meta fields come from ``<meta>`` tags (``PubDate``, ``article:published_time``,
``ContentSource``, ``author``, ``og:url`` …), the canonical link and a JSON-LD
article object (``datePublished``, ``dateModified``, ``author``, ``url``); the
first value found for a key wins. The title is ``<meta name="ArticleTitle">``,
``og:title``, the JSON-LD ``headline`` or an ``<h1>`` when it agrees with
``<title>`` (which usually carries a site-name suffix), else the first of them
found.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

__all__ = ["head_language", "head_meta", "head_title", "norm", "text_of"]

Element = Any  # lxml.html.HtmlElement; lxml ships no type information

_META_KEYS = {
    "pubdate": "published", "publishdate": "published", "publish_date": "published", "publishtime": "published",
    "article:published_time": "published", "og:published_time": "published", "datepublished": "published",
    "dc.date.issued": "published", "firstpublishedtime": "published",
    "article:modified_time": "updated", "og:updated_time": "updated", "lastmodifiedtime": "updated",
    "contentsource": "source", "source": "source",
    "author": "author", "article:author": "author", "dc.creator": "author",
    "og:url": "url",
}
_ARTICLE_TYPES = {"newsarticle", "article", "blogposting", "reportagenews", "analysisnewsarticle", "webpage"}
_SPACE = re.compile(r"\s+")


def norm(text: str | None) -> str:
    """``text`` with its runs of white space made one space, and trimmed."""
    return _SPACE.sub(" ", text or "").strip()


def text_of(element: Element) -> str:
    """The text of ``element`` and its descendants, white space made single."""
    return norm(element.text_content())


def head_meta(doc: Element) -> tuple[dict[str, str], str]:
    """The page's meta fields (meta tags, canonical link, JSON-LD article), and its JSON-LD headline or ''."""
    meta: dict[str, str] = {}
    for tag in doc.iter("meta"):
        name = (tag.get("name") or tag.get("property") or tag.get("itemprop") or "").strip().lower()
        key = _META_KEYS.get(name)
        value = norm(tag.get("content"))
        if key is None or not value:
            continue
        if key == "author" and value.startswith(("http://", "https://")):
            continue
        meta.setdefault(key, value)
    for link in doc.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            meta.setdefault("url", link.get("href").strip())
    return meta, _json_ld(doc, meta)


def _json_ld(doc: Element, meta: dict[str, str]) -> str:
    """Fill ``meta`` from a JSON-LD article object; its headline, or ''."""
    for script in doc.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):
            continue
        for item in _ld_objects(data):
            kinds = item.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if not any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in kinds):
                continue
            for field, key in (("datePublished", "published"), ("dateModified", "updated"), ("url", "url")):
                if isinstance(item.get(field), str) and item[field].strip():
                    meta.setdefault(key, item[field].strip())
            author = _ld_names(item.get("author"))
            if author:
                meta.setdefault("author", author)
            headline = item.get("headline") or item.get("name")
            if isinstance(headline, str) and headline.strip():
                return norm(headline)
    return ""


def _ld_objects(data: object, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _ld_objects(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        yield from _ld_objects(data.get("@graph"), depth + 1)


def _ld_names(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return _ld_names(value.get("name"))
    if isinstance(value, list):
        return ", ".join(name for name in (_ld_names(v) for v in value[:5]) if name)
    return ""


def head_title(doc: Element, ld_title: str) -> str:
    """The article's title: an explicit or ``<h1>`` title that agrees with ``<title>``, else the first found."""
    title_tag = ""
    for element in doc.iter("title"):
        title_tag = text_of(element)
        break
    named = {
        (tag.get("name") or tag.get("property") or "").strip().lower(): norm(tag.get("content"))
        for tag in doc.iter("meta")
    }
    explicit = [named.get("articletitle", ""), named.get("og:title", ""), ld_title]
    headings = [text_of(h1) for h1 in doc.iter("h1")][:3]
    candidates = [c for c in (*explicit, *headings) if c]
    if title_tag:
        for candidate in candidates:
            if _agrees(candidate, title_tag):
                return candidate
    return next((c for c in explicit if c), "") or title_tag or (headings[0] if headings else "")


def _agrees(candidate: str, title_tag: str) -> bool:
    """``candidate`` is ``<title>``, or the part of it left when a site name is appended or prepended."""
    if candidate == title_tag or title_tag in candidate:
        return True
    if candidate not in title_tag:
        return False
    if title_tag.startswith(candidate):
        return len(candidate) * 10 >= len(title_tag) * 3
    return len(candidate) * 2 > len(title_tag)  # elsewhere in <title>: the longer part is the title


def head_language(doc: Element) -> str | None:
    """The language the page declares (``<html lang>`` or ``Content-Language``), or None."""
    declared = doc.get("lang") or doc.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not declared:
        for tag in doc.iter("meta"):
            if (tag.get("http-equiv") or "").lower() == "content-language":
                declared = tag.get("content")
                break
    value = (declared or "").strip().split(",")[0].strip()
    return value or None
