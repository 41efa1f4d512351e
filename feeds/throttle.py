"""How many requests run at once, per host and in all, and how far apart they start.

``Throttle.slot(url, delay)`` waits for one of ``per_host`` places on the URL's
host, then until at least ``delay`` seconds (or the previous request's own
delay, whichever is longer) after the previous start on that host, then for one
of ``global_limit`` places in all; the request runs inside it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from urllib.parse import urlsplit

__all__ = ["Throttle"]


class Throttle:
    """Request slots shared by every thread of one client."""

    def __init__(self, per_host: int, global_limit: int) -> None:
        self.per_host = per_host
        self._last_start: dict[str, tuple[float, float]] = {}  # host → (monotonic start, delay) of its last request
        self._global = threading.BoundedSemaphore(global_limit)
        self._hosts: dict[str, threading.BoundedSemaphore] = {}
        self._hosts_lock = threading.Lock()

    @contextmanager
    def slot(self, url: str, delay: float = 0.0) -> Iterator[None]:
        host = (urlsplit(url).hostname or "").lower()
        with self._hosts_lock:
            semaphore = self._hosts.setdefault(host, threading.BoundedSemaphore(self.per_host))
        with semaphore:
            with self._hosts_lock:  # the gap after the previous start: the longer of its delay and this one's
                now = time.monotonic()
                last, last_delay = self._last_start.get(host, (now - delay, 0.0))
                start = max(now, last + max(delay, last_delay))
                self._last_start[host] = (start, delay)
            if start > now:
                time.sleep(start - now)
            with self._global:
                yield
