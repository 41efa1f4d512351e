"""WebSub publish pings: tell the hub which feed documents changed.

One ``POST hub.mode=publish&hub.url=<feed URL>`` per URL. A ping that fails
is logged and never raised: subscribers then learn of the change at their
next poll. When the hub cannot be reached at all, the remaining pings of the
batch are skipped rather than each waiting for its own timeout.
"""

from __future__ import annotations

import logging
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
