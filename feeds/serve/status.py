"""The service's own routes: ``/healthz``, ``/metrics``, ``/status`` and ``POST /admin/refresh``.

Every database call runs in a worker thread (``asyncio.to_thread``) so the
event loop keeps serving feeds while the database is slow or away.
"""

from __future__ import annotations

import asyncio
import hmac
import html
import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import parse_qs

from feeds.config import Settings
from feeds.models import Source, SourceState
from feeds.serve.metrics import CONTENT_TYPE, ServiceMetrics
from feeds.serve.tree import Headers
from feeds.serve.web import Route, RouteHandler, RouteResult, Scope
from feeds.store import Store

log = logging.getLogger(__name__)

PING_TIMEOUT = 5.0
NO_STORE = (b"cache-control", b"no-store")
JSON_TYPE = (b"content-type", b"application/json")
HTML_TYPE = (b"content-type", b"text/html; charset=utf-8")

CategoryStats = dict[str, tuple[int, datetime | None]]


def json_response(status: int, data: object, extra: Headers | None = None) -> RouteResult:
    body = json.dumps(data, ensure_ascii=False, sort_keys=True).encode() + b"\n"
    return status, [JSON_TYPE, NO_STORE, *(extra or [])], body


def header(scope: Scope, name: bytes) -> bytes | None:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return bytes(value)
    return None


def bearer_matches(value: bytes | None, token: str) -> bool:
    """Whether an Authorization header value carries ``token`` as a bearer token (constant-time)."""
    if value is None:
        return False
    scheme, _, given = value.strip().partition(b" ")
    if scheme.lower() != b"bearer":
        return False
    return hmac.compare_digest(given.strip(), token.encode())


@dataclass
class StatusRoutes:
    """Handlers reading the service: ``last_good`` and ``scheduler_running`` come from the scheduler side,
    ``refresh(source_id)`` schedules an immediate ingest of one source."""

    settings: Settings
    store: Store
    metrics: ServiceMetrics
    last_good: Callable[[], datetime | None]
    scheduler_running: Callable[[], bool]
    refresh: Callable[[str], None] | None = None
    ping_timeout: float = PING_TIMEOUT

    def routes(self) -> dict[str, RouteHandler]:
        return {
            "/healthz": self.healthz,
            "/metrics": self.metrics_text,
            "/status": self.status,
            "/admin/refresh": Route(self.admin_refresh, frozenset({"POST"})),
        }

    # ------------------------------------------------------------------ health

    async def healthz(self, scope: Scope) -> RouteResult:
        report: dict[str, object] = {}
        healthy = True
        try:
            await asyncio.wait_for(asyncio.to_thread(self.store.ping), self.ping_timeout)
            report["database"] = "ok"
        except TimeoutError:
            report["database"] = "timeout"
            healthy = False
            log.warning("health check: database did not answer", extra={"timeout_s": self.ping_timeout})
        except Exception as exc:
            report["database"] = "unreachable"
            healthy = False
            log.warning("health check: database unreachable", extra={"error": str(exc)})
        running = self.scheduler_running()
        report["scheduler"] = "running" if running else "stopped"
        healthy = healthy and running
        last = self.last_good()
        report["last_good_cycle_age_s"] = None if last is None else round(_age(last), 1)
        report["status"] = "ok" if healthy else "failing"
        return json_response(200 if healthy else 503, report)

    async def metrics_text(self, scope: Scope) -> RouteResult:
        return 200, [(b"content-type", CONTENT_TYPE.encode()), NO_STORE], self.metrics.render().encode()

    # ------------------------------------------------------------------ status page

    def _collect(self) -> tuple[list[tuple[Source, SourceState]], CategoryStats]:
        states = [(source, self.store.source_state(source.id)) for source in self.settings.sources]
        return states, self.store.category_stats()

    async def status(self, scope: Scope) -> RouteResult:
        try:
            states, stats = await asyncio.to_thread(self._collect)
        except Exception as exc:
            log.warning("status page: database unreachable", extra={"error": str(exc)})
            page = _page(self.settings.site_title, "<p>The database does not answer.</p>")
            return 503, [HTML_TYPE, NO_STORE], page.encode()
        body = render_status(
            self.settings, states, stats, last_good=self.last_good(), scheduler_running=self.scheduler_running()
        )
        return 200, [HTML_TYPE, NO_STORE], body.encode()

    # ------------------------------------------------------------------ admin

    async def admin_refresh(self, scope: Scope) -> RouteResult:
        token = self.settings.admin_token
        if not token or self.refresh is None:
            body = b"Not Found\n"
            return 404, [(b"content-type", b"text/plain; charset=utf-8")], body
        if not bearer_matches(header(scope, b"authorization"), token):
            return json_response(401, {"error": "unauthorized"}, [(b"www-authenticate", b'Bearer realm="feeds"')])
        query = parse_qs(bytes(scope.get("query_string", b"")).decode("latin-1"))
        wanted = query.get("source", [])
        if len(wanted) != 1:
            return json_response(400, {"error": "expected one ?source=ID"})
        source_id = wanted[0]
        if not any(source.id == source_id for source in self.settings.sources):
            return json_response(404, {"error": "unknown source", "source": source_id})
        self.refresh(source_id)
        log.info("refresh requested", extra={"source_id": source_id})
        return json_response(202, {"scheduled": source_id})


# ---------------------------------------------------------------------- rendering


def _age(moment: datetime) -> float:
    return max(0.0, time.time() - moment.timestamp())


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "—"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%SZ")


def _cell(value: object) -> str:
    text = "—" if value is None or value == "" else str(value)
    return f"<td>{html.escape(text)}</td>"


def _row(values: list[object]) -> str:
    return "<tr>" + "".join(_cell(v) for v in values) + "</tr>"


def _head(names: list[str]) -> str:
    return "<thead><tr>" + "".join(f"<th>{html.escape(n)}</th>" for n in names) + "</tr></thead>"


def _page(title: str, content: str) -> str:
    return (
        '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="robots" content="noindex"><meta name="viewport" content="width=device-width">'
        f"<title>{html.escape(title)} — status</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:1.5rem}table{border-collapse:collapse;margin:1rem 0}"
        "th,td{border:1px solid #ccc;padding:.25rem .5rem;text-align:left;vertical-align:top}"
        "</style></head>\n"
        f"<body><h1>{html.escape(title)} — status</h1>\n{content}\n</body></html>\n"
    )


def render_status(
    settings: Settings,
    states: list[tuple[Source, SourceState]],
    stats: CategoryStats,
    *,
    last_good: datetime | None,
    scheduler_running: bool,
) -> str:
    """The status page: the service, every source with its fetch state, every category with its articles."""
    summary = f"Scheduler: {'running' if scheduler_running else 'stopped'} · last good cycle: {_when(last_good)}"
    columns = ["id", "name", "kind", "category", "enabled", "URL or path"]
    columns += ["last fetch", "last status", "last error", "next check", "failures"]
    parts = [
        f"<p>{html.escape(summary)} · due sources looked for every {settings.schedule.tick_seconds} s</p>",
        "<h2>Sources</h2>",
        "<table>" + _head(columns) + "<tbody>",
    ]
    for source, state in states:
        where = state.url or source.url or (str(source.path) if source.path is not None else None)
        status = "gone" if state.gone else state.last_status
        error = state.last_error or state.parse_warning
        identity: list[object] = [source.id, source.name, source.kind.value, source.category]
        fetched: list[object] = [_when(state.last_fetch_at), status, error, _when(state.next_check_at)]
        parts.append(_row([*identity, "yes" if source.enabled else "no", where, *fetched, state.failures]))
    parts.append("</tbody></table>\n<h2>Categories</h2>")
    parts.append("<table>" + _head(["slug", "title", "articles", "last change"]) + "<tbody>")
    for category in settings.categories:
        count, changed = stats.get(category.slug, (0, None))
        parts.append(_row([category.slug, category.title, count, _when(changed)]))
    parts.append("</tbody></table>")
    return _page(settings.site_title, "\n".join(parts))
