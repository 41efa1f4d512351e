"""robots.txt rules per origin, as RFC 9309 reads them, cached for the fetcher.

``RobotsCache.rules(url, load)`` gives the rules of ``url``'s origin (scheme,
host, port), calling ``load(robots_url)`` for (HTTP status, body) when they are
not cached or older than ``ttl``: a 2xx body is parsed (its first
``ROBOTS_MAX_BYTES``); another 4xx allows everything; 5xx, 429 or no answer
(status 0) disallows everything, for ``error_ttl`` only. The fetcher
(``feeds.fetch``) is the one that loads them, through its own guard and limits.
"""

from __future__ import annotations

import threading
import time
import urllib.robotparser
from collections.abc import Callable
from typing import NamedTuple
from urllib.parse import urlsplit

__all__ = ["MAX_CRAWL_DELAY", "Robots", "RobotsCache", "robots_url"]

MAX_CRAWL_DELAY = 60.0  # seconds; a longer Crawl-delay is taken as this
ROBOTS_MAX_BYTES = 512 * 1024  # RFC 9309: at least 500 KiB are parsed; the rest is ignored


class Robots(NamedTuple):
    rules: urllib.robotparser.RobotFileParser
    unreachable: bool  # 5xx, 429 or no answer: everything is disallowed for now, not for good


class RobotsCache:
    """The robots.txt rules of each origin (scheme, host, port), kept ``ttl`` seconds.

    Thread-safe; one origin's robots.txt is fetched once even when many threads ask.
    """

    def __init__(
        self, *, ttl: float = 24 * 3600.0, error_ttl: float = 600.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.ttl = ttl
        self.error_ttl = error_ttl
        self._clock = clock
        self._entries: dict[str, tuple[Robots, float]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def rules(self, url: str, load: Callable[[str], tuple[int, bytes]]) -> Robots:
        """The rules for ``url``'s origin; ``load(robots_url)`` gives (HTTP status, body) when not cached."""
        where = robots_url(url)
        with self._lock:
            lock = self._locks.setdefault(where, threading.Lock())
        with lock:
            cached = self._entries.get(where)
            if cached is not None and cached[1] > self._clock():
                return cached[0]
            status, body = load(where)
            unreachable = status == 0 or status == 429 or status >= 500
            robots = Robots(_robots_rules(status, body), unreachable)
            self._entries[where] = (robots, self._clock() + (self.error_ttl if unreachable else self.ttl))
            return robots


def robots_url(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc.rpartition('@')[2]}/robots.txt"


def _robots_rules(status: int, body: bytes) -> urllib.robotparser.RobotFileParser:
    """RFC 9309: 2xx is parsed; other 4xx allow everything; 5xx, 429 or no answer disallow everything."""
    rules = urllib.robotparser.RobotFileParser()
    if 200 <= status < 300:
        rules.parse(body[:ROBOTS_MAX_BYTES].decode("utf-8", errors="replace").splitlines())
    elif 400 <= status < 500 and status != 429:
        rules.parse(["User-agent: *", "Allow: /"])
    else:
        rules.parse(["User-agent: *", "Disallow: /"])
    return rules
