"""Per-site extraction rules: what the configuration says a site's pages hold.

``read_rules`` runs on a parsed page before the generic extractor drops its
furniture: the ``strip`` selectors' elements are removed, then the ``title``,
``date``, ``source`` and ``author`` selectors are read (a ``<meta>`` element
gives its ``content``, an element its text, an XPath string result itself) and
the ``body`` selector names the element the blocks are read from. A field
whose selector is unset or finds nothing is left to the generic extractor.

``rule_date`` reads a date text with the rules' ``date_format`` (strptime
directives, found anywhere in the text, so ``发布时间:2024年4月12日`` matches
``%Y年%m月%d日``) and writes it in ISO 8601; a date without an offset gets the
rules' ``timezone`` when they name one, and is otherwise left zone-less for the
normalizer to read in the source's zone.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from feeds.models import SiteRules
from feeds.selectors import first_text, select

__all__ = ["RuleFields", "read_rules", "rule_date"]

Element = Any  # lxml.html.HtmlElement

_DIRECTIVE_PATTERNS = {
    "Y": r"\d{4}", "y": r"\d{2}", "m": r"\d{1,2}", "d": r"\d{1,2}", "H": r"\d{1,2}", "I": r"\d{1,2}",
    "M": r"\d{1,2}", "S": r"\d{1,2}", "j": r"\d{1,3}", "b": r"[A-Za-z]+", "B": r"[A-Za-z]+", "p": r"[AaPp][Mm]",
    "z": r"(?:Z|[+-]\d{2}:?\d{2})", "%": "%",
}  # fmt: skip
_TOKEN = re.compile(r"%(.)|(\s+)|(.)", re.DOTALL)


@dataclass
class RuleFields:
    """What the rules read off a page; empty fields are the generic extractor's."""

    title: str = ""
    body: Element | None = None
    meta: dict[str, str] = field(default_factory=dict)


def read_rules(doc: Element, rules: SiteRules) -> RuleFields:
    """Apply ``rules`` to ``doc``: strip what they strip, read what they select."""
    for expr in rules.strip:
        for item in select(expr, doc):
            if not isinstance(item, str) and item.getparent() is not None:
                item.drop_tree()
    found = RuleFields()
    if rules.title:
        found.title = first_text(rules.title, doc)
    for key, selector in (("published", rules.date), ("source", rules.source), ("author", rules.author)):
        if selector and (value := first_text(selector, doc)):
            found.meta[key] = value
    if "published" in found.meta:
        found.meta["published"] = rule_date(found.meta["published"], rules)
    if rules.body:
        found.body = next((item for item in select(rules.body, doc) if not isinstance(item, str)), None)
    return found


def rule_date(text: str, rules: SiteRules) -> str:
    """``text`` read with ``rules.date_format`` as ISO 8601, or ``text`` as it is when the format does not match."""
    if not rules.date_format:
        return text
    value, date_format = unicodedata.normalize("NFKC", text), unicodedata.normalize("NFKC", rules.date_format)
    match = _pattern(date_format).search(value)
    if match is None:
        return text
    try:
        when = datetime.strptime(re.sub(r"\s+", " ", match.group(0)), re.sub(r"\s+", " ", date_format))
    except ValueError:
        return text
    written = when.strftime("%Y-%m-%d")
    if re.search(r"%[HI]", date_format) is None:
        return written  # a day: read in the source's zone (or the rules', see feeds.serve.jobs)
    written += when.strftime(" %H:%M:%S" if "%S" in date_format else " %H:%M")
    if when.tzinfo is None and rules.timezone:
        when = when.replace(tzinfo=ZoneInfo(rules.timezone))
    offset = when.strftime("%z")
    return f"{written}{offset[:3]}:{offset[3:5]}" if offset else written


def _pattern(date_format: str) -> re.Pattern[str]:
    parts: list[str] = []
    for directive, space, char in _TOKEN.findall(unicodedata.normalize("NFKC", date_format)):
        if directive:
            parts.append(_DIRECTIVE_PATTERNS.get(directive, re.escape("%" + directive)))
        elif space:
            parts.append(r"\s+")
        else:
            parts.append(re.escape(char))
    return re.compile("".join(parts))
