"""The real service as a user starts it: `python run.py --config DIR` in a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

import feedparser
import httpx

from tests.conftest import ROOT, free_port, local_server, make_instance

TOKEN = "service-admin-token-0123"


def _wait_for(url: str, deadline: float) -> httpx.Response:
    last: Exception | None = None
    while time.monotonic() < deadline:
        try:
            response = httpx.get(url, timeout=2)
            if response.status_code == 200:
                return response
        except httpx.TransportError as exc:
            last = exc
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 in time ({last})")


def _first_cycle_done(base: str) -> None:
    """Wait until the service at ``base`` answers and reports a good cycle."""
    health = _wait_for(f"{base}/healthz", time.monotonic() + 30).json()
    deadline = time.monotonic() + 10
    while health["last_good_cycle_age_s"] is None and time.monotonic() < deadline:
        time.sleep(0.2)
        health = httpx.get(f"{base}/healthz", timeout=2).json()
    assert health["last_good_cycle_age_s"] is not None, health


def test_service_ingests_publishes_serves_and_stops_on_sigterm(tmp_path: Path) -> None:
    port = free_port()
    config = make_instance(tmp_path, port=port, cycle_seconds=1)
    settings_file = config / "feeds.toml"
    settings_file.write_text(
        settings_file.read_text(encoding="utf-8").replace("[server]\n", f'[server]\nadmin_token = "{TOKEN}"\n'),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k not in ("FEEDS_DATABASE_URL", "FEEDS_CONFIG")}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        feed = _wait_for(f"{base}/feeds/all.atom", time.monotonic() + 30)
        assert feed.headers["content-type"] == "application/atom+xml; charset=utf-8"
        assert len(feedparser.parse(feed.content).entries) == 4
        index = _wait_for(f"{base}/", time.monotonic() + 5)
        assert "feeds/news.rss" in index.text

        etag = feed.headers["etag"]
        again = httpx.get(f"{base}/feeds/all.atom", headers={"If-None-Match": etag})
        assert again.status_code == 304

        health = _wait_for(f"{base}/healthz", time.monotonic() + 10).json()
        assert health["database"] == "ok" and health["scheduler"] == "running"
        assert health["last_good_cycle_age_s"] is not None
        metrics = httpx.get(f"{base}/metrics", timeout=5)
        assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
        assert 'feeds_fetches_total{outcome="new"} 1' in metrics.text
        assert 'feeds_feed_requests_total{status="304"}' in metrics.text
        assert "feeds_last_good_cycle_timestamp_seconds " in metrics.text
        status = httpx.get(f"{base}/status", timeout=5)
        assert status.status_code == 200 and "<td>inbox</td>" in status.text
        refresh = f"{base}/admin/refresh?source=inbox"
        assert httpx.post(refresh, headers={"Authorization": "Bearer wrong"}, timeout=5).status_code == 401
        assert httpx.post(refresh, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5).status_code == 202

        # A capture dropped while running shows up within a few cycles.
        (tmp_path / "inbox" / "new.txt").write_text(
            "新的协商议事会召开\n发布时间:2024-12-01 09:00\n会议围绕社区治理开展协商。委员们提出了意见建议。\n",
            encoding="utf-8",
        )
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            response = httpx.get(f"{base}/feeds/all.rss", headers={"Accept-Encoding": "gzip"})
            titles = [e.title for e in feedparser.parse(response.content).entries]
            if "新的协商议事会召开" in titles:
                break
            time.sleep(0.3)
        else:
            raise AssertionError(f"the new capture never reached all.rss: {titles}")
        raw = httpx.get(f"{base}/feeds/all.rss", headers={"Accept-Encoding": "gzip"})
        assert raw.headers.get("content-encoding") == "gzip"
        assert "新的协商议事会召开" in raw.text

        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=10)
        output = process.stdout.read().decode() if process.stdout else ""
        assert code == 0, output
        assert "refresh requested" in output and "Traceback" not in output, output
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _upstream_feed() -> tuple[type[BaseHTTPRequestHandler], list[str]]:
    """A handler serving one RSS feed (with an ETag), and the paths it is asked for."""
    requests: list[str] = []
    body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>上游</title>'
        "<link>http://up.example.org/</link><description>d</description>"
        "<item><title>上游的第一篇文章</title><link>http://up.example.org/1.html</link><guid>u1</guid>"
        "<pubDate>Mon, 23 Dec 2024 10:00:00 +0800</pubDate>"
        "<description>&lt;p&gt;第一篇文章的正文,讲述了会议的主要内容。&lt;/p&gt;</description></item>"
        "<item><title>上游的第二篇文章</title><link>http://up.example.org/2.html</link><guid>u2</guid>"
        "<pubDate>Tue, 24 Dec 2024 10:00:00 +0800</pubDate>"
        "<description>&lt;p&gt;第二篇文章的正文,介绍了另一件完全不同的事情。&lt;/p&gt;</description></item>"
        "</channel></rss>"
    ).encode()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(self.path)
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", '"v1"')
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    return Handler, requests


def _instance_with_feed(
    tmp_path: Path, port: int, upstream_port: int, source_id: str, *, fetch_keys: str = "", source_keys: str = ""
) -> Path:
    """An instance ticking every second, with one feed source ``source_id`` on the local upstream server."""
    config = make_instance(tmp_path, port=port, cycle_seconds=1)
    with (config / "feeds.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'[fetch]\nallow_networks = ["127.0.0.0/8"]\n{fetch_keys}')
    with (config / "sources.toml").open("a", encoding="utf-8") as fh:
        fh.write(
            f'\n[[source]]\nid = "{source_id}"\nkind = "feed"\nurl = "http://127.0.0.1:{upstream_port}/feed.xml"\n'
            f'category = "news"\n{source_keys}'
        )
    return config


def _start(config: Path) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if k not in ("FEEDS_DATABASE_URL", "FEEDS_CONFIG")}
    return subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "--config", str(config)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=env,
    )


def _stop(process: subprocess.Popen[bytes]) -> str:
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    code = process.wait(timeout=10)
    output = process.stdout.read().decode() if process.stdout else ""
    assert code == 0, output
    assert time.monotonic() - started < 10
    assert "Traceback" not in output, output
    return output


def test_a_restart_resumes_without_fetching_sources_that_are_not_due(tmp_path: Path) -> None:
    handler, requests = _upstream_feed()
    with local_server(handler) as upstream:
        _restart_without_refetch(tmp_path, upstream.server_port, requests)


def _restart_without_refetch(tmp_path: Path, upstream_port: int, requests: list[str]) -> None:
    port = free_port()
    config = _instance_with_feed(tmp_path, port, upstream_port, "up", source_keys="interval_minutes = 30\n")
    base = f"http://127.0.0.1:{port}"
    process = _start(config)
    try:
        deadline = time.monotonic() + 30
        titles: list[str] = []
        while time.monotonic() < deadline:
            try:
                response = httpx.get(f"{base}/feeds/news.rss", timeout=2)
                titles = [e.title for e in feedparser.parse(response.content).entries]
            except httpx.TransportError:
                pass
            if {"上游的第一篇文章", "上游的第二篇文章"} <= set(titles):
                break
            time.sleep(0.2)
        else:
            raise AssertionError(f"the upstream items never reached news.rss: {titles}")
        status = httpx.get(f"{base}/status", timeout=5)
        assert "<td>up</td>" in status.text
        metrics = httpx.get(f"{base}/metrics", timeout=5).text
        assert 'feeds_fetches_total{outcome="new"} 2' in metrics  # the inbox and the feed, in the first tick
        assert "feeds_source_duration_seconds_count " in metrics
        time.sleep(2.5)  # more ticks: the source is not due again for 30 minutes
        assert requests == ["/feed.xml"]
    finally:
        if process.poll() is None:
            _stop(process)

    process = _start(config)
    try:
        _first_cycle_done(base)
        time.sleep(2.5)  # a few ticks of the restarted service
        assert requests == ["/feed.xml"], "the restarted service fetched a source that was not due"
        titles = [e.title for e in feedparser.parse(httpx.get(f"{base}/feeds/news.rss").content).entries]
        assert {"上游的第一篇文章", "上游的第二篇文章"} <= set(titles)
    finally:
        if process.poll() is None:
            _stop(process)


def test_sigterm_during_a_hanging_fetch_exits_in_time_and_the_source_runs_after_restart(tmp_path: Path) -> None:
    requests: list[float] = []
    release = threading.Event()

    class Hanging(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            requests.append(time.monotonic())
            release.wait(60)  # answers nothing until the test ends
            self.send_response(503)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    try:
        with local_server(Hanging) as upstream:
            _stop_during_a_hanging_fetch(tmp_path, upstream.server_port, requests)
    finally:
        release.set()


def _stop_during_a_hanging_fetch(tmp_path: Path, upstream_port: int, requests: list[float]) -> None:
    port = free_port()
    config = _instance_with_feed(tmp_path, port, upstream_port, "slow", fetch_keys="total_timeout = 60\n")
    process = _start(config)
    try:
        deadline = time.monotonic() + 30
        while not requests and time.monotonic() < deadline:
            time.sleep(0.1)
        assert requests, "the service never fetched the slow source"
    finally:
        if process.poll() is None:
            output = _stop(process)  # exit code 0 within 10 s, no traceback
    assert "sources left for the next run" in output and "slow" in output, output

    process = _start(config)  # the source was released: due at once, fetched again by the first tick
    try:
        deadline = time.monotonic() + 30
        while len(requests) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        assert len(requests) == 2, "the source abandoned at stop was not fetched after the restart"
    finally:
        if process.poll() is None:
            _stop(process)


def test_sighup_reads_the_configuration_again_and_a_new_source_is_published(tmp_path: Path) -> None:
    port = free_port()
    config = make_instance(tmp_path, port=port, cycle_seconds=3600)  # no second tick: only SIGHUP can do it
    base = f"http://127.0.0.1:{port}"
    process = _start(config)
    try:
        _first_cycle_done(base)
        extra = tmp_path / "extra"
        extra.mkdir()
        (extra / "one.txt").write_text(
            "重读配置后的文章\n发布时间:2024-12-24 09:00\n会议围绕重读配置开展协商。委员们提出了意见建议。\n",
            encoding="utf-8",
        )
        with (config / "sources.toml").open("a", encoding="utf-8") as fh:
            fh.write(f'\n[[source]]\nid = "extra"\nkind = "capture"\npath = "{extra}"\ncategory = "news"\n')
        process.send_signal(signal.SIGHUP)
        deadline = time.monotonic() + 20
        titles: list[str] = []
        while "重读配置后的文章" not in titles and time.monotonic() < deadline:
            time.sleep(0.2)
            titles = [e.title for e in feedparser.parse(httpx.get(f"{base}/feeds/news.rss").content).entries]
        assert "重读配置后的文章" in titles
        assert "<td>extra</td>" in httpx.get(f"{base}/status", timeout=5).text
    finally:
        if process.poll() is None:
            output = _stop(process)
    assert "configuration reloaded" in output
