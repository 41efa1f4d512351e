"""WebSub publish pings: tell the hub which feed documents changed.

One ``POST hub.mode=publish&hub.url=<feed URL>`` per URL. A ping that fails
is logged and never raised: subscribers then learn of the change at their
next poll. When the hub cannot be reached at all, the remaining pings of the
batch are skipped rather than each waiting for its own timeout.

``ping`` pings at once and returns when done (``run.py build``). The service
hands its pings to a ``Pinger``, whose thread sends them, so that a slow hub
never holds up ingesting or publishing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence

import httpx

log = logging.getLogger(__name__)

TIMEOUT = 10.0


def ping(
    hub: str, urls: Sequence[str], *, timeout: float = TIMEOUT, transport: httpx.BaseTransport | None = None
) -> int:
    """Ping ``hub`` once per URL of ``urls``; return how many pings the hub accepted (a 2xx answer)."""
    if not urls:
        return 0
    accepted = 0
    try:
        with httpx.Client(timeout=timeout, transport=transport, follow_redirects=False) as client:
            for done, url in enumerate(urls):
                try:
                    response = client.post(hub, data={"hub.mode": "publish", "hub.url": url})
                except httpx.TransportError as exc:
                    log.warning(
                        "websub hub unreachable",
                        extra={"url": url, "hub": hub, "error": repr(exc), "skipped": len(urls) - done - 1},
                    )
                    break
                if response.is_success:
                    accepted += 1
                else:
                    log.warning("websub ping refused", extra={"url": url, "hub": hub, "status": response.status_code})
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        log.warning("websub ping failed", extra={"hub": hub, "error": repr(exc)})
    log.info("websub pinged", extra={"hub": hub, "urls": len(urls), "accepted": accepted})
    return accepted


class Pinger:
    """Pings in the background: ``send`` queues URLs and returns at once, a thread pings them.

    URLs sent while a batch is on its way join the next batch, once each, so a
    hub sees one ping per document changed in the meantime however often the
    feeds were published. ``close`` lets the thread finish for ``timeout``
    seconds; what is still queued then is dropped (and logged): subscribers
    learn of those changes at their next poll.
    """

    def __init__(self, *, timeout: float = TIMEOUT, transport: httpx.BaseTransport | None = None) -> None:
        self._timeout = timeout
        self._transport = transport
        self._queued: dict[str, dict[str, None]] = {}  # hub → URLs, in the order sent
        self._changed = threading.Condition()
        self._closed = False
        self._thread = threading.Thread(target=self._work, name="websub", daemon=True)
        self._thread.start()

    def send(self, hub: str, urls: Sequence[str]) -> None:
        """Queue a ping of ``hub`` for each of ``urls``."""
        with self._changed:
            if self._closed:
                raise RuntimeError("the pinger is closed")
            self._queued.setdefault(hub, {}).update(dict.fromkeys(urls))
            self._changed.notify()

    def close(self, timeout: float = 2.0) -> None:
        """Stop taking pings, and wait up to ``timeout`` seconds for the queued ones to be sent."""
        with self._changed:
            self._closed = True
            self._changed.notify()
        self._thread.join(timeout)
        with self._changed:
            dropped = sum(len(urls) for urls in self._queued.values())
        if self._thread.is_alive() or dropped:
            log.warning("websub pings dropped at stop", extra={"queued": dropped, "timeout_s": timeout})

    def _work(self) -> None:
        while True:
            with self._changed:
                self._changed.wait_for(lambda: self._queued or self._closed)
                if not self._queued:
                    return  # closed, and nothing left to send
                batch, self._queued = self._queued, {}
            for hub, urls in batch.items():
                try:
                    ping(hub, list(urls), timeout=self._timeout, transport=self._transport)
                except Exception:  # the thread must outlive any one batch
                    log.exception("websub ping failed", extra={"hub": hub, "urls": len(urls)})
