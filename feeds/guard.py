"""The address guard: which hosts the service may connect to, and the address it connects to.

A URL's host is resolved and every address checked: private, loopback,
link-local, multicast, reserved and unspecified addresses are refused unless
inside an allowed network (``[fetch] allow_networks``). ``pin`` aims the
request at an address that passed, with the URL's Host header and TLS server
name, so a second DNS answer cannot point the connection elsewhere.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Sequence
from urllib.parse import urlsplit

from feeds.errors import FetchError

__all__ = ["check_address", "pin"]

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def pin(url: str, allow: Sequence[str | IPNetwork] = ()) -> tuple[str, str, str | None]:
    """``url`` aimed at a checked address of its host, the Host header, and the TLS server name.

    Raises ``FetchError`` for a URL that is not http or https, has no host, or
    whose host resolves only to addresses ``check_address`` refuses.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise FetchError(f"invalid URL {url!r}: {exc}") from exc
    if parts.scheme not in ("http", "https"):
        raise FetchError(f"{url}: only http and https URLs are fetched, not {parts.scheme or 'a bare path'!r}")
    host = parts.hostname
    if not host:
        raise FetchError(f"{url}: the URL has no host")
    port = port or (443 if parts.scheme == "https" else 80)
    refused: list[str] = []
    for address in _resolve(host, port):
        reason = check_address(address, allow)
        if reason is None:
            literal = f"[{address}]" if ":" in address else address
            netloc = f"{literal}:{parts.port}" if parts.port else literal
            target = parts._replace(netloc=netloc).geturl()
            host_header = parts.netloc.rpartition("@")[2]
            return target, host_header, host if parts.scheme == "https" else None
        refused.append(f"{address}, {reason}")
    raise FetchError(
        f"{url}: refused, {host} resolves to {'; '.join(refused)}; allow it with [fetch] allow_networks"
    )


def check_address(address: str, allow: Sequence[str | IPNetwork] = ()) -> str | None:
    """Why ``address`` may not be fetched ("a loopback address"), or None when it may.

    ``allow`` holds networks (strings or parsed) that are permitted even when private.
    """
    ip: IPAddress = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    networks = [ipaddress.ip_network(n, strict=False) if isinstance(n, str) else n for n in allow]
    if any(ip.version == net.version and ip in net for net in networks):
        return None
    for flag, reason in (
        (ip.is_unspecified, "an unspecified address"),
        (ip.is_loopback, "a loopback address"),
        (ip.is_link_local, "a link-local address"),
        (ip.is_multicast, "a multicast address"),
        (ip.is_private, "a private address"),
        (ip.is_reserved, "a reserved address"),
        (not ip.is_global, "not a public address"),
    ):
        if flag:
            return reason
    return None


def _resolve(host: str, port: int) -> list[str]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise FetchError(f"cannot resolve host {host!r}: {exc}") from exc
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in infos:
        if (address := str(sockaddr[0])) not in addresses:
            addresses.append(address)
    return addresses
