"""Reprint disclaimers, copyright notices and takedown requests found in article bodies.

``split_disclaimer`` takes every block matching one of the configured rules out
of the body and keeps the first as the article's ``Disclaimer``. A long block
(a real paragraph that merely ends with a notice) is taken only when the rule
matches at its very start. ``rights_text`` renders the normalized rights
statement from the configured template, leaving out the clauses whose values
are unknown.
"""

from __future__ import annotations

import re
import string
from functools import lru_cache

from feeds.config import DisclaimerRule
from feeds.errors import ConfigError
from feeds.models import Block, Disclaimer
from feeds.normalize.text import clean_text

__all__ = ["rights_text", "split_disclaimer"]

LONG_BLOCK = 300  # characters; a disclaimer is rarely longer than this
HEAD = 12  # in a long block, a match must start within this many characters


def split_disclaimer(
    blocks: tuple[Block, ...], rules: tuple[DisclaimerRule, ...]
) -> tuple[tuple[Block, ...], Disclaimer | None]:
    """The blocks without disclaimers, and the first disclaimer found (kind from the first rule it matches)."""
    compiled = _compile(rules)
    body: list[Block] = []
    first: Disclaimer | None = None
    for block in blocks:
        text = clean_text(block.text)
        kind = _kind(text, compiled)
        if kind is None:
            body.append(block)
            continue
        if first is None:
            first = Disclaimer(kind=kind, text=text)
    return tuple(body), first


def _kind(text: str, rules: tuple[tuple[str, re.Pattern[str]], ...]) -> str | None:
    if not text:
        return None
    for kind, pattern in rules:
        match = pattern.search(text)
        if match is None:
            continue
        if len(text) <= LONG_BLOCK or match.start() <= HEAD:
            return kind
    return None


@lru_cache(maxsize=16)
def _compile(rules: tuple[DisclaimerRule, ...]) -> tuple[tuple[str, re.Pattern[str]], ...]:
    compiled = []
    for index, rule in enumerate(rules):
        try:
            compiled.append((rule.kind, re.compile(rule.pattern, re.IGNORECASE)))
        except re.error as exc:
            raise ConfigError(f"invalid regular expression ({exc})", file="disclaimers.toml",
                              key=f"rule[{index}].pattern") from None
    return tuple(compiled)


def rights_text(template: str, *, source_name: str | None, origin_url: str | None, title: str | None) -> str:
    """The rights statement: ``template`` with its placeholders filled in.

    A clause (text up to a comma, full stop or semicolon) whose placeholder has no
    value is left out, so an unknown origin leaves no dangling ``原文:``. Returns
    an empty string when nothing is left.
    """
    values = {
        "source_name": (source_name or "").strip(),
        "origin_url": (origin_url or "").strip(),
        "title": (title or "").strip(),
    }
    formatter = string.Formatter()
    kept: list[str] = []
    for clause in _CLAUSE.findall(template):
        try:
            pieces = list(formatter.parse(clause))
        except ValueError as exc:
            raise ConfigError(f"malformed template ({exc})", file="disclaimers.toml", key="rights.template") from None
        out: list[str] = []
        complete = True
        for literal, name, _spec, _conversion in pieces:
            out.append(literal)
            if name is None:
                continue
            value = values.get(name, "")
            if not value:
                complete = False
                break
            out.append(value)
        if complete:
            kept.append("".join(out))
    text = "".join(kept).strip()
    text = re.sub(r"[\s,，;；:：、]+$", "", text)
    return text[:1].upper() + text[1:]  # a sentence whose first clause was dropped still starts a sentence


# A clause of a template: up to and including its punctuation. "{" … "}" never splits.
_CLAUSE = re.compile(r"(?:\{[^{}]*\}|[^,，。;；!！?？.{}]|\{\{|\}\})+(?:[,，。;；!！?？]+|\.(?=\s|$))?\s*|[^\s]")
