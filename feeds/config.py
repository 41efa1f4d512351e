"""Load and validate the configuration directory into typed ``Settings``.

The directory holds ``feeds.toml``, ``sources.toml``, ``categories.toml`` and
``disclaimers.toml``. Every file is read once; an unknown key, a value of the
wrong type or a missing file raises ``ConfigError`` naming the file and the
key. Settings are passed explicitly to the stages, never kept globally.

Relative paths (the SQLite database, the output directory, capture folders)
are resolved against one base: the *instance directory*, which is the parent
of the configuration directory. For the bundled ``config/`` that is the
project root.

Environment: ``FEEDS_CONFIG`` selects the directory (``--config`` wins over
it), ``FEEDS_DATABASE_URL`` overrides ``[database] url``.
"""

from __future__ import annotations

import ipaddress
import os
import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feeds.errors import ConfigError
from feeds.models import Category, ListRules, SiteRules, Source, SourceKind
from feeds.selectors import compile_selector

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parent.parent / "config"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


@dataclass(frozen=True)
class DisclaimerRule:
    kind: str
    pattern: str  # a regular expression, matched case-insensitively


@dataclass(frozen=True)
class DisclaimerSettings:
    rules: tuple[DisclaimerRule, ...]
    rights_template: str
    by_language: Mapping[str, str] = field(default_factory=dict)  # primary language subtag → template
    footer: bool = True


@dataclass(frozen=True)
class FetchSettings:
    allow_networks: tuple[str, ...] = ()
    connect_timeout: float = 10.0
    total_timeout: float = 30.0
    max_bytes: int = 15 * 1024 * 1024
    max_redirects: int = 5
    per_host: int = 2
    global_limit: int = 16
    min_delay: float = 0.0  # seconds between two requests to one host


@dataclass(frozen=True)
class ScheduleSettings:
    tick_seconds: int = 60  # how often due sources are looked for
    concurrency: int = 4  # sources ingested at once
    publish_delay_seconds: int = 10  # changes are published at most this often (debounce)
    prune_hours: int = 24  # how often the retention job runs


@dataclass(frozen=True)
class RetentionSettings:
    days: int = 0  # 0 keeps everything; see feeds.serve.jobs.prune
    archives: bool = True  # feeds link to RFC 5005 archive pages of older articles


@dataclass(frozen=True)
class Settings:
    config_dir: Path
    base_dir: Path
    database_url: str
    output_dir: Path
    base_url: str
    site_title: str
    websub_hub: str | None
    server_host: str
    server_port: int
    timezone: str
    items_per_feed: int
    fetch: FetchSettings
    sources: tuple[Source, ...]
    categories: tuple[Category, ...]
    disclaimers: DisclaimerSettings
    extra: Mapping[str, Any] = field(default_factory=dict)
    cache_control: str | None = "public, max-age=300"  # of served files; None sends no header
    admin_token: str | None = None  # enables POST /admin/refresh with "Authorization: Bearer <token>"
    schedule: ScheduleSettings = field(default_factory=ScheduleSettings)
    retention: RetentionSettings = field(default_factory=RetentionSettings)
    sites: tuple[SiteRules, ...] = ()  # [[site]] extraction rules by host

    @property
    def cycle_seconds(self) -> int:
        """Seconds between two ticks of the scheduler."""
        return self.schedule.tick_seconds

    @property
    def default_category(self) -> Category:
        for category in self.categories:
            if category.default:
                return category
        return self.categories[0]

    def rights_template(self, source: Source, language: str | None = None) -> str:
        """The rights template for an article of ``source`` in ``language``.

        The source's own, else its category's, else the one for the article's
        language (``[rights.language]``), else the global one.
        """
        if source.rights_template is not None:
            return source.rights_template
        for category in self.categories:
            if category.slug == source.category and category.rights_template is not None:
                return category.rights_template
        primary = (language or "").split("-")[0].lower()
        return self.disclaimers.by_language.get(primary, self.disclaimers.rights_template)

    def rules_for(self, source: Source, url: str | None) -> SiteRules | None:
        """The extraction rules for a page of ``source`` at ``url``: the source's own, over its host's.

        A ``[[site]]`` applies to its host and the host's subdomains; None when no rules apply.
        """
        host = (urlsplit(url).hostname or "").lower() if url else ""
        site = next((s for s in self.sites if s.host and (host == s.host or host.endswith("." + s.host))), None)
        if source.rules is not None:
            return source.rules.over(site)
        return site

    def source(self, source_id: str) -> Source:
        for source in self.sources:
            if source.id == source_id:
                return source
        raise ConfigError(f"no source with id {source_id!r}", file="sources.toml")


# --------------------------------------------------------------------------- reading


def config_dir_from(arg: str | os.PathLike[str] | None = None) -> Path:
    """The configuration directory: ``--config``, else ``FEEDS_CONFIG``, else the bundled one."""
    chosen = arg or os.environ.get("FEEDS_CONFIG")
    return Path(chosen).resolve() if chosen else DEFAULT_CONFIG_DIR


def load_settings(config_dir: str | os.PathLike[str] | None = None) -> Settings:
    directory = config_dir_from(config_dir)
    if not directory.is_dir():
        raise ConfigError("configuration directory not found", file=str(directory))
    base = directory.parent
    main = _Table(_read(directory / "feeds.toml"), "feeds.toml")
    sources_doc = _Table(_read(directory / "sources.toml"), "sources.toml")
    categories_doc = _Table(_read(directory / "categories.toml"), "categories.toml")
    disclaimers_doc = _Table(_read(directory / "disclaimers.toml"), "disclaimers.toml")

    main.only("database", "output", "server", "defaults", "fetch", "schedule", "retention")
    database = main.table("database")
    database.only("url")
    output = main.table("output")
    output.only("dir", "base_url", "title", "websub_hub")
    server = main.table("server")
    server.only("host", "port", "cache_control", "admin_token")
    defaults = main.table("defaults")
    defaults.only("timezone", "items_per_feed", "cycle_seconds")
    fetch = main.table("fetch")
    fetch.only(
        "allow_networks", "connect_timeout", "total_timeout", "max_bytes", "max_redirects", "per_host", "global_limit",
        "min_delay",
    )  # fmt: skip

    schedule = main.table("schedule")
    schedule.only("tick_seconds", "concurrency", "publish_delay_seconds", "prune_hours")
    retention = main.table("retention")
    retention.only("days", "archives")
    if "cycle_seconds" in defaults.data and "tick_seconds" in schedule.data:
        raise defaults.error("cycle_seconds", "set [schedule] tick_seconds only (cycle_seconds is its older name)")
    older = defaults.get("cycle_seconds", int, 60, check=_positive)
    tick_seconds = schedule.get("tick_seconds", int, older, check=_positive)

    timezone = defaults.get("timezone", str, "Asia/Shanghai", check=_timezone)
    database_url = os.environ.get("FEEDS_DATABASE_URL") or database.get(
        "url", str, "sqlite:///var/feeds.db", check=_database_url
    )
    base_url = output.get("base_url", str, "http://127.0.0.1:8080/", check=_http_url)
    if not base_url.endswith("/"):
        base_url += "/"

    categories = _categories(categories_doc)
    slugs = {c.slug for c in categories}
    sources = _sources(sources_doc, base, timezone, slugs)

    return Settings(
        config_dir=directory,
        base_dir=base,
        database_url=_resolve_sqlite(database_url, base),
        output_dir=_resolve(output.get("dir", str, "public"), base),
        base_url=base_url,
        site_title=output.get("title", str, "feeds"),
        websub_hub=output.get("websub_hub", str, None, check=_http_url),
        server_host=server.get("host", str, "127.0.0.1"),
        server_port=server.get("port", int, 8080, check=_port),
        cache_control=server.get("cache_control", str, "public, max-age=300", check=_header_value) or None,
        admin_token=server.get("admin_token", str, None, check=_token),
        timezone=timezone,
        items_per_feed=defaults.get("items_per_feed", int, 50, check=_positive),
        fetch=FetchSettings(
            allow_networks=tuple(fetch.get_list("allow_networks", str, [], check=_network)),
            connect_timeout=float(fetch.get("connect_timeout", int, 10, check=_positive)),
            total_timeout=float(fetch.get("total_timeout", int, 30, check=_positive)),
            max_bytes=fetch.get("max_bytes", int, 15 * 1024 * 1024, check=_positive),
            max_redirects=fetch.get("max_redirects", int, 5, check=_positive),
            per_host=fetch.get("per_host", int, 2, check=_positive),
            global_limit=fetch.get("global_limit", int, 16, check=_positive),
            min_delay=_seconds(fetch, "min_delay", 0.0),
        ),
        sources=sources,
        categories=categories,
        disclaimers=_disclaimers(disclaimers_doc),
        sites=_sites(sources_doc),
        schedule=ScheduleSettings(
            tick_seconds=tick_seconds,
            concurrency=schedule.get("concurrency", int, 4, check=_positive),
            publish_delay_seconds=schedule.get("publish_delay_seconds", int, 10, check=_not_negative),
            prune_hours=schedule.get("prune_hours", int, 24, check=_positive),
        ),
        retention=RetentionSettings(
            days=retention.get("days", int, 0, check=_not_negative),
            archives=retention.get("archives", bool, True),
        ),
    )


def _read(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError("file not found", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML ({exc})", file=str(path)) from None


class _Table:
    """A TOML table that knows where it came from, for error messages."""

    def __init__(self, data: Mapping[str, Any], file: str, path: str = "") -> None:
        self.data = data
        self.file = file
        self.path = path

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def error(self, name: str, message: str) -> ConfigError:
        return ConfigError(message, file=self.file, key=self.key(name))

    def only(self, *allowed: str) -> None:
        for name in self.data:
            if name not in allowed:
                raise self.error(name, f"unknown key (expected one of: {', '.join(allowed)})")

    def table(self, name: str) -> _Table:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise self.error(name, f"expected a table, got {_type_name(value)}")
        return _Table(value, self.file, self.key(name))

    def tables(self, name: str) -> list[_Table]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(name, f"expected an array of tables ([[{name}]]), got {_type_name(value)}")
        return [_Table(v, self.file, f"{self.key(name)}[{i}]") for i, v in enumerate(value)]

    def get(
        self, name: str, kind: type, default: Any = None, *, check: Callable[[Any], str | None] | None = None
    ) -> Any:
        if name not in self.data:
            if default is _REQUIRED:
                raise self.error(name, f"missing (expected {kind.__name__})")
            return default
        value = self.data[name]
        if not _is(value, kind):
            raise self.error(name, f"expected {_kind_name(kind)}, got {_type_name(value)} {value!r}")
        if check is not None and (problem := check(value)):
            raise self.error(name, problem)
        return value

    def get_list(
        self, name: str, kind: type, default: list[Any], *, check: Callable[[Any], str | None] | None = None
    ) -> list[Any]:
        value = self.data.get(name, default)
        if not isinstance(value, list) or not all(_is(v, kind) for v in value):
            raise self.error(name, f"expected a list of {_kind_name(kind)}, got {value!r}")
        for item in value:
            if check is not None and (problem := check(item)):
                raise self.error(name, problem)
        return value


_REQUIRED = object()


def _is(value: Any, kind: type) -> bool:
    if kind is int:
        return isinstance(value, int) and not isinstance(value, bool)
    return isinstance(value, kind)


def _kind_name(kind: type) -> str:
    return {str: "a string", int: "an integer", bool: "true or false"}.get(kind, kind.__name__)


def _type_name(value: Any) -> str:
    return {str: "string", int: "integer", bool: "boolean", float: "float", list: "array", dict: "table"}.get(
        type(value), type(value).__name__
    )


# --------------------------------------------------------------------------- checks


def _timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (expected an IANA name such as 'Asia/Shanghai')"
    return None


def _database_url(value: str) -> str | None:
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
        return f"expected a sqlite:/// or postgresql+psycopg:// URL, got {value!r}"
    return None


def _http_url(value: str) -> str | None:
    if not re.match(r"^https?://[^/]+", value):
        return f"expected an http(s) URL, got {value!r}"
    return None


def _port(value: int) -> str | None:
    return None if 0 <= value <= 65535 else f"expected a port number 0-65535, got {value}"


def _token(value: str) -> str | None:
    if len(value) >= 16 and value.isascii() and value.isprintable() and " " not in value:
        return None
    return "expected at least 16 printable ASCII characters without spaces"


def _header_value(value: str) -> str | None:
    return None if value.isascii() and value.isprintable() else f"expected printable ASCII, got {value!r}"


def _positive(value: int) -> str | None:
    return None if value > 0 else f"expected a positive integer, got {value}"


def _not_negative(value: int) -> str | None:
    return None if value >= 0 else f"expected zero or a positive integer, got {value}"


def _network(value: str) -> str | None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"expected a network such as '127.0.0.0/8', got {value!r}"
    return None


def _regex(value: str) -> str | None:
    try:
        re.compile(value)
    except re.error as exc:
        return f"invalid regular expression {value!r}: {exc}"
    return None


def _one_of(allowed: tuple[str, ...]) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in allowed else f"expected one of {list(allowed)}, got {value!r}"

    return check


def _slug(value: str) -> str | None:
    return None if SLUG_RE.match(value) else f"expected a slug of a-z, 0-9, '-', '_', got {value!r}"


# --------------------------------------------------------------------------- sections


def _categories(doc: _Table) -> tuple[Category, ...]:
    doc.only("category")
    categories: list[Category] = []
    for table in doc.tables("category"):
        table.only("slug", "title", "description", "default", "keywords", "patterns", "language", "rights", "icon")
        slug = table.get("slug", str, _REQUIRED, check=_slug)
        if slug == "all":
            raise table.error("slug", "'all' is reserved for the feed of every category")
        if any(c.slug == slug for c in categories):
            raise table.error("slug", f"duplicate category {slug!r}")
        categories.append(
            Category(
                slug=slug,
                title=table.get("title", str, slug),
                description=table.get("description", str, ""),
                default=table.get("default", bool, False),
                keywords=tuple(table.get_list("keywords", str, [])),
                patterns=tuple(table.get_list("patterns", str, [], check=_regex)),
                language=table.get("language", str, None),
                rights_template=table.get("rights", str, None),
                icon=table.get("icon", str, None, check=_http_url),
            )
        )
    if not categories:
        raise ConfigError("at least one [[category]] is required", file=doc.file, key="category")
    if sum(c.default for c in categories) > 1:
        raise ConfigError("only one category may have default = true", file=doc.file, key="category")
    return tuple(categories)


def _sources(doc: _Table, base: Path, timezone: str, slugs: set[str]) -> tuple[Source, ...]:
    doc.only("source", "site")
    sources: list[Source] = []
    for table in doc.tables("source"):
        table.only(
            "id", "kind", "name", "path", "url", "category", "timezone", "language", "enabled", "rights",
            "interval_minutes", "min_interval_minutes", "max_interval_minutes", "full_text", "adaptive",
            "link", *PAGE_KEYS, "rules",
        )  # fmt: skip
        source_id = table.get("id", str, _REQUIRED, check=_slug)
        if any(s.id == source_id for s in sources):
            raise table.error("id", f"duplicate source id {source_id!r}")
        kind = table.get("kind", str, _REQUIRED, check=_one_of(tuple(k.value for k in SourceKind)))
        category = table.get("category", str, _REQUIRED)
        if category not in slugs:
            raise table.error("category", f"unknown category {category!r} (defined: {', '.join(sorted(slugs))})")
        path = table.get("path", str, None)
        url = table.get("url", str, None)
        if kind == SourceKind.CAPTURE.value and path is None:
            raise table.error("path", "missing (a capture source needs the folder to watch)")
        if kind == SourceKind.FEED.value and url is None and path is None:
            raise table.error("url", "missing (a feed source needs a URL, or a path to a local feed file)")
        if kind == SourceKind.PAGE.value and url is None:
            raise table.error("url", "missing (a page source needs the URL of its list page)")
        if url is not None and (problem := _http_url(url)):
            raise table.error("url", problem)
        sources.append(
            Source(
                id=source_id,
                kind=SourceKind(kind),
                category=category,
                name=table.get("name", str, ""),
                path=_resolve(path, base) if path is not None else None,
                url=url,
                timezone=table.get("timezone", str, timezone, check=_timezone),
                language=table.get("language", str, None),
                enabled=table.get("enabled", bool, True),
                rights_template=table.get("rights", str, None),
                interval_minutes=table.get("interval_minutes", int, 30, check=_positive),
                min_interval_minutes=table.get("min_interval_minutes", int, 5, check=_positive),
                max_interval_minutes=table.get("max_interval_minutes", int, 1440, check=_positive),
                full_text=table.get("full_text", bool, False),
                adaptive=table.get("adaptive", bool, False),
                link_preference=table.get("link", str, "original", check=_one_of(LINK_PREFERENCES)),
                listing=_listing(table, source_id, kind),
                rules=_rules(table.table("rules"), source_id) if "rules" in table.data else None,
            )
        )
        last = sources[-1]
        if not last.min_interval_minutes <= last.interval_minutes <= last.max_interval_minutes:
            raise table.error(
                "interval_minutes",
                f"expected min_interval_minutes ({last.min_interval_minutes}) <= interval_minutes "
                f"({last.interval_minutes}) <= max_interval_minutes ({last.max_interval_minutes})",
            )
    return tuple(sources)


LINK_PREFERENCES = ("original", "reprint")
KINDS = ("reprint-notice", "copyright", "takedown", "liability")


def _disclaimers(doc: _Table) -> DisclaimerSettings:
    doc.only("rights", "rule")
    rights = doc.table("rights")
    rights.only("template", "footer", "language")
    by_language = rights.table("language")
    rules = []
    for table in doc.tables("rule"):
        table.only("kind", "pattern")
        kind = table.get("kind", str, _REQUIRED, check=_one_of(KINDS))
        rules.append(DisclaimerRule(kind=kind, pattern=table.get("pattern", str, _REQUIRED, check=_regex)))
    return DisclaimerSettings(
        rules=tuple(rules),
        rights_template=rights.get("template", str, "© {source_name}. Original: {origin_url}"),
        footer=rights.get("footer", bool, True),
        by_language={code.lower(): by_language.get(code, str) for code in by_language.data},
    )


def _resolve(value: str, base: Path) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (base / path).resolve()


def _resolve_sqlite(url: str, base: Path) -> str:
    """``sqlite:///relative.db`` is resolved against the instance directory."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str(_resolve(url[len(prefix) :], base))
    return url


# --------------------------------------------------------------------------- page sources and site rules

PAGE_KEYS = ("links", "list_title", "list_date", "next_page", "page_pattern", "max_pages", "min_delay")
RULE_KEYS = ("title", "body", "date", "source", "author", "strip", "date_format", "timezone")
_DIRECTIVES = re.compile(r"%(.)")
DATE_DIRECTIVES = "YymdHMSbBzpIj%"  # what a date_format may use


def _listing(table: _Table, source_id: str, kind: str) -> ListRules | None:
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
        max_pages=table.get("max_pages", int, 3, check=_positive),
        min_delay=_seconds(table, "min_delay", 1.0),
    )


def _sites(doc: _Table) -> tuple[SiteRules, ...]:
    sites: list[SiteRules] = []
    for table in doc.tables("site"):
        host = table.get("host", str, _REQUIRED, check=_host).lower()
        if any(site.host == host for site in sites):
            raise table.error("host", f"duplicate [[site]] for host {host!r}")
        sites.append(_rules(table, None, host=host))
    return tuple(sites)


def _rules(table: _Table, source_id: str | None, *, host: str | None = None) -> SiteRules:
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
        timezone=table.get("timezone", str, None, check=_timezone),
    )


def _selector(table: _Table, name: str, owner: str) -> str | None:
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


def _seconds(table: _Table, name: str, default: float) -> float:
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
