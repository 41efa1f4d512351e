"""The keys of page sources and of site extraction rules."""

from __future__ import annotations

import re

from feeds.config.table import REQUIRED, Table, check_positive, check_timezone
from feeds.models import ListRules, SiteRules, SourceKind
from feeds.selectors import compile_selector

PAGE_KEYS = ("links", "list_title", "list_date", "next_page", "page_pattern", "max_pages", "min_delay")
RULE_KEYS = ("title", "body", "date", "source", "author", "strip", "date_format", "timezone")
_DIRECTIVES = re.compile(r"%(.)")
DATE_DIRECTIVES = "YymdHMSbBzpIj%"  # what a date_format may use


def listing_rules(table: Table, source_id: str, kind: str) -> ListRules | None:
    """The list-page keys of a page source; None for other kinds (which may not set them)."""
    if kind != SourceKind.PAGE.value:
        for name in PAGE_KEYS:
            if name in table.data:
                raise table.error(name, f'source {source_id!r}: only a page source (kind = "page") takes {name}')
        return None
    if "links" not in table.data:
        raise table.error("links", f"source {source_id!r}: missing (a page source needs the selector of its links)")
    if "next_page" in table.data and "page_pattern" in table.data:
        raise table.error("page_pattern", f"source {source_id!r}: set next_page or page_pattern, not both")
    owner = f"source {source_id!r}"
    return ListRules(
        links=_selector(table, "links", owner) or "",
        title=_selector(table, "list_title", owner),
        date=_selector(table, "list_date", owner),
        next_page=_selector(table, "next_page", owner),
        page_pattern=table.get("page_pattern", str, None, check=_page_pattern),
        max_pages=table.get("max_pages", int, 3, check=check_positive),
        min_delay=read_seconds(table, "min_delay", 1.0),
    )


def site_rules(doc: Table) -> tuple[SiteRules, ...]:
    sites: list[SiteRules] = []
    for table in doc.tables("site"):
        host = table.get("host", str, REQUIRED, check=_host).lower()
        if any(site.host == host for site in sites):
            raise table.error("host", f"duplicate [[site]] for host {host!r}")
        sites.append(source_rules(table, None, host=host))
    return tuple(sites)


def source_rules(table: Table, source_id: str | None, *, host: str | None = None) -> SiteRules:
    """A ``[[site]]`` table (``host`` set) or a source's ``rules`` table."""
    table.only(*(("host", *RULE_KEYS) if host is not None else RULE_KEYS))
    owner = f"source {source_id!r}" if source_id is not None else f"site {host!r}"
    strip = table.get_list("strip", str, [])
    for index, expr in enumerate(strip):
        if problem := _selector_problem(expr):
            raise table.error(f"strip[{index}]", f"{owner}: {problem}")
    date_format = table.get("date_format", str, None, check=_date_format)
    return SiteRules(
        host=host,
        title=_selector(table, "title", owner),
        body=_selector(table, "body", owner),
        date=_selector(table, "date", owner),
        source=_selector(table, "source", owner),
        author=_selector(table, "author", owner),
        strip=tuple(strip),
        date_format=date_format,
        timezone=table.get("timezone", str, None, check=check_timezone),
    )


def _selector(table: Table, name: str, owner: str) -> str | None:
    """The CSS or XPath selector under ``name``, compiled to be sure it is one."""
    expr: str | None = table.get(name, str, None)
    if expr is not None and (problem := _selector_problem(expr)):
        raise table.error(name, f"{owner}: {problem}")
    return expr


def _selector_problem(expr: str) -> str | None:
    try:
        compile_selector(expr)
    except ValueError as exc:
        return str(exc)
    return None


def read_seconds(table: Table, name: str, default: float) -> float:
    value = table.data.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < 0 or value > 3600:
        raise table.error(name, f"expected seconds from 0 to 3600, got {value!r}")
    return float(value)


def _page_pattern(value: str) -> str | None:
    if "{n}" not in value and "{i}" not in value:
        return f"expected a URL pattern holding {{n}} (page 2, 3, …) or {{i}} (1, 2, …), got {value!r}"
    try:
        value.format(n=2, i=1)
    except (KeyError, IndexError, ValueError) as exc:
        return f"invalid URL pattern {value!r}: {exc}"
    return None


def _date_format(value: str) -> str | None:
    used = _DIRECTIVES.findall(value)
    if not used:
        return f"expected a strptime format such as '%Y-%m-%d %H:%M', got {value!r}"
    unknown = sorted({d for d in used if d not in DATE_DIRECTIVES})
    if unknown:
        return f"unsupported directive(s) {', '.join('%' + d for d in unknown)} in {value!r}"
    return None


def _host(value: str) -> str | None:
    if re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?", value):
        return None
    return f"expected a host name such as 'www.example.gov.cn', got {value!r}"
