"""Categories of an article: one feed per category.

An article goes to every configured category whose keywords (substrings) or
patterns (regular expressions) match its title or body, or whose slug or title
an upstream feed named; when none does, to its source's category. The result
follows the configuration's order.
"""

from __future__ import annotations

import re
from functools import lru_cache

from feeds.errors import ConfigError
from feeds.models import Category, Source

__all__ = ["categorize"]


def categorize(
    title: str,
    text: str,
    source: Source,
    categories: tuple[Category, ...],
    upstream: tuple[str, ...] = (),
) -> tuple[str, ...]:
    """The slugs of the categories the article belongs to, in configuration order; never empty."""
    haystacks = (title.casefold(), text.casefold())
    named = {name.strip().casefold() for name in upstream if name.strip()}
    found: list[str] = []
    for category in categories:
        if _matches(category, haystacks, named, title, text):
            found.append(category.slug)
    return tuple(found) if found else (source.category,)


def _matches(category: Category, haystacks: tuple[str, str], named: set[str], title: str, text: str) -> bool:
    if category.slug.casefold() in named or category.title.strip().casefold() in named:
        return True
    for keyword in category.keywords:
        needle = keyword.casefold()
        if needle and any(needle in haystack for haystack in haystacks):
            return True
    return any(pattern.search(title) or pattern.search(text) for pattern in _patterns(category.slug, category.patterns))


@lru_cache(maxsize=256)
def _patterns(slug: str, patterns: tuple[str, ...]) -> tuple[re.Pattern[str], ...]:
    compiled = []
    for index, pattern in enumerate(patterns):
        try:
            compiled.append(re.compile(pattern, re.IGNORECASE))
        except re.error as exc:
            raise ConfigError(f"invalid regular expression ({exc})", file="categories.toml",
                              key=f"category {slug!r} patterns[{index}]") from None
    return tuple(compiled)
