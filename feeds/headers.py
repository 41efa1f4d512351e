"""The response headers the client acts on: Content-Type, Retry-After, Cache-Control max-age."""

from __future__ import annotations

import email.utils
import re
from datetime import UTC, datetime, timedelta

__all__ = ["content_type", "max_age", "retry_after"]

_MAX_AGE = re.compile(r"(?:^|[,\s])max-age\s*=\s*\"?(\d+)", re.IGNORECASE)


def content_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    media, _, params = value.partition(";")
    charset = None
    for param in params.split(";"):
        name, _, raw = param.partition("=")
        if name.strip().lower() == "charset":
            charset = raw.strip().strip("\"'") or None
    return media.strip().lower() or None, charset


def retry_after(value: str | None, now: datetime | None = None) -> datetime | None:
    if not value:
        return None
    value = value.strip()
    now = now or datetime.now(UTC)
    if value.isdigit():
        return now + timedelta(seconds=int(value))
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return when.astimezone(UTC) if when.tzinfo else when.replace(tzinfo=UTC)


def max_age(value: str | None) -> int | None:
    if not value or "no-store" in value.lower():
        return None
    match = _MAX_AGE.search(value)
    return int(match.group(1)) if match else None
