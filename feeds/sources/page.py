"""Page source: a site's list page to the URLs of its articles.

``parse_list`` reads one list page (its bytes, URL and transport charset) with
the source's ``ListRules``: every element the ``links`` selector finds is one
article (an ``<a href>``, or the first one inside the element); its title and
date shown on the list are read with ``title`` and ``date`` inside that
element. Links are made absolute and canonical (``feeds.normalize.urls``),
non-http(s) links (``javascript:``, ``mailto:``, ``#``) and links to the list
page itself are dropped, and a URL listed twice is kept once, in the order of
the page.

The next list page is the link the ``next_page`` selector finds, or the
``page_pattern`` filled in for the next number and resolved against the first
list page: ``{n}`` is the page number (2, 3, …) and ``{i}`` the number less one
(1, 2, …; the ``index_1.html`` of TRS sites). ``max_pages`` bounds the pages
read; a next URL already read ends the walk. Nothing is fetched here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from lxml import etree
from lxml import html as lxml_html

from feeds.errors import ParseError
from feeds.extract.encoding import decode
from feeds.models import ListRules
from feeds.normalize.urls import canonical_url
from feeds.selectors import first_text, select, text_of

__all__ = ["ListLink", "ListPage", "next_page_url", "parse_list"]

Element = Any  # lxml.html.HtmlElement
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")


@dataclass(frozen=True)
class ListLink:
    url: str  # absolute and canonical
    title: str = ""  # as shown on the list, or ''
    date: str = ""  # as shown on the list (raw text), or ''


@dataclass(frozen=True)
class ListPage:
    url: str
    links: tuple[ListLink, ...]
    next_url: str | None  # the next list page, when the rules name one and the page limit allows it


def parse_list(
    content: bytes, url: str, charset: str | None, rules: ListRules, *, page: int = 1, visited: tuple[str, ...] = ()
) -> ListPage:
    """The article links of list page number ``page`` at ``url``, and the next list page.

    ``visited`` holds the list pages already read in this walk (the first one's
    URL first), so a next link that leads back ends it. Raises ``ParseError``
    when the bytes are not an HTML page.
    """
    doc = _document(content, url, charset)
    links: list[ListLink] = []
    seen: set[str] = {_canonical(url)}  # a link to the list page itself is none
    for item in select(rules.links, doc):
        href = _href(item)
        if not href or href.startswith("#"):
            continue
        try:
            absolute = canonical_url(href, url)
        except ParseError:
            continue
        if absolute in seen:
            continue
        seen.add(absolute)
        title = first_text(rules.title, item) if rules.title and not isinstance(item, str) else ""
        if not title and not isinstance(item, str):
            title = text_of(item)
        date = first_text(rules.date, item) if rules.date and not isinstance(item, str) else ""
        links.append(ListLink(url=absolute, title=title, date=date))
    first = visited[0] if visited else url
    next_url = _next(doc, url, first, rules, page, (*visited, url)) if page < rules.max_pages else None
    return ListPage(url=url, links=tuple(links), next_url=next_url)


def next_page_url(pattern: str, first_url: str, page: int) -> str:
    """List page number ``page`` (2, 3, …) by ``pattern``, resolved against the first list page."""
    return canonical_url(pattern.format(n=page, i=page - 1), first_url)


def _document(content: bytes, url: str, charset: str | None) -> Element:
    text = _XML_DECLARATION.sub("", decode(content, charset), count=1)
    try:
        doc = lxml_html.document_fromstring(text)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(f"page: the list page {url} is not readable as HTML: {exc}") from None
    return doc


def _href(item: Element | str) -> str:
    if isinstance(item, str):
        return item.strip()
    anchor = item if item.tag == "a" and item.get("href") else next(iter(item.iterfind(".//a[@href]")), None)
    return (anchor.get("href") or "").strip() if anchor is not None else ""


def _next(doc: Element, url: str, first: str, rules: ListRules, page: int, visited: tuple[str, ...]) -> str | None:
    candidate: str | None = None
    if rules.page_pattern:
        try:
            candidate = next_page_url(rules.page_pattern, first, page + 1)
        except ParseError:
            return None
    elif rules.next_page:
        for item in select(rules.next_page, doc):
            href = _href(item)
            if href:
                try:
                    candidate = canonical_url(href, url)
                except ParseError:
                    continue
                break
    if candidate is None or candidate in {_canonical(v) for v in visited}:
        return None
    return candidate


def _canonical(url: str) -> str:
    try:
        return canonical_url(url)
    except ParseError:
        return url
