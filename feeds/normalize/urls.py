"""Canonical URLs: one spelling per page, so that ids and links compare equal.

Absolute against a base, scheme and host in lower case, the default port and
the fragment dropped, tracking parameters (``utm_*``, ``spm``, ``from``,
``fbclid``, …) removed, the other query parameters kept in their order and
spelling, an empty path written ``/``.
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import quote, unquote, urljoin, urlsplit, urlunsplit

from feeds.errors import ParseError

__all__ = ["TRACKING_PARAMS", "canonical_url"]

TRACKING_PARAMS = frozenset(
    {"spm", "from", "share_token", "fbclid", "gclid", "isappinstalled", "scene", "srcid"}
)
_TRACKING_PREFIXES = ("utm_",)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_HOST = re.compile(r"^[^\x00-\x20\x7f/?#@:\[\]\\<>\"'`{}|^%]+$")
# Characters a path or query may hold as they are; anything else is percent-encoded.
_PATH_SAFE = "/%:@!$&'()*+,;=-._~"
_QUERY_SAFE = "/?%:@!$&'()*+,;=-._~"


def canonical_url(url: str, base: str | None = None) -> str:
    """The canonical form of ``url`` (resolved against ``base`` when relative).

    Raises ``ParseError`` when the result is not a well-formed http(s) URL.
    """
    raw = url.strip() if isinstance(url, str) else ""
    if not raw:
        raise ParseError(f"normalize: empty URL {url!r}")
    raw = re.sub(r"[\t\n\r]", "", raw)
    try:
        absolute = urljoin(base.strip(), raw) if base else raw
        parts = urlsplit(absolute)
        port = parts.port
    except ValueError as exc:
        raise ParseError(f"normalize: malformed URL {url!r} ({exc})") from None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ParseError(f"normalize: not an http(s) URL: {url!r}")
    host = _host(parts.hostname or "")
    if host is None:
        raise ParseError(f"normalize: URL without a valid host: {url!r}")
    netloc = host
    if parts.username is not None or parts.password is not None:
        netloc = parts.netloc.rsplit("@", 1)[0] + "@" + host
    if port is not None and port != _DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    path = quote(parts.path, safe=_PATH_SAFE) or "/"
    query = _strip_tracking(parts.query)
    return urlunsplit((scheme, netloc, path, query, ""))


def _host(name: str) -> str | None:
    """The host as written in a canonical URL (IPv6 in brackets), or None when it is not a host name."""
    name = name.rstrip(".")
    if ":" in name:
        try:
            return f"[{ipaddress.IPv6Address(name).compressed}]"
        except ValueError:
            return None
    if not name or not _HOST.match(name):
        return None
    return name


def _strip_tracking(query: str) -> str:
    kept = []
    for pair in query.split("&"):
        if not pair:
            continue
        name = unquote(pair.split("=", 1)[0]).strip().lower()
        if name in TRACKING_PARAMS or name.startswith(_TRACKING_PREFIXES):
            continue
        kept.append(quote(pair, safe=_QUERY_SAFE))
    return "&".join(kept)
