"""Reading the configuration directory into ``Settings``."""

from __future__ import annotations

import os
from pathlib import Path

from feeds.config.pages import PAGE_KEYS, listing_rules, read_seconds, site_rules, source_rules
from feeds.config.settings import (
    DEFAULT_CONFIG_DIR,
    LOG_LEVELS,
    DisclaimerRule,
    DisclaimerSettings,
    FetchSettings,
    LogSettings,
    RetentionSettings,
    ScheduleSettings,
    Settings,
)
from feeds.config.table import (
    REQUIRED,
    Table,
    check_database_url,
    check_header_value,
    check_http_url,
    check_network,
    check_not_negative,
    check_one_of,
    check_port,
    check_positive,
    check_regex,
    check_slug,
    check_timezone,
    check_token,
    read_toml,
)
from feeds.errors import ConfigError
from feeds.models import Category, Source, SourceKind


def config_dir_from(arg: str | os.PathLike[str] | None = None) -> Path:
    """The configuration directory: ``--config``, else ``FEEDS_CONFIG``, else the bundled one."""
    chosen = arg or os.environ.get("FEEDS_CONFIG")
    return Path(chosen).resolve() if chosen else DEFAULT_CONFIG_DIR


def load_settings(config_dir: str | os.PathLike[str] | None = None) -> Settings:
    directory = config_dir_from(config_dir)
    if not directory.is_dir():
        raise ConfigError("configuration directory not found", file=str(directory))
    base = directory.parent
    main = Table(read_toml(directory / "feeds.toml"), "feeds.toml")
    sources_doc = Table(read_toml(directory / "sources.toml"), "sources.toml")
    categories_doc = Table(read_toml(directory / "categories.toml"), "categories.toml")
    disclaimers_doc = Table(read_toml(directory / "disclaimers.toml"), "disclaimers.toml")

    main.only("database", "output", "server", "defaults", "fetch", "schedule", "retention", "log")
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
    log = main.table("log")
    log.only("level", "format")
    if "cycle_seconds" in defaults.data and "tick_seconds" in schedule.data:
        raise defaults.error("cycle_seconds", "set [schedule] tick_seconds only (cycle_seconds is its older name)")
    older = defaults.get("cycle_seconds", int, 60, check=check_positive)
    tick_seconds = schedule.get("tick_seconds", int, older, check=check_positive)

    timezone = defaults.get("timezone", str, "Asia/Shanghai", check=check_timezone)
    database_url = os.environ.get("FEEDS_DATABASE_URL") or database.get(
        "url", str, "sqlite:///var/feeds.db", check=check_database_url
    )
    base_url = output.get("base_url", str, "http://127.0.0.1:8080/", check=check_http_url)
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
        websub_hub=output.get("websub_hub", str, None, check=check_http_url),
        server_host=server.get("host", str, "127.0.0.1"),
        server_port=server.get("port", int, 8080, check=check_port),
        cache_control=server.get("cache_control", str, "public, max-age=300", check=check_header_value) or None,
        admin_token=server.get("admin_token", str, None, check=check_token),
        timezone=timezone,
        items_per_feed=defaults.get("items_per_feed", int, 50, check=check_positive),
        fetch=FetchSettings(
            allow_networks=tuple(fetch.get_list("allow_networks", str, [], check=check_network)),
            connect_timeout=float(fetch.get("connect_timeout", int, 10, check=check_positive)),
            total_timeout=float(fetch.get("total_timeout", int, 30, check=check_positive)),
            max_bytes=fetch.get("max_bytes", int, 15 * 1024 * 1024, check=check_positive),
            max_redirects=fetch.get("max_redirects", int, 5, check=check_positive),
            per_host=fetch.get("per_host", int, 2, check=check_positive),
            global_limit=fetch.get("global_limit", int, 16, check=check_positive),
            min_delay=read_seconds(fetch, "min_delay", 0.0),
        ),
        sources=sources,
        categories=categories,
        disclaimers=_disclaimers(disclaimers_doc),
        sites=site_rules(sources_doc),
        schedule=ScheduleSettings(
            tick_seconds=tick_seconds,
            concurrency=schedule.get("concurrency", int, 4, check=check_positive),
            publish_delay_seconds=schedule.get("publish_delay_seconds", int, 10, check=check_not_negative),
            prune_hours=schedule.get("prune_hours", int, 24, check=check_positive),
        ),
        retention=RetentionSettings(
            days=retention.get("days", int, 0, check=check_not_negative),
            archives=retention.get("archives", bool, True),
        ),
        log=LogSettings(
            level=log.get("level", str, "info", check=check_one_of(LOG_LEVELS)),
            format=log.get("format", str, "text", check=check_one_of(("text", "json"))),
        ),
    )


# --------------------------------------------------------------------------- sections


def _categories(doc: Table) -> tuple[Category, ...]:
    doc.only("category")
    categories: list[Category] = []
    for table in doc.tables("category"):
        table.only("slug", "title", "description", "default", "keywords", "patterns", "language", "rights", "icon")
        slug = table.get("slug", str, REQUIRED, check=check_slug)
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
                patterns=tuple(table.get_list("patterns", str, [], check=check_regex)),
                language=table.get("language", str, None),
                rights_template=table.get("rights", str, None),
                icon=table.get("icon", str, None, check=check_http_url),
            )
        )
    if not categories:
        raise ConfigError("at least one [[category]] is required", file=doc.file, key="category")
    if sum(c.default for c in categories) > 1:
        raise ConfigError("only one category may have default = true", file=doc.file, key="category")
    return tuple(categories)


def _sources(doc: Table, base: Path, timezone: str, slugs: set[str]) -> tuple[Source, ...]:
    doc.only("source", "site")
    sources: list[Source] = []
    for table in doc.tables("source"):
        table.only(
            "id", "kind", "name", "path", "url", "category", "timezone", "language", "enabled", "rights",
            "interval_minutes", "min_interval_minutes", "max_interval_minutes", "full_text", "adaptive",
            "link", *PAGE_KEYS, "rules",
        )  # fmt: skip
        source_id = table.get("id", str, REQUIRED, check=check_slug)
        if any(s.id == source_id for s in sources):
            raise table.error("id", f"duplicate source id {source_id!r}")
        kind = table.get("kind", str, REQUIRED, check=check_one_of(tuple(k.value for k in SourceKind)))
        category = table.get("category", str, REQUIRED)
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
        if url is not None and (problem := check_http_url(url)):
            raise table.error("url", problem)
        sources.append(
            Source(
                id=source_id,
                kind=SourceKind(kind),
                category=category,
                name=table.get("name", str, ""),
                path=_resolve(path, base) if path is not None else None,
                url=url,
                timezone=table.get("timezone", str, timezone, check=check_timezone),
                language=table.get("language", str, None),
                enabled=table.get("enabled", bool, True),
                rights_template=table.get("rights", str, None),
                interval_minutes=table.get("interval_minutes", int, 30, check=check_positive),
                min_interval_minutes=table.get("min_interval_minutes", int, 5, check=check_positive),
                max_interval_minutes=table.get("max_interval_minutes", int, 1440, check=check_positive),
                full_text=table.get("full_text", bool, False),
                adaptive=table.get("adaptive", bool, False),
                link_preference=table.get("link", str, "original", check=check_one_of(LINK_PREFERENCES)),
                listing=listing_rules(table, source_id, kind),
                rules=source_rules(table.table("rules"), source_id) if "rules" in table.data else None,
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


def _disclaimers(doc: Table) -> DisclaimerSettings:
    doc.only("rights", "rule")
    rights = doc.table("rights")
    rights.only("template", "footer", "language")
    by_language = rights.table("language")
    rules = []
    for table in doc.tables("rule"):
        table.only("kind", "pattern")
        kind = table.get("kind", str, REQUIRED, check=check_one_of(KINDS))
        rules.append(DisclaimerRule(kind=kind, pattern=table.get("pattern", str, REQUIRED, check=check_regex)))
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
