"""The service's own routes: metrics text, health, status page, admin refresh; CORS and request counts."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from feeds.config import Settings, load_settings
from feeds.errors import ConfigError
from feeds.models import SourceState
from feeds.serve.jobs import IngestReport, SourceReport
from feeds.serve.metrics import CONTENT_TYPE, Histogram, ServiceMetrics, format_value, sample_line
from feeds.serve.scheduler import Cycle
from feeds.serve.status import StatusRoutes
from feeds.serve.web import Message, StaticApp, make_app
from feeds.store import Store
from feeds.store.db import open_engine
from tests.conftest import make_instance
from tests.serve.conftest import Running

TOKEN = "s3cret-token-0123456789"
UNREACHABLE = "postgresql+psycopg://nobody@127.0.0.1:1/x"
SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_]\w*="(\\.|[^"\\])*",?)*\})? (\S+)$')


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return load_settings(make_instance(tmp_path))


@pytest.fixture
def store(settings: Settings) -> Iterator[Store]:
    with Store.open(settings.database_url) as opened:
        yield opened


def routes(settings: Settings, store: Store, *, running: bool = True, refreshed: list[str] | None = None,
           metrics: ServiceMetrics | None = None) -> StatusRoutes:  # fmt: skip
    return StatusRoutes(
        settings, store, metrics or ServiceMetrics(), last_good=lambda: None, scheduler_running=lambda: running,
        refresh=refreshed.append if refreshed is not None else None,
    )  # fmt: skip


def call(app: StaticApp, method: str, path: str, headers: dict[str, str] | None = None, query: str = "",
         ) -> tuple[int, dict[bytes, bytes], bytes]:  # fmt: skip
    """One request through the ASGI application, without a server."""
    sent: list[Message] = []
    scope = {
        "type": "http", "method": method, "path": path, "raw_path": path.encode(), "query_string": query.encode(),
        "headers": [(k.lower().encode(), v.encode()) for k, v in (headers or {}).items()],
    }  # fmt: skip

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    start, body = sent
    return start["status"], dict(start["headers"]), body["body"]


def parse_metrics(text: str) -> dict[str, float]:
    """Every sample of a text exposition, checked line by line, keyed by name and labels."""
    samples: dict[str, float] = {}
    assert text.endswith("\n")
    for line in text.splitlines():
        if line.startswith("# "):
            assert re.match(r"^# (HELP|TYPE) [a-zA-Z_:][a-zA-Z0-9_:]* \S", line), line
            continue
        match = SAMPLE.match(line)
        assert match, f"not a sample line: {line!r}"
        key, _, value = line.rpartition(" ")
        samples[key] = float(value)
    return samples


# ---------------------------------------------------------------------- metrics


def report(*results: SourceReport) -> IngestReport:
    return IngestReport(sources=list(results))


def test_metrics_text_format_and_counters() -> None:
    requests = {200: 3, 304: 1}
    metrics = ServiceMetrics(lambda: requests)
    metrics.record_ingest(report(SourceReport("a", new=2, updated=1), SourceReport("b", error="boom")))
    metrics.record_ingest(report(SourceReport("a", unchanged=5), SourceReport("b", new=1, failed=1)))
    metrics.cycle_seconds.observe(0.3)
    metrics.cycle_seconds.observe(700.0)
    metrics.publish_seconds.observe(0.02)
    metrics.cycle_done(1_700_000_000.5)
    text = metrics.render()
    samples = parse_metrics(text)
    assert "# TYPE feeds_fetches_total counter" in text
    assert "# TYPE feeds_cycle_duration_seconds histogram" in text
    assert "# TYPE feeds_last_good_cycle_timestamp_seconds gauge" in text
    assert samples['feeds_fetches_total{outcome="new"}'] == 1
    assert samples['feeds_fetches_total{outcome="error"}'] == 1
    assert samples['feeds_fetches_total{outcome="unchanged"}'] == 1
    assert samples['feeds_fetches_total{outcome="failed"}'] == 1
    assert samples['feeds_fetches_total{outcome="updated"}'] == 0
    assert samples["feeds_items_ingested_total"] == 4
    assert samples['feeds_cycle_duration_seconds_bucket{le="0.25"}'] == 0
    assert samples['feeds_cycle_duration_seconds_bucket{le="0.5"}'] == 1
    assert samples['feeds_cycle_duration_seconds_bucket{le="300"}'] == 1
    assert samples['feeds_cycle_duration_seconds_bucket{le="+Inf"}'] == 2
    assert samples["feeds_cycle_duration_seconds_count"] == 2
    assert samples["feeds_cycle_duration_seconds_sum"] == pytest.approx(700.3)
    assert samples["feeds_publish_duration_seconds_count"] == 1
    assert samples["feeds_last_good_cycle_timestamp_seconds"] == 1_700_000_000.5
    assert samples['feeds_feed_requests_total{status="200"}'] == 3
    requests[404] = 2
    assert parse_metrics(metrics.render())['feeds_feed_requests_total{status="404"}'] == 2


def test_metrics_unset_gauge_is_left_out_and_buckets_are_cumulative() -> None:
    samples = parse_metrics(ServiceMetrics().render())
    assert "feeds_last_good_cycle_timestamp_seconds" not in samples
    assert samples['feeds_fetches_total{outcome="new"}'] == 0
    histogram = Histogram("h", "help", buckets=(1, 2))
    for value in (0.5, 1, 1.5, 3):
        histogram.observe(value)
    assert histogram.render()[2:] == ['h_bucket{le="1"} 2', 'h_bucket{le="2"} 3', 'h_bucket{le="+Inf"} 4',
                                      "h_sum 6", "h_count 4"]  # fmt: skip


def test_metrics_values_and_labels_are_escaped() -> None:
    assert format_value(float("inf")) == "+Inf"
    assert format_value(0.25) == "0.25"
    assert format_value(3.0) == "3"
    assert sample_line("x", (("l", 'a"b\\c\nd'),), 1) == 'x{l="a\\"b\\\\c\\nd"} 1'


# ---------------------------------------------------------------------- health


def test_healthz_ok(settings: Settings, store: Store) -> None:
    status, headers, body = asyncio.run(routes(settings, store).healthz({}))
    assert status == 200
    assert (b"content-type", b"application/json") in headers
    data = json.loads(body)
    assert data["database"] == "ok" and data["scheduler"] == "running"
    assert data["last_good_cycle_age_s"] is None


def test_healthz_503_when_the_database_is_unreachable(settings: Settings) -> None:
    broken = Store(open_engine(UNREACHABLE))
    try:
        status, _headers, body = asyncio.run(routes(settings, broken).healthz({}))
    finally:
        broken.close()
    assert status == 503
    data = json.loads(body)
    assert data["database"] == "unreachable" and data["scheduler"] == "running"
    assert "nobody" not in body.decode()


def test_healthz_503_when_the_scheduler_stopped(settings: Settings, store: Store) -> None:
    status, _headers, body = asyncio.run(routes(settings, store, running=False).healthz({}))
    assert status == 503
    assert json.loads(body)["scheduler"] == "stopped"


def test_metrics_route(settings: Settings, store: Store) -> None:
    status, headers, body = asyncio.run(routes(settings, store).metrics_text({}))
    assert status == 200
    assert (b"content-type", CONTENT_TYPE.encode()) in headers
    assert "feeds_fetches_total" in body.decode()


# ---------------------------------------------------------------------- status page


def test_status_page_escapes_everything(settings: Settings, store: Store) -> None:
    store.save_source_state(
        SourceState(source_id="inbox", url="https://x.example/?a=1&b=<2>", last_status="error",
                    last_error='<script>alert("x")</script>', failures=3)
    )  # fmt: skip
    settings = replace(settings, site_title="<b>feeds</b>")
    status, _headers, body = asyncio.run(routes(settings, store).status({}))
    page = body.decode()
    assert status == 200
    assert "<script>" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in page
    assert "https://x.example/?a=1&amp;b=&lt;2&gt;" in page
    assert "<td>capture</td>" in page and "<td>3</td>" in page
    for category in settings.categories:
        assert f"<td>{category.slug}</td>" in page


def test_status_page_503_when_the_database_is_unreachable(settings: Settings) -> None:
    broken = Store(open_engine(UNREACHABLE))
    try:
        status, _headers, _body = asyncio.run(routes(settings, broken).status({}))
    finally:
        broken.close()
    assert status == 503


# ---------------------------------------------------------------------- admin refresh


def admin_app(settings: Settings, store: Store, refreshed: list[str], tmp_path: Path) -> StaticApp:
    return make_app(tmp_path, extra_routes=routes(settings, store, refreshed=refreshed).routes())


def test_admin_refresh_is_404_without_a_token(settings: Settings, store: Store, tmp_path: Path) -> None:
    refreshed: list[str] = []
    app = admin_app(settings, store, refreshed, tmp_path)
    auth = {"Authorization": f"Bearer {TOKEN}"}
    assert call(app, "POST", "/admin/refresh", auth, "source=inbox")[0] == 404
    assert refreshed == []


def test_admin_refresh_auth(settings: Settings, store: Store, tmp_path: Path) -> None:
    refreshed: list[str] = []
    app = admin_app(replace(settings, admin_token=TOKEN), store, refreshed, tmp_path)
    status, headers, _ = call(app, "POST", "/admin/refresh", {"Authorization": "Bearer wrong"}, "source=inbox")
    assert status == 401 and headers[b"www-authenticate"].startswith(b"Bearer")
    assert call(app, "POST", "/admin/refresh", {}, "source=inbox")[0] == 401
    assert call(app, "POST", "/admin/refresh", {"Authorization": f"Basic {TOKEN}"}, "source=inbox")[0] == 401
    assert refreshed == []
    auth = {"Authorization": f"Bearer {TOKEN}"}
    status, _, body = call(app, "POST", "/admin/refresh", auth, "source=inbox")
    assert status == 202 and json.loads(body) == {"scheduled": "inbox"}
    assert refreshed == ["inbox"]
    assert call(app, "POST", "/admin/refresh", auth, "source=nope")[0] == 404
    assert call(app, "POST", "/admin/refresh", auth)[0] == 400
    status, headers, _ = call(app, "GET", "/admin/refresh", auth, "source=inbox")
    assert status == 405 and headers[b"allow"] == b"POST"
    assert refreshed == ["inbox"]


def test_routes_keep_get_only_and_other_posts_are_405(settings: Settings, store: Store, tmp_path: Path) -> None:
    app = admin_app(settings, store, [], tmp_path)
    assert call(app, "POST", "/healthz")[0] == 405
    assert call(app, "POST", "/feeds/all.json")[0] == 405
    assert call(app, "HEAD", "/metrics")[2] == b""


def test_cycle_records_metrics_and_runs_requested_sources(settings: Settings, store: Store) -> None:
    written: list[object] = []
    metrics = ServiceMetrics()
    cycle = Cycle(settings, store, on_written=written.append, metrics=metrics)
    cycle()
    samples = parse_metrics(metrics.render())
    assert samples['feeds_fetches_total{outcome="new"}'] == 1
    assert samples["feeds_items_ingested_total"] == 4
    assert samples["feeds_cycle_duration_seconds_count"] == 1
    assert samples["feeds_publish_duration_seconds_count"] == 1
    assert cycle.last_ok is not None
    assert samples["feeds_last_good_cycle_timestamp_seconds"] == pytest.approx(cycle.last_ok.timestamp())
    assert written
    cycle.run_requested()  # nothing queued: nothing runs
    assert metrics.cycle_seconds.count() == 1
    cycle.request("inbox")
    cycle.run_requested()
    samples = parse_metrics(metrics.render())
    assert samples['feeds_fetches_total{outcome="unchanged"}'] == 1
    assert samples["feeds_cycle_duration_seconds_count"] == 2
    assert samples["feeds_publish_duration_seconds_count"] == 1  # nothing changed: nothing published


# ---------------------------------------------------------------------- the front


def test_json_feeds_carry_cors_and_requests_are_counted(server: Running) -> None:
    before = dict(server.app.requests)
    response = httpx.get(server.base + "/feeds/all.json", timeout=5)
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    again = httpx.get(server.base + "/feeds/all.json", headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-origin" not in httpx.get(server.base + "/feeds/all.rss").headers
    assert httpx.get(server.base + "/missing.json").status_code == 404
    counts = server.app.requests
    assert counts[200] - before.get(200, 0) == 2
    assert counts[304] - before.get(304, 0) == 1
    assert counts[404] - before.get(404, 0) == 1


# ---------------------------------------------------------------------- configuration


def write_server(config: Path, lines: str) -> None:
    path = config / "feeds.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("[server]\n", "[server]\n" + lines), encoding="utf-8")


def test_server_keys(tmp_path: Path) -> None:
    config = make_instance(tmp_path)
    defaults = load_settings(config)
    assert defaults.cache_control == "public, max-age=300" and defaults.admin_token is None
    write_server(config, f'cache_control = "no-cache"\nadmin_token = "{TOKEN}"\n')
    settings = load_settings(config)
    assert settings.cache_control == "no-cache" and settings.admin_token == TOKEN


def test_short_admin_token_is_refused(tmp_path: Path) -> None:
    config = make_instance(tmp_path)
    write_server(config, 'admin_token = "short"\n')
    with pytest.raises(ConfigError, match="admin_token"):
        load_settings(config)
