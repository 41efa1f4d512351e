"""Reading TOML tables that know where they came from, and the checks of values."""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from feeds.config.settings import SLUG_RE
from feeds.errors import ConfigError


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError("file not found", file=str(path)) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML ({exc})", file=str(path)) from None


class Table:
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

    def table(self, name: str) -> Table:
        value = self.data.get(name, {})
        if not isinstance(value, dict):
            raise self.error(name, f"expected a table, got {_type_name(value)}")
        return Table(value, self.file, self.key(name))

    def tables(self, name: str) -> list[Table]:
        value = self.data.get(name, [])
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.error(name, f"expected an array of tables ([[{name}]]), got {_type_name(value)}")
        return [Table(v, self.file, f"{self.key(name)}[{i}]") for i, v in enumerate(value)]

    def get(
        self, name: str, kind: type, default: Any = None, *, check: Callable[[Any], str | None] | None = None
    ) -> Any:
        if name not in self.data:
            if default is REQUIRED:
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


REQUIRED = object()


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


def check_timezone(value: str) -> str | None:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        return f"unknown time zone {value!r} (expected an IANA name such as 'Asia/Shanghai')"
    return None


def check_database_url(value: str) -> str | None:
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", value):
        return f"expected a sqlite:/// or postgresql+psycopg:// URL, got {value!r}"
    return None


def check_http_url(value: str) -> str | None:
    if not re.match(r"^https?://[^/]+", value):
        return f"expected an http(s) URL, got {value!r}"
    return None


def check_port(value: int) -> str | None:
    return None if 0 <= value <= 65535 else f"expected a port number 0-65535, got {value}"


def check_token(value: str) -> str | None:
    if len(value) >= 16 and value.isascii() and value.isprintable() and " " not in value:
        return None
    return "expected at least 16 printable ASCII characters without spaces"


def check_header_value(value: str) -> str | None:
    return None if value.isascii() and value.isprintable() else f"expected printable ASCII, got {value!r}"


def check_positive(value: int) -> str | None:
    return None if value > 0 else f"expected a positive integer, got {value}"


def check_not_negative(value: int) -> str | None:
    return None if value >= 0 else f"expected zero or a positive integer, got {value}"


def check_network(value: str) -> str | None:
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"expected a network such as '127.0.0.0/8', got {value!r}"
    return None


def check_regex(value: str) -> str | None:
    try:
        re.compile(value)
    except re.error as exc:
        return f"invalid regular expression {value!r}: {exc}"
    return None


def check_one_of(allowed: tuple[str, ...]) -> Callable[[str], str | None]:
    def check(value: str) -> str | None:
        return None if value in allowed else f"expected one of {list(allowed)}, got {value!r}"

    return check


def check_slug(value: str) -> str | None:
    return None if SLUG_RE.match(value) else f"expected a slug of a-z, 0-9, '-', '_', got {value!r}"
