"""The running service's configuration, read again when its files change.

``ConfigWatch.changed()`` compares the configuration files' size, mtime and
inode with what it saw last (an edit, or ``run.py sources add`` renaming a new
file into place, changes them) and, when they changed or a reload was asked
for (SIGHUP), loads the directory again. A configuration that does not load
is logged with the file and key at fault, and the service goes on with the
one it has. Sources, categories, disclaimers, site rules, fetch limits and
the output's titles take effect at once; the keys the running process was
built around (``RESTART_KEYS``: database, output directory, server, WebSub
hub, schedule, retention, logging) keep their old values until a restart,
and a warning names the ones that changed.
"""

from __future__ import annotations

import logging
import os
import threading
from dataclasses import replace

from feeds.config import Settings, load_settings
from feeds.errors import ConfigError

log = logging.getLogger(__name__)

FILES = ("feeds.toml", "sources.toml", "categories.toml", "disclaimers.toml")
RESTART_KEYS = (
    "database_url", "output_dir", "server_host", "server_port", "cache_control", "admin_token", "websub_hub",
    "schedule", "retention", "log",
)  # fmt: skip

Stamp = tuple[tuple[int, int, int] | None, ...]


class ConfigWatch:
    """The service's settings, reloaded from their directory when its files change or ``ask()`` was called."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._stamp = self._read_stamp()
        self._asked = threading.Event()

    def ask(self) -> None:
        """Reload at the next ``changed()`` even if no file seems to have changed (SIGHUP)."""
        self._asked.set()

    def changed(self) -> Settings | None:
        """The new settings when the configuration changed and loads, else None."""
        stamp = self._read_stamp()
        asked = self._asked.is_set()
        if stamp == self._stamp and not asked:
            return None
        self._asked.clear()
        self._stamp = stamp
        try:
            new = load_settings(self.settings.config_dir)
        except ConfigError as exc:
            log.error("configuration not reloaded, the service goes on with the last one", extra={"error": str(exc)})
            return None
        kept = [key for key in RESTART_KEYS if getattr(new, key) != getattr(self.settings, key)]
        if kept:
            log.warning("configuration keys that take effect at the next restart", extra={"keys": ",".join(kept)})
            new = replace(new, **{key: getattr(self.settings, key) for key in kept})
        if new == self.settings:
            return None
        log.info("configuration reloaded", extra={"sources": len(new.sources), "categories": len(new.categories)})
        self.settings = new
        return new

    def _read_stamp(self) -> Stamp:
        stamps: list[tuple[int, int, int] | None] = []
        for name in FILES:
            try:
                found = os.stat(self.settings.config_dir / name)
            except OSError:
                stamps.append(None)
            else:
                stamps.append((found.st_mtime_ns, found.st_size, found.st_ino))
        return tuple(stamps)
