"""The service's jobs: due sources claimed and run a few at a time, debounced publishing, retention."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from urllib.parse import parse_qs

import feedparser
import pytest

from feeds.config import Settings, load_settings
from feeds.errors import StoreError
from feeds.publish.websub import Pinger
from feeds.serve.jobs import ingest, prune
from feeds.serve.reload import ConfigWatch
from feeds.serve.scheduler import Cycle
from feeds.store import Store
from tests.conftest import local_server, make_instance

NOW = datetime(2024, 12, 25, 0, 0, tzinfo=UTC)
SOURCES = 6


class Upstream:
    """Feeds at /<n>.xml, each answered after a pause; counts requests and the most in flight at once."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.in_flight = 0
        self.most = 0
        self.paths: list[str] = []
        self.pause = 0.4
        self.extra = ""  # another item in every feed, when set


@pytest.fixture
def upstream() -> Iterator[tuple[Upstream, int]]:
    state = Upstream()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            with state.lock:
                state.paths.append(self.path)
                state.in_flight += 1
                state.most = max(state.most, state.in_flight)
            try:
                time.sleep(state.pause)
                n = self.path.strip("/").removesuffix(".xml")
                body = (
                    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>上游</title>'
                    "<link>http://up.example.org/</link><description>d</description>"
                    f"<item><title>来源{n}的文章</title><link>http://up.example.org/{n}.html</link><guid>g{n}</guid>"
                    "<pubDate>Mon, 23 Dec 2024 10:00:00 +0800</pubDate>"
                    f"<description>&lt;p&gt;来源{n}的正文,内容各不相同:{n * 40}&lt;/p&gt;</description></item>"
                    f"{state.extra.format(n=n)}</channel></rss>"
                ).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
            finally:
                with state.lock:
                    state.in_flight -= 1

        def log_message(self, *args: object) -> None:
            pass

    with local_server(Handler) as server:
        yield state, server.server_port


def _settings(tmp_path: Path, port: int, extra: str = "", schedule: str = "") -> Settings:
    config = make_instance(tmp_path)
    main = config / "feeds.toml"
    text = main.read_text(encoding="utf-8")
    if "publish_delay_seconds" in schedule:
        text = text.replace("publish_delay_seconds = 1\n", "")
    text = text.replace("[schedule]\n", f"[schedule]\n{schedule}")
    main.write_text(f'{text}[fetch]\nallow_networks = ["127.0.0.0/8"]\nper_host = 8\n{extra}', encoding="utf-8")
    with (config / "sources.toml").open("a", encoding="utf-8") as fh:
        for n in range(SOURCES):
            fh.write(
                f'\n[[source]]\nid = "up{n}"\nkind = "feed"\nurl = "http://127.0.0.1:{port}/{n}.xml"\n'
                'category = "news"\ninterval_minutes = 30\n'
            )
    return load_settings(config)


def test_due_sources_run_at_most_concurrency_at_once(tmp_path: Path, upstream: tuple[Upstream, int]) -> None:
    state, port = upstream
    settings = _settings(tmp_path, port, schedule="concurrency = 3\n")
    done: list[tuple[str, int, int]] = []
    with Store.open(settings.database_url) as store:
        report = ingest(settings, store, now=NOW, on_source=lambda r, n, total: done.append((r.source_id, n, total)))
    assert state.most == 3
    assert sorted(state.paths) == [f"/{n}.xml" for n in range(SOURCES)]
    # reports in the order of the configuration; the callback counted every source as it finished
    assert [r.source_id for r in report.sources] == ["inbox", *(f"up{n}" for n in range(SOURCES))]
    assert [r.new for r in report.sources[1:]] == [1] * SOURCES
    assert sorted(n for _, n, _ in done) == list(range(1, SOURCES + 2))
    assert {total for _, _, total in done} == {SOURCES + 1}


def test_sources_not_due_are_not_fetched_until_their_next_check(
    tmp_path: Path, upstream: tuple[Upstream, int]
) -> None:
    state, port = upstream
    state.pause = 0
    settings = _settings(tmp_path, port)
    with Store.open(settings.database_url) as store:
        ingest(settings, store, now=NOW)
        again = ingest(settings, store, now=NOW + timedelta(minutes=29))
        assert len(state.paths) == SOURCES
        skipped = [r for r in again.sources if r.source_id != "inbox"]
        assert all(not r.ran and r.note is not None and r.note.startswith("not due until") for r in skipped)
        ingest(settings, store, now=NOW + timedelta(minutes=31))
        assert len(state.paths) == 2 * SOURCES


def test_one_source_named_runs_whether_due_or_not(tmp_path: Path, upstream: tuple[Upstream, int]) -> None:
    state, port = upstream
    state.pause = 0
    settings = _settings(tmp_path, port)
    with Store.open(settings.database_url) as store:
        ingest(settings, store, now=NOW)
        report = ingest(settings, store, source_ids=["up2"], now=NOW + timedelta(minutes=1))
    assert [r.source_id for r in report.sources] == ["up2"]
    assert state.paths[-1] == "/2.xml" and len(state.paths) == SOURCES + 1


def test_publishing_waits_for_the_delay_and_takes_every_change_meanwhile(
    tmp_path: Path, upstream: tuple[Upstream, int]
) -> None:
    state, port = upstream
    state.pause = 0
    settings = _settings(tmp_path, port, schedule="publish_delay_seconds = 3600\n")
    waits: list[float] = []
    written: list[object] = []
    inbox = settings.source("inbox").path
    assert inbox is not None
    with Store.open(settings.database_url) as store:
        cycle = Cycle(settings, store, on_written=written.append, later=waits.append)
        cycle()  # the first tick publishes everything at once
        assert waits == [] and len(written) == 1
        news = settings.output_dir / "feeds" / "news.rss"
        before = news.read_bytes()
        for n in range(2):
            (inbox / f"late{n}.txt").write_text(
                f"第{n}篇晚到的文章\n发布时间:2024-12-0{n + 1} 09:00\n"
                f"会议围绕第{n}项工作开展协商。委员们提出了意见建议。\n",
                encoding="utf-8",
            )
            cycle()
        assert len(waits) == 2 and all(0 < w <= 3600 for w in waits)
        assert len(written) == 1 and news.read_bytes() == before  # nothing published yet
        cycle.publish()  # the delayed publish job
        assert len(written) == 2
        titles = [e.title for e in feedparser.parse(news.read_bytes()).entries]
        assert {"第0篇晚到的文章", "第1篇晚到的文章"} <= set(titles)
        cycle.publish()  # nothing pending: nothing written
        assert len(written) == 2


def test_a_requested_refresh_publishes_at_once(tmp_path: Path, upstream: tuple[Upstream, int]) -> None:
    state, port = upstream
    state.pause = 0
    settings = _settings(tmp_path, port, schedule="publish_delay_seconds = 3600\n")
    waits: list[float] = []
    with Store.open(settings.database_url) as store:
        cycle = Cycle(settings, store, later=waits.append)
        cycle()
        inbox = settings.source("inbox").path
        assert inbox is not None
        late = "晚到的文章\n会议围绕社区治理开展协商。委员们提出了意见建议。\n"
        (inbox / "late.txt").write_text(late, encoding="utf-8")
        cycle.request("inbox")
        cycle.run_requested()
    assert waits == []
    titles = [e.title for e in feedparser.parse((settings.output_dir / "feeds" / "news.rss").read_bytes()).entries]
    assert "晚到的文章" in titles


@pytest.mark.parametrize("archives", [True, False])
def test_prune_applies_retention(tmp_path: Path, upstream: tuple[Upstream, int], archives: bool) -> None:
    state, port = upstream
    state.pause = 0
    flag = "true" if archives else "false"
    settings = _settings(tmp_path, port, f"[retention]\ndays = 30\narchives = {flag}\n[defaults]\nitems_per_feed = 3\n")
    with Store.open(settings.database_url) as store:
        ingest(settings, store, now=NOW)
        total = store.count_articles()
        assert total == SOURCES + 4  # the feeds and the four sample captures
        assert prune(settings, store, now=NOW + timedelta(days=29)) is not None
        assert store.count_articles() == total  # nothing is older than 30 days yet
        result = prune(settings, store, now=NOW + timedelta(days=31))
        assert result is not None
        assert result.bands > 0
        if archives:
            assert result.articles == 0 and store.count_articles() == total
        else:
            # the newest three of "news" and of all stay; every category's own newest three too
            kept = {a.id for slug in [c.slug for c in settings.categories] for a in store.feed_articles(slug, 3)}
            kept |= {a.id for a in store.feed_articles(None, 3)}
            assert store.count_articles() == len(kept) < total
            assert result.articles == total - len(kept)


def test_no_retention_prunes_nothing(tmp_path: Path, upstream: tuple[Upstream, int]) -> None:
    _, port = upstream
    settings = _settings(tmp_path, port)
    with Store.open(settings.database_url) as store:
        assert prune(settings, store, now=NOW) is None


@pytest.mark.parametrize("failure", [RuntimeError("the process died here"), StoreError("upsert: database is gone")])
def test_a_run_cut_short_reads_the_feed_again_and_loses_nothing(
    tmp_path: Path, upstream: tuple[Upstream, int], monkeypatch: pytest.MonkeyPatch, failure: Exception
) -> None:
    state, port = upstream
    state.pause = 0
    settings = _settings(tmp_path, port, schedule="concurrency = 1\n")
    upsert = Store.upsert

    def fail(self: Store, article: object, **kwargs: object) -> object:
        if getattr(article, "source_id", None) == "up3":
            raise failure
        return upsert(self, article, **kwargs)  # type: ignore[arg-type]

    with Store.open(settings.database_url) as store:
        monkeypatch.setattr(Store, "upsert", fail)
        if isinstance(failure, StoreError):  # the source fails; the others go on
            report = ingest(settings, store, now=NOW)
            assert [r.error for r in report.sources if r.source_id == "up3"] == [str(failure)]
            assert store.seen("up3", f"http://127.0.0.1:{port}/g3") is None  # the document is not recorded as processed
        else:
            with pytest.raises(RuntimeError):
                ingest(settings, store, now=NOW)
        monkeypatch.setattr(Store, "upsert", upsert)
        assert "来源3的文章" not in {a.title for a in store.feed_articles(None, 100)}
        # the claim of the source that was cut short runs out; its feed, unchanged upstream, is read again
        report = ingest(settings, store, now=NOW + timedelta(minutes=16))
        assert [r.new for r in report.sources if r.source_id == "up3"] == [1]
        assert "来源3的文章" in {a.title for a in store.feed_articles(None, 100)}
        assert store.seen("up3", f"http://127.0.0.1:{port}/g3") is not None


def test_a_stopped_ingest_runs_nothing_more_and_releases_its_claims(
    tmp_path: Path, upstream: tuple[Upstream, int]
) -> None:
    state, port = upstream
    settings = _settings(tmp_path, port)
    stop = threading.Event()
    stop.set()
    with Store.open(settings.database_url) as store:
        report = ingest(settings, store, now=NOW, stop=stop)
        assert state.paths == []
        assert all(not r.ran for r in report.sources)
        # released: due at once, not after the claim's lease
        assert store.claim([f"up{n}" for n in range(SOURCES)], now=NOW, until=NOW + timedelta(minutes=1)) == [
            f"up{n}" for n in range(SOURCES)
        ]


def test_one_log_line_per_source_with_its_url_status_items_and_duration(
    tmp_path: Path, upstream: tuple[Upstream, int], caplog: pytest.LogCaptureFixture
) -> None:
    state, port = upstream
    state.pause = 0
    settings = _settings(tmp_path, port)
    with Store.open(settings.database_url) as store, caplog.at_level("INFO", logger="feeds.serve.jobs.ingest"):
        ingest(settings, store, now=NOW)
    lines = {r.source_id: r for r in caplog.records if r.getMessage() == "source ingested"}  # type: ignore[attr-defined]
    assert sorted(lines) == ["inbox", *(f"up{n}" for n in range(SOURCES))]
    up = lines["up2"]
    assert (up.url, up.status, up.new) == (f"http://127.0.0.1:{port}/2.xml", "ok", 1)  # type: ignore[attr-defined]
    assert up.duration_ms >= 0  # type: ignore[attr-defined]
    assert lines["inbox"].status == "scanned"  # type: ignore[attr-defined]


def test_a_pruned_article_its_source_still_lists_does_not_come_back(
    tmp_path: Path, upstream: tuple[Upstream, int]
) -> None:
    state, port = upstream
    state.pause = 0
    extra = "[retention]\ndays = 30\narchives = false\n[defaults]\nitems_per_feed = 2\n"
    settings = _settings(tmp_path, port, extra)
    month = timedelta(days=31)
    with Store.open(settings.database_url) as store:
        ingest(settings, store, now=NOW)
        ingest(settings, store, now=NOW + month)  # every feed unchanged: what they list is still listed
        result = prune(settings, store, now=NOW + month)
        assert result is not None and result.articles > 0 and result.documents == 0
        left = store.count_articles()
        # the feeds change: each lists a new item beside the old one, whose article was pruned
        state.extra = (
            "<item><title>来源{n}的新文章</title><link>http://up.example.org/new{n}.html</link><guid>new{n}</guid>"
            "<pubDate>Sat, 25 Jan 2025 10:00:00 +0800</pubDate>"
            "<description>&lt;p&gt;来源{n}的新正文,又是一件完全不同的事情:{n}&lt;/p&gt;</description></item>"
        )
        report = ingest(settings, store, now=NOW + 2 * month)
        assert [r.new for r in report.sources if r.source_id.startswith("up")] == [1] * SOURCES
        assert store.count_articles() == left + SOURCES  # the new items only: no pruned article came back


def test_a_slow_websub_hub_holds_up_no_publish(tmp_path: Path, upstream: tuple[Upstream, int]) -> None:
    state, port = upstream
    state.pause = 0
    pinged: list[bytes] = []
    answer = threading.Event()

    class Hub(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            pinged.append(self.rfile.read(int(self.headers["Content-Length"])))
            answer.wait(10)
            self.send_response(204)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    with local_server(Hub) as hub:
        settings = replace(_settings(tmp_path, port), websub_hub=f"http://127.0.0.1:{hub.server_port}/hub")
        pinger = Pinger(timeout=10)
        try:
            with Store.open(settings.database_url) as store:
                started = time.monotonic()
                Cycle(settings, store, pinger=pinger)()  # ingests, publishes and queues the pings
                took = time.monotonic() - started
                deadline = time.monotonic() + 5
                while not pinged and time.monotonic() < deadline:
                    time.sleep(0.01)
        finally:
            answer.set()
            pinger.close(timeout=10)
    assert pinged and took < 5  # the tick did not wait for the hub, which held each ping until the end
    urls = [parse_qs(body.decode())["hub.url"][0] for body in pinged]
    assert len(urls) == len(set(urls))  # each document once
    formats = ("rss", "atom", "json")
    news_and_all = {f"{settings.base_url}feeds/{slug}.{fmt}" for slug in ("news", "all") for fmt in formats}
    assert news_and_all <= set(urls)


def test_a_source_added_while_the_service_runs_is_read_at_the_next_tick(
    tmp_path: Path, upstream: tuple[Upstream, int]
) -> None:
    state, port = upstream
    state.pause = 0
    settings = _settings(tmp_path, port)
    with Store.open(settings.database_url) as store:
        cycle = Cycle(settings, store, watch=ConfigWatch(settings))
        cycle()
        before = store.count_articles()
        extra = tmp_path / "extra"
        extra.mkdir()
        (extra / "one.txt").write_text(
            "新增来源的文章\n发布时间:2024-12-24 09:00\n会议围绕新增来源的工作开展协商。委员们提出了意见建议。\n",
            encoding="utf-8",
        )
        with (settings.config_dir / "sources.toml").open("a", encoding="utf-8") as fh:
            fh.write(f'\n[[source]]\nid = "extra"\nkind = "capture"\npath = "{extra}"\ncategory = "news"\n')
        cycle()
        assert cycle.settings.source("extra").path == extra
        assert store.count_articles() == before + 1
        titles = [e.title for e in feedparser.parse((settings.output_dir / "feeds" / "news.rss").read_bytes()).entries]
        assert "新增来源的文章" in titles


def test_a_configuration_that_does_not_load_is_logged_and_the_last_one_kept(
    tmp_path: Path, upstream: tuple[Upstream, int], caplog: pytest.LogCaptureFixture
) -> None:
    state, port = upstream
    state.pause = 0
    settings = _settings(tmp_path, port)
    sources = settings.config_dir / "sources.toml"
    with Store.open(settings.database_url) as store:
        cycle = Cycle(settings, store, watch=ConfigWatch(settings))
        cycle()
        sources.write_text(sources.read_text(encoding="utf-8").replace('kind = "feed"', 'kind = "ftp"', 1))
        cycle()  # the tick goes on with the configuration it had
        assert cycle.settings is settings
        [record] = [r for r in caplog.records if r.getMessage().startswith("configuration not reloaded")]
        assert "sources.toml: source[1].kind" in record.error
        assert len(state.paths) == SOURCES


def test_keys_the_process_was_built_around_wait_for_a_restart(
    tmp_path: Path, upstream: tuple[Upstream, int], caplog: pytest.LogCaptureFixture
) -> None:
    state, port = upstream
    state.pause = 0
    settings = _settings(tmp_path, port)
    main = settings.config_dir / "feeds.toml"
    watch = ConfigWatch(settings)
    text = main.read_text(encoding="utf-8")
    edited = text.replace(f"port = {settings.server_port}", "port = 1")
    edited = edited.replace("[output]\n", '[output]\ntitle = "新"\n')
    main.write_text(edited, encoding="utf-8")
    new = watch.changed()
    assert new is not None and new.server_port == settings.server_port  # kept until a restart
    assert new.site_title == "新"  # applied at once
    [record] = [r for r in caplog.records if r.getMessage().startswith("configuration keys")]
    assert record.keys == "server_port"
    assert watch.changed() is None  # nothing changed since
    watch.ask()
    assert watch.changed() is None  # asked, read again, and the same as before
