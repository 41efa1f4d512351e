"""The typed settings every stage is given."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from feeds.errors import ConfigError
from feeds.models import Category, SiteRules, Source

DEFAULT_CONFIG_DIR = Path(__file__).resolve().parent.parent.parent / "config"
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


LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True)
class LogSettings:
    level: str = "info"  # debug, info, warning or error
    format: str = "text"  # "text": key=value lines; "json": one JSON object a line


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
    log: LogSettings = field(default_factory=LogSettings)
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
