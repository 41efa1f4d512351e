"""Typed errors of every stage.

Each error carries a stable ``code`` (for logs, metrics and exit codes) and a
message that names the stage and what was wrong and where::

    FeedsError
    ├── ConfigError      config   a file, key or value of the configuration
    ├── FetchError       fetch    reading a source: file system or network
    ├── ParseError       parse    a document that cannot be read as what it claims
    ├── ExtractError     extract  a page with nothing that looks like an article
    ├── StoreError       store    the database
    └── PublishError     publish  writing the output tree

Stages raise these; they never return ``None`` for a failure.
"""

from __future__ import annotations


class FeedsError(Exception):
    """Base of every error the service raises on purpose."""

    code = "feeds"
    stage = "feeds"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return f"{self.stage}: {self.message}"


class ConfigError(FeedsError):
    """A configuration file is missing, malformed, or holds a wrong key or value."""

    code = "config"
    stage = "config"

    def __init__(self, message: str, *, file: str | None = None, key: str | None = None) -> None:
        where = ": ".join(part for part in (file, key) if part)
        super().__init__(f"{where}: {message}" if where else message)
        self.file = file
        self.key = key


class FetchError(FeedsError):
    """A source could not be read."""

    code = "fetch"
    stage = "fetch"


class ParseError(FeedsError):
    """A document could not be parsed as what it claims to be."""

    code = "parse"
    stage = "parse"


class ExtractError(FeedsError):
    """A page holds nothing that can be taken as an article."""

    code = "extract"
    stage = "extract"


class StoreError(FeedsError):
    """The database refused or failed an operation."""

    code = "store"
    stage = "store"


class PublishError(FeedsError):
    """The output tree could not be written."""

    code = "publish"
    stage = "publish"
