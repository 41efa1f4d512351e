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

from feeds.config.load import config_dir_from, load_settings
from feeds.config.settings import (
    DEFAULT_CONFIG_DIR,
    LOG_LEVELS,
    SLUG_RE,
    DisclaimerRule,
    DisclaimerSettings,
    FetchSettings,
    LogSettings,
    RetentionSettings,
    ScheduleSettings,
    Settings,
)

__all__ = [
    "DEFAULT_CONFIG_DIR",
    "LOG_LEVELS",
    "SLUG_RE",
    "DisclaimerRule",
    "DisclaimerSettings",
    "FetchSettings",
    "LogSettings",
    "RetentionSettings",
    "ScheduleSettings",
    "Settings",
    "config_dir_from",
    "load_settings",
]
