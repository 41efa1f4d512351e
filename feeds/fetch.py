"""The one HTTP client of the service: conditional GET with limits and a guard.

``Fetcher.fetch(url, validators)`` reads one document over http or https:

* conditional GET: the ETag and Last-Modified the last good fetch left are sent
  back; 304 gives ``not-modified``, a body whose sha256 equals the last one gives
  ``unchanged``, 410 gives ``gone``;
* redirects are followed here, at most ``max_redirects`` hops, loops refused; a
  chain of permanent redirects (301/308) sets ``permanent_url``, the URL to store
  instead; 302/303/307 do not;
* every hop passes the address guard (``feeds.guard``): no private, loopback
  or other non-public address unless inside ``allow_networks``, and the
  connection goes to the address that was checked;
* the body is read as a stream and abandoned at ``max_bytes`` (after gzip or
  deflate decoding), and the whole fetch, redirects included, within
  ``total_timeout``;
* at most ``per_host`` requests run at once against one host, ``global_limit``
  in all, and two successive requests to one host start at least
  ``min_delay`` seconds apart, or the longer delay either of them asked for
  (``feeds.throttle``);
* with ``robots=True`` the URL (and every redirect hop) is checked against the
  host's robots.txt first, and ``Disallowed`` is raised for a path it forbids.
  robots.txt is fetched by this client, once per host and ``robots_ttl``
  (``RobotsCache``): 2xx is parsed; 4xx (404, 410) allows everything; 5xx, 429
  or no answer disallows everything for ``robots_error_ttl`` (RFC 9309 2.3.1;
  ``Disallowed.temporary`` is then true).
  Its ``Crawl-delay`` for our agent, up to ``MAX_CRAWL_DELAY``, raises the
  host's delay.

429 and 503 raise ``RetryLater`` with the server's Retry-After; other 4xx and
5xx raise ``StatusError``; everything else that goes wrong raises ``FetchError``.
Local files are not read here (``sources/feed.py`` does); when a source is
looked at next is ``feeds.serve.jobs.polling``'s business.
"""

from __future__ import annotations

import hashlib
import ipaddress
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal
from urllib.parse import urljoin

import httpx

from feeds import headers as header
from feeds.config import FetchSettings
from feeds.errors import FetchError
from feeds.guard import IPNetwork, pin
from feeds.robots import MAX_CRAWL_DELAY, RobotsCache, robots_url
from feeds.throttle import Throttle

__all__ = [
    "Disallowed",
    "FetchPolicy",
    "FetchResult",
    "Fetcher",
    "RetryLater",
    "RobotsCache",
    "StatusError",
    "Validators",
]

Status = Literal["ok", "not-modified", "unchanged", "gone"]

REDIRECTS = (301, 302, 303, 307, 308)
PERMANENT = (301, 308)
ACCEPT = "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, " \
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.8"  # fmt: skip
# Only what httpx decodes with what is installed: br needs brotli, zstd needs zstandard.
ACCEPT_ENCODING = "gzip, deflate, br"  # httpx decodes br with the brotli package


class StatusError(FetchError):
    """The server answered with an error status (4xx or 5xx)."""

    code = "http-status"

    def __init__(self, message: str, *, url: str, status: int) -> None:
        super().__init__(message)
        self.url = url
        self.status = status


class RetryLater(StatusError):
    """429 or 503: the server asks to come back later, at ``retry_after`` when it said when."""

    code = "retry-later"

    def __init__(self, message: str, *, url: str, status: int, retry_after: datetime | None) -> None:
        super().__init__(message, url=url, status=status)
        self.retry_after = retry_after


class Disallowed(FetchError):
    """The site's robots.txt forbids fetching the URL; ``temporary`` when it could not be read (5xx, no answer)."""

    code = "disallowed"

    def __init__(self, message: str, *, url: str, temporary: bool = False) -> None:
        super().__init__(message)
        self.url = url
        self.temporary = temporary


@dataclass(frozen=True)
class FetchPolicy:
    connect_timeout: float = 10.0  # seconds to open a connection (TLS included)
    total_timeout: float = 30.0  # seconds for the whole fetch, every redirect and the body included
    max_bytes: int = 15 * 1024 * 1024  # of the decoded body
    max_redirects: int = 5
    per_host: int = 2  # requests at once against one host
    global_limit: int = 16  # requests at once in all
    allow_networks: tuple[str, ...] = ()  # private networks that may be fetched anyway, e.g. "127.0.0.0/8"
    user_agent: str = "feeds/0.1 (feed aggregator)"
    min_delay: float = 0.0  # seconds between the starts of two requests to one host
    robots_ttl: float = 24 * 3600.0  # seconds a fetched robots.txt is used
    robots_error_ttl: float = 600.0  # seconds an unreachable robots.txt (5xx, no answer) disallows the host

    @classmethod
    def from_settings(cls, settings: FetchSettings) -> FetchPolicy:
        return cls(
            connect_timeout=settings.connect_timeout,
            total_timeout=settings.total_timeout,
            max_bytes=settings.max_bytes,
            max_redirects=settings.max_redirects,
            per_host=settings.per_host,
            global_limit=settings.global_limit,
            allow_networks=settings.allow_networks,
            min_delay=settings.min_delay,
        )


@dataclass(frozen=True)
class Validators:
    """What the last good fetch left, sent back to make the next one conditional."""

    etag: str | None = None
    last_modified: str | None = None  # the header value, sent back as is
    body_hash: str | None = None  # sha256 hex of the last body


@dataclass(frozen=True)
class FetchResult:
    status: Status
    url: str  # as requested
    final_url: str  # after every redirect
    permanent_url: str | None  # where a chain of permanent redirects (301/308) led: the URL to store
    content: bytes  # empty for not-modified
    charset: str | None  # the Content-Type charset parameter
    media_type: str | None  # the Content-Type without parameters, lower case
    validators: Validators  # to send with the next fetch
    retry_after: datetime | None  # the server's Retry-After, when it sent one
    max_age: int | None  # Cache-Control max-age in seconds
    http_status: int
    elapsed: float  # seconds, every hop included


# --------------------------------------------------------------------------- the client


@dataclass
class _Hop:
    """The state of one fetch while it follows redirects."""

    url: str
    deadline: float
    visited: list[str] = field(default_factory=list)
    permanent: str | None = None
    all_permanent: bool = True


class Fetcher:
    """Fetches URLs under a ``FetchPolicy``; one instance is shared by every thread."""

    def __init__(
        self,
        policy: FetchPolicy | None = None,
        *,
        transport: httpx.BaseTransport | None = None,
        robots: RobotsCache | None = None,
    ) -> None:
        self.policy = policy or FetchPolicy()
        self.robots = robots or RobotsCache(ttl=self.policy.robots_ttl, error_ttl=self.policy.robots_error_ttl)
        self._allow: list[IPNetwork] = [ipaddress.ip_network(n, strict=False) for n in self.policy.allow_networks]
        self._throttle = Throttle(self.policy.per_host, self.policy.global_limit)
        # No keep-alive: connections go to a checked address, and a pooled TLS connection opened for one
        # host name must not serve another name on the same address.
        self._client = httpx.Client(
            follow_redirects=False,
            limits=httpx.Limits(max_connections=self.policy.global_limit, max_keepalive_connections=0),
            headers={"User-Agent": self.policy.user_agent, "Accept": ACCEPT, "Accept-Encoding": ACCEPT_ENCODING},
            transport=transport,
            trust_env=False,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def fetch(
        self, url: str, validators: Validators | None = None, *, robots: bool = False, min_delay: float = 0.0
    ) -> FetchResult:
        """GET ``url``; raises ``FetchError`` (``StatusError``, ``RetryLater``, ``Disallowed``) when no usable
        answer came. ``robots`` checks every hop against robots.txt; ``min_delay`` (seconds) spaces this
        request from the previous one to its host, when longer than the policy's."""
        started = time.monotonic()
        hop = _Hop(url=url, deadline=started + self.policy.total_timeout)
        while True:
            delay = max(min_delay, self.policy.min_delay)
            if robots:
                delay = max(delay, self._check_robots(url))
            with self._throttle.slot(url, delay), self._request(url, validators, hop) as response:
                status = response.status_code
                if status in REDIRECTS and "location" in response.headers:
                    url = self._redirect(hop, url, status, response.headers["location"])
                    continue
                return self._result(hop, url, response, validators, started)

    # ---------------------------------------------------------------- steps

    def _redirect(self, hop: _Hop, url: str, status: int, location: str) -> str:
        target = urljoin(url, location.strip())
        hop.visited.append(url)
        if target in hop.visited or target == url:
            chain = " → ".join([*hop.visited, target])
            raise FetchError(f"redirect loop fetching {hop.url}: {chain}")
        if len(hop.visited) > self.policy.max_redirects:
            raise FetchError(
                f"too many redirects fetching {hop.url}: more than {self.policy.max_redirects} (last {target})"
            )
        if status in PERMANENT and hop.all_permanent:
            hop.permanent = target
        else:
            hop.all_permanent = False
        return target

    def _result(
        self, hop: _Hop, url: str, response: httpx.Response, validators: Validators | None, started: float
    ) -> FetchResult:
        status = response.status_code
        headers = response.headers
        retry_after = header.retry_after(headers.get("retry-after"))
        if status in (429, 503):
            when = f"; retry after {retry_after.isoformat()}" if retry_after else ""
            raise RetryLater(f"{url} answered HTTP {status}{when}", url=url, status=status, retry_after=retry_after)
        if status >= 400 and status != 410:
            raise StatusError(f"{url} answered HTTP {status}", url=url, status=status)
        if status in REDIRECTS:
            raise FetchError(f"{url} answered HTTP {status} without a Location header")
        if not (200 <= status < 300 or status in (304, 410)):
            raise FetchError(f"{url} answered HTTP {status}, which is not a usable response")
        old = validators or Validators()
        content = b""
        body_hash = old.body_hash
        if status not in (304, 410):
            content = self._body(response, url, hop.deadline)
            body_hash = hashlib.sha256(content).hexdigest()
        kind: Status = "ok"
        if status == 304:
            kind = "not-modified"
        elif status == 410:
            kind = "gone"
        elif old.body_hash is not None and body_hash == old.body_hash:
            kind = "unchanged"
        media_type, charset = header.content_type(headers.get("content-type"))
        return FetchResult(
            status=kind,
            url=hop.url,
            final_url=url,
            permanent_url=hop.permanent if hop.permanent not in (None, hop.url) else None,
            content=content,
            charset=charset,
            media_type=media_type,
            validators=Validators(
                etag=headers.get("etag") or old.etag,
                last_modified=headers.get("last-modified") or old.last_modified,
                body_hash=body_hash,
            ),
            retry_after=retry_after,
            max_age=header.max_age(headers.get("cache-control")),
            http_status=status,
            elapsed=time.monotonic() - started,
        )

    def _body(self, response: httpx.Response, url: str, deadline: float) -> bytes:
        limit = self.policy.max_bytes
        declared = response.headers.get("content-length", "")
        encoded = response.headers.get("content-encoding", "identity").strip().lower()
        if declared.isdigit() and encoded in ("", "identity") and int(declared) > limit:
            raise FetchError(f"{url}: the body of {int(declared)} bytes is over the {limit}-byte limit")
        chunks: list[bytes] = []
        size = 0
        try:
            for chunk in response.iter_bytes():
                size += len(chunk)
                if size > limit:
                    raise FetchError(f"{url}: the body is over the {limit}-byte limit; stopped reading")
                if time.monotonic() > deadline:
                    raise FetchError(f"{url}: total timeout of {self.policy.total_timeout:g} s while reading the body")
                chunks.append(chunk)
        except httpx.DecodingError as exc:
            raise FetchError(f"{url}: the {encoded} body cannot be decoded: {exc}") from exc
        except httpx.TimeoutException as exc:
            raise FetchError(f"{url}: read timeout while reading the body ({_timeout_name(exc)})") from exc
        except httpx.TransportError as exc:
            raise FetchError(f"{url}: connection failed while reading the body: {exc}") from exc
        return b"".join(chunks)

    @contextmanager
    def _request(self, url: str, validators: Validators | None, hop: _Hop) -> Iterator[httpx.Response]:
        target, host_header, sni = pin(url, self._allow)
        headers = {"Host": host_header}
        if validators is not None and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators is not None and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        remaining = hop.deadline - time.monotonic()
        if remaining <= 0:
            raise FetchError(f"{hop.url}: total timeout of {self.policy.total_timeout:g} s reached at {url}")
        timeout = httpx.Timeout(remaining, connect=min(self.policy.connect_timeout, remaining))
        extensions = {"sni_hostname": sni} if sni else None
        try:
            with self._client.stream(
                "GET", target, headers=headers, timeout=timeout, extensions=extensions
            ) as response:
                yield response
        except httpx.ConnectTimeout as exc:
            raise FetchError(f"{url}: connect timeout, no connection within {self.policy.connect_timeout:g} s") from exc
        except httpx.TimeoutException as exc:
            raise FetchError(f"{url}: {_timeout_name(exc)}, no answer within {remaining:.3g} s") from exc
        except httpx.TransportError as exc:
            raise FetchError(f"{url}: connection failed: {exc or type(exc).__name__}") from exc

    def allowed(self, url: str) -> bool:
        """Whether robots.txt lets this client fetch ``url`` (robots.txt is fetched when not cached)."""
        try:
            self._check_robots(url)
        except Disallowed:
            return False
        return True

    def _check_robots(self, url: str) -> float:
        """Raise ``Disallowed`` when robots.txt forbids ``url``; the Crawl-delay it asks for, else 0.

        The URL is checked by the guard first, so a host that may not be fetched at all fails as such,
        not as a host whose robots.txt could not be read.
        """
        pin(url, self._allow)
        robots = self.robots.rules(url, self._robots_txt)
        agent = self.policy.user_agent
        if robots.unreachable:
            raise Disallowed(f"{url}: {robots_url(url)} cannot be read; not fetched for now", url=url, temporary=True)
        if not robots.rules.can_fetch(agent, url):
            raise Disallowed(f"{url}: disallowed by {robots_url(url)} for {agent.split('/')[0]!r}", url=url)
        asked = robots.rules.crawl_delay(agent)
        return min(float(asked), MAX_CRAWL_DELAY) if asked else 0.0

    def _robots_txt(self, where: str) -> tuple[int, bytes]:
        """The HTTP status and body of a robots.txt; status 0 when there was no answer at all."""
        try:
            result = self.fetch(where)
        except StatusError as exc:
            return exc.status, b""
        except FetchError:
            return 0, b""
        return result.http_status, result.content


def _timeout_name(exc: httpx.TimeoutException) -> str:
    return {
        httpx.ConnectTimeout: "connect timeout",
        httpx.ReadTimeout: "read timeout",
        httpx.WriteTimeout: "write timeout",
        httpx.PoolTimeout: "timeout waiting for a free connection",
    }.get(type(exc), "timeout")
