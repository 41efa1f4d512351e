"""CSS and XPath selectors of the configuration, compiled once.

A selector string is XPath when it starts with ``/``, ``./``, ``(`` or the
prefix ``xpath:``, and CSS otherwise (the prefix ``css:`` forces CSS). CSS is
translated to XPath by cssselect (through ``lxml.cssselect``), so both kinds
run as ``lxml.etree.XPath``. Applied to an element, a CSS selector searches
that element and its descendants; an XPath is evaluated with the element as
its context node, so ``.//span`` is relative and ``//span`` searches the page.

``compile_selector`` raises ``ValueError`` with the reason for a selector
that does not compile; the configuration turns it into a ``ConfigError``.
``select`` gives elements and strings (an XPath may select attributes or
text); ``text_of`` reads one result as text.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from cssselect import SelectorError
from lxml import etree
from lxml.cssselect import CSSSelector

__all__ = ["Selector", "compile_selector", "first_text", "select", "text_of"]

Element = Any  # lxml.html.HtmlElement; lxml ships no type information
_XPATH_START = ("/", "./", "(", "../")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Selector:
    expr: str  # as configured
    kind: str  # "css" or "xpath"
    xpath: etree.XPath


@functools.lru_cache(maxsize=1024)
def compile_selector(expr: str) -> Selector:
    """``expr`` compiled; ``ValueError`` naming the kind and the reason when it does not compile."""
    text = expr.strip()
    if not text:
        raise ValueError("empty selector")
    if text.startswith("xpath:") or (text.startswith(_XPATH_START) and not text.startswith("css:")):
        source = text.removeprefix("xpath:").strip()
        try:
            return Selector(expr, "xpath", etree.XPath(source))
        except etree.XPathError as exc:
            raise ValueError(f"invalid XPath {source!r}: {exc}") from None
    source = text.removeprefix("css:").strip()
    try:
        return Selector(expr, "css", CSSSelector(source))
    except (SelectorError, etree.XPathError) as exc:
        raise ValueError(f"invalid CSS selector {source!r}: {exc}") from None


def select(expr: str, node: Element) -> list[Element | str]:
    """What ``expr`` selects from ``node``: elements, and strings for attribute or text results."""
    result = compile_selector(expr).xpath(node)
    if not isinstance(result, list):  # a number, a boolean or a string
        return [str(result)] if isinstance(result, str) and result.strip() else []
    found: list[Element | str] = []
    for item in result:
        if isinstance(item, str):
            found.append(str(item))
        elif isinstance(getattr(item, "tag", None), str):  # an element, not a comment
            found.append(item)
    return found


def first_text(expr: str, node: Element) -> str:
    """The text of the first non-empty result of ``expr`` in ``node``, or ''."""
    return next((text for text in _texts(expr, node) if text), "")


def _texts(expr: str, node: Element) -> Iterator[str]:
    for item in select(expr, node):
        yield text_of(item)


def text_of(item: Element | str) -> str:
    """A result as one line of text: a ``<meta>`` element's ``content``, an element's text, or the string."""
    if isinstance(item, str):
        return _SPACE.sub(" ", item).strip()
    if item.tag == "meta":
        return _SPACE.sub(" ", item.get("content") or "").strip()
    return _SPACE.sub(" ", item.text_content() or "").strip()
