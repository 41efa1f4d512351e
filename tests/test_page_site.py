"""A site without a feed, end to end: a local fixture site (tests/fixtures/site) read as a page source.

The site has two list pages, articles in three layouts (a reprint page with the
seed's boilerplate and disclaimer, an old GB2312 table layout, a TRS CMS page
with ``<meta>`` tags served under the host name ``localhost``), a robots.txt
that disallows ``/private/`` (which the list links to) and a listed article
that answers 410 (deleted).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from feeds.cli import main
from feeds.config import Settings, load_settings
from feeds.models import Article, Precision
from feeds.serve.jobs import dry_run, ingest, prune
from feeds.store import Store
from tests.conftest import local_server, make_instance

SITE = Path(__file__).resolve().parent / "fixtures" / "site"
NOW = datetime(2024, 12, 20, 8, 0, tzinfo=UTC)
DISCLAIMER = "[免责声明] 本文来源于网络转载,仅供学习交流使用,不构成商业目的。"
ARTICLE_PATHS = {"/a/reprint-1.html", "/a/reprint-2.html", "/old/article_2.html", "/trs/t20241218_3.html"}


@dataclass
class Site:
    port: int = 0
    requests: list[tuple[str, str]] = field(default_factory=list)  # (host, path)
    overrides: dict[str, bytes] = field(default_factory=dict)
    statuses: dict[str, int] = field(default_factory=dict)  # path → an error status to answer with
    lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"http://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        with self.lock:
            return [path for _host, path in self.requests]

    def robots_requests(self) -> list[str]:
        with self.lock:
            return [host for host, path in self.requests if path == "/robots.txt"]

    def clear(self) -> None:
        with self.lock:
            self.requests.clear()


@pytest.fixture
def site() -> Iterator[Site]:
    state = Site()
    state.statuses["/a/missing.html"] = 410  # a deleted article: never requested again (404s are tried again)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:
            host = (self.headers.get("Host") or "").rsplit(":", 1)[0]
            path = urlsplit(self.path).path
            with state.lock:
                state.requests.append((host, path))
            if path in state.statuses:
                self._send(state.statuses[path], b"error", "text/plain")
                return
            body = state.overrides.get(path)
            target = (SITE / path.lstrip("/")).resolve()
            if body is None and target.is_relative_to(SITE) and target.is_file():
                body = target.read_bytes()
            if body is None:
                self._send(404, b"not found", "text/plain")
                return
            body = body.replace(b"{port}", str(state.port).encode())
            etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
            if self.headers.get("If-None-Match") == etag:
                self._send(304, b"", None, etag)
                return
            self._send(200, body, "text/plain" if path.endswith(".txt") else "text/html", etag)

        def _send(self, status: int, body: bytes, media_type: str | None, etag: str | None = None) -> None:
            self.send_response(status)
            if media_type:
                self.send_header("Content-Type", media_type)
            if etag:
                self.send_header("ETag", etag)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    with local_server(Handler) as server:
        state.port = server.server_port
        yield state


SOURCES = """
[[source]]
id = "site"
kind = "page"
name = "示例转载网"
url = "{list_url}"
category = "news"
timezone = "Asia/Shanghai"
links = "ul.news-list li"
list_title = "a"
list_date = "span.date"
next_page = "a.next"
max_pages = 3
min_delay = 0

# The old table layout: selectors of this source, read on every one of its pages (unmatched ones are skipped).
[source.rules]
title = "td.title"
body = "td.content"
date = "td.info"
source = "xpath://td[@class='info']/span[@class='src']"
date_format = "%Y年%m月%d日 %H:%M"

[[site]]
host = "localhost"
title = "meta[name=ArticleTitle]"
body = "div.TRS_Editor"
date = "meta[name=PubDate]"
source = "meta[name=ContentSource]"
author = "meta[name=Author]"
strip = ["p.editor-note"]
date_format = "%Y-%m-%d %H:%M"
timezone = "Asia/Shanghai"
"""


def _config(tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch, sources: str = SOURCES) -> Path:
    monkeypatch.delenv("FEEDS_DATABASE_URL", raising=False)
    config = make_instance(tmp_path)
    feeds_toml = config / "feeds.toml"
    feeds_toml.write_text(feeds_toml.read_text() + '\n[fetch]\nallow_networks = ["127.0.0.0/8"]\n')
    (config / "sources.toml").write_text(
        sources.format(list_url=site.url("/list/index.html")), encoding="utf-8"
    )
    return config


@pytest.fixture
def settings(tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch) -> Settings:
    return load_settings(_config(tmp_path, site, monkeypatch))


def test_one_ingest_yields_exactly_the_allowed_articles(site: Site, settings: Settings) -> None:
    with Store.open(settings.database_url) as store:
        report = ingest(settings, store, now=NOW)
        [result] = report.sources
        assert (result.new, result.failed, result.error) == (4, 1, None)  # the 410 article failed
        assert result.note == "1 article(s) disallowed by robots.txt"
        articles = {a.link: a for a in store.feed_articles(None, 50)}

    reprint = articles[site.url("/a/reprint-1.html")]
    assert reprint.title == "坚持和加强党的全面领导 展现新时代人民政协责任担当"
    assert reprint.published == datetime(2024, 12, 17, 16, 0, tzinfo=UTC)  # the list's 2024-12-18, Shanghai
    assert reprint.published_precision is Precision.DAY
    assert reprint.source_name == "示例转载网"
    assert reprint.origin_url == (
        "http://www.sdzx.gov.cn/articles/ch02373/202404/184ec8ac-c80a-4e50-8497-cdf652700502.shtml"
    )
    assert reprint.disclaimer is not None and reprint.disclaimer.kind == "reprint-notice"
    assert reprint.disclaimer.text.startswith(DISCLAIMER)
    for furniture in ("上一篇", "下一篇", "最新加入", "热门资讯", "李强主持", "免责声明", "原文链接"):
        assert furniture not in reprint.content_text

    second = articles[site.url("/a/reprint-2.html")]
    assert second.title == "把纪律规矩挺在前面"
    assert second.published == datetime(2024, 12, 15, 16, 0, tzinfo=UTC)
    assert second.disclaimer is not None and second.disclaimer.kind == "reprint-notice"

    old = articles[site.url("/old/article_2.html")]
    assert old.title == "县政协召开常委会议"
    assert old.published == datetime(2024, 12, 18, 1, 5, tzinfo=UTC)  # 09:05 in Shanghai
    assert old.published_precision is Precision.MINUTE
    assert old.source_name == "某某县政协办公室"
    assert old.content_text.startswith("12月18日上午，县政协召开十届常委会第十二次会议")
    assert "打印本页" not in old.content_text and "版权所有" not in old.content_text
    assert old.disclaimer is None

    trs = articles[site.url("/trs/t20241218_3.html", host="localhost")]
    assert trs.title == "聚焦高质量发展 市政协开展专题协商"
    assert trs.published == datetime(2024, 12, 18, 8, 12, tzinfo=UTC)  # 16:12 in Shanghai
    assert trs.source_name == "某某市政协研究室"
    assert trs.author == "刘洋"
    assert "本文图片" not in trs.content_text  # stripped by the site's rules
    assert "分享到" not in trs.content_text

    assert len(articles) == 4
    paths = site.paths()
    assert "/private/secret.html" not in paths
    assert paths.count("/a/missing.html") == 1
    assert sorted(site.robots_requests()) == ["127.0.0.1", "localhost"]  # once per host, then cached
    assert paths.count("/list/index_1.html") == 1
    for path in ARTICLE_PATHS:
        assert paths.count(path) == 1, path


def test_a_second_ingest_fetches_no_article_again(site: Site, settings: Settings) -> None:
    with Store.open(settings.database_url) as store:
        ingest(settings, store, now=NOW)
        site.clear()
        again = ingest(settings, store, now=NOW + timedelta(days=1))
        [result] = again.sources
        assert (result.new, result.failed, result.error, result.note) == (0, 0, None, "not-modified")
        assert set(site.paths()) <= {"/robots.txt", "/list/index.html"}

        # A new article on the list: only it is fetched; page 2 is read, its articles are not.
        page = (SITE / "list" / "index.html").read_bytes()
        new_item = '<li><a href="/a/reprint-3.html">新的一篇</a><span class="date">2024-12-21</span></li>'
        listed = '<ul class="news-list">'
        site.overrides["/list/index.html"] = page.replace(listed.encode(), (listed + new_item).encode())
        site.overrides["/a/reprint-3.html"] = (
            '<html><head><meta charset="utf-8"><title>新的一篇_示例转载网</title></head><body><h1>新的一篇</h1>'
            '<div class="content"><p>市政协召开提案办理协商会,围绕城市更新与老旧小区改造听取委员意见建议。</p>'
            "<p>会议强调,要坚持问题导向,推动提案办理由“重答复”向“重落实”转变。</p></div></body></html>"
        ).encode()
        site.clear()
        third = ingest(settings, store, now=NOW + timedelta(days=2))
        [result] = third.sources
        assert (result.new, result.failed, result.error) == (1, 0, None)
        paths = site.paths()
        assert not ARTICLE_PATHS & set(paths)
        assert "/a/missing.html" not in paths and "/private/secret.html" not in paths
        assert paths.count("/a/reprint-3.html") == 1
        assert store.count_articles() == 5


def test_sources_test_prints_what_would_be_extracted(
    site: Site, settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        main(["--config", str(settings.config_dir), "sources", "test", "site", "--limit", "5"])
    assert stopped.value.code == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    assert lines[0] == f"source: site (page) {site.url('/list/index.html')}"
    assert lines[2] == f"links: 5 found; next page: {site.url('/list/index_1.html')}"
    title = "坚持和加强党的全面领导 展现新时代人民政协责任担当"
    assert f"  1. {site.url('/a/reprint-1.html')}  |  {title}  |  2024-12-18" in lines
    trs_url = site.url("/trs/t20241218_3.html", host="localhost")
    assert f"  3. {trs_url}  |  聚焦高质量发展 市政协开展专题协商  |  2024-12-18" in lines
    blocks = out.split("\narticle ")[1:]
    assert len(blocks) == 5
    first = blocks[0].splitlines()
    assert first[0] == f"1/5: {site.url('/a/reprint-1.html')}"
    assert "  title:      坚持和加强党的全面领导 展现新时代人民政协责任担当" in first
    assert "  published:  2024-12-17T16:00:00Z = 2024-12-18 00:00:00 Asia/Shanghai (day)" in first
    assert "  source:     示例转载网" in first
    sentence = (
        "坚持和加强党对人民政协工作的全面领导,是习近平总书记关于加强和改进人民政协工作的重要思想的根和魂,"
        "是做好人民政协工作必须坚持的政治方向、政治立场和政治原则。"
    )
    assert f"  body:       {sentence}" in first
    assert any(line.startswith(f"  disclaimer: reprint-notice: {DISCLAIMER}") for line in first)
    old = blocks[1].splitlines()
    assert "  title:      县政协召开常委会议" in old
    assert "  published:  2024-12-18T01:05:00Z = 2024-12-18 09:05:00 Asia/Shanghai (minute)" in old
    assert "  source:     某某县政协办公室" in old
    assert "  disclaimer: -" in old
    trs = blocks[2].splitlines()
    assert "  author:     刘洋" in trs
    assert "  published:  2024-12-18T08:12:00Z = 2024-12-18 16:12:00 Asia/Shanghai (minute)" in trs
    assert blocks[3].splitlines()[1] == "  error:      disallowed by robots.txt"
    assert blocks[4].splitlines()[1] == "  error:      HTTP 410"
    # Nothing stored, nothing disallowed requested.
    assert not (settings.base_dir / "var" / "feeds.db").exists()
    assert "/private/secret.html" not in site.paths()


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (
            ('links = "ul.news-list li"', 'links = "ul.news-list li["'),
            "config: sources.toml: source[0].links: source 'site': invalid CSS selector 'ul.news-list li[':",
        ),
        (
            ('next_page = "a.next"', 'next_page = "//a[@class=\'next\'"'),
            "config: sources.toml: source[0].next_page: source 'site': invalid XPath",
        ),
        (
            ('body = "div.TRS_Editor"', 'body = "div..TRS_Editor"'),
            "config: sources.toml: site[0].body: site 'localhost': invalid CSS selector 'div..TRS_Editor':",
        ),
        (
            ('strip = ["p.editor-note"]', 'strip = ["p.editor-note", "p:unknown-thing"]'),
            "config: sources.toml: site[0].strip[1]: site 'localhost': invalid CSS selector 'p:unknown-thing':",
        ),
        (
            ('author = "meta[name=Author]"', 'autor = "meta[name=Author]"'),
            "config: sources.toml: site[0].autor: unknown key (expected one of: host, title, body,",
        ),
        (
            ('body = "td.content"', 'content = "td.content"'),
            "config: sources.toml: source[0].rules.content: unknown key (expected one of: title, body,",
        ),
        (
            ('date_format = "%Y-%m-%d %H:%M"', 'date_format = "%Y-%m-%d %Q"'),
            "config: sources.toml: site[0].date_format: unsupported directive(s) %Q",
        ),
    ],
)
def test_a_bad_selector_or_rule_key_fails_start_up_with_one_line(
    tmp_path: Path,
    site: Site,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    change: tuple[str, str],
    expected: str,
) -> None:
    old, new = change
    assert old in SOURCES
    config = _config(tmp_path, site, monkeypatch, SOURCES.replace(old, new))
    with pytest.raises(SystemExit) as stopped:
        main(["--config", str(config), "sources", "list"])
    assert stopped.value.code == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1
    assert err.startswith(f"feeds: {expected}"), err
    assert site.paths() == []


def test_a_site_time_zone_reads_the_zone_less_dates_of_its_pages(
    tmp_path: Path, site: Site, monkeypatch: pytest.MonkeyPatch
) -> None:
    zoned = 'date_format = "%Y-%m-%d %H:%M"\ntimezone = "Asia/Shanghai"'
    sources = SOURCES.replace(zoned, 'timezone = "Europe/Berlin"')
    assert sources != SOURCES
    settings = load_settings(_config(tmp_path, site, monkeypatch, sources))
    report = dry_run(settings, "site", limit=3)
    assert [p.error for p in report.articles] == [None, None, None]
    reprint, old, trs = (p.article for p in report.articles)
    assert trs is not None and trs.published == datetime(2024, 12, 18, 15, 12, tzinfo=UTC)  # 16:12 in Berlin
    assert trs.published_precision is Precision.MINUTE
    assert old is not None and old.published == datetime(2024, 12, 18, 1, 5, tzinfo=UTC)  # the source's zone
    assert reprint is not None and reprint.published == datetime(2024, 12, 17, 16, 0, tzinfo=UTC)


def test_article_errors_are_retried_and_list_page_errors_back_off(site: Site, settings: Settings) -> None:
    site.statuses["/a/reprint-2.html"] = 500
    with Store.open(settings.database_url) as store:
        [first] = ingest(settings, store, now=NOW).sources
        assert (first.new, first.failed, first.error) == (3, 2, None)  # the 500 and the 410
        assert store.source_state("site").etag is None  # the list is read in full next time

        del site.statuses["/a/reprint-2.html"]
        site.clear()
        [second] = ingest(settings, store, now=NOW + timedelta(hours=1)).sources
        assert (second.new, second.failed, second.error) == (1, 0, None)
        assert [p for p in site.paths() if p.startswith(("/a/", "/old/", "/trs/", "/private/"))] == [
            "/a/reprint-2.html"
        ]
        assert store.source_state("site").etag is not None

        site.statuses["/list/index.html"] = 503
        later = NOW + timedelta(hours=2)
        [third] = ingest(settings, store, now=later).sources
        assert third.error is not None and "HTTP 503" in third.error
        state = store.source_state("site")
        assert state.failures == 1 and state.last_status == "error"
        assert state.next_check_at is not None and state.next_check_at >= later + timedelta(minutes=5)

        site.statuses["/list/index.html"] = 410
        [fourth] = ingest(settings, store, source_ids=["site"], now=later + timedelta(days=1)).sources
        assert fourth.note == "gone (HTTP 410)"
        assert store.source_state("site").gone


def test_a_run_cut_short_fetches_the_missed_articles_next_time(
    site: Site, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    upsert = Store.upsert
    cut = site.url("/a/reprint-2.html")

    def crash(self: Store, article: Article, **kwargs: Any) -> Any:
        if article.link == cut:
            raise RuntimeError("the process died here")
        return upsert(self, article, **kwargs)

    with Store.open(settings.database_url) as store:
        monkeypatch.setattr(Store, "upsert", crash)
        with pytest.raises(RuntimeError):
            ingest(settings, store, now=NOW)
        monkeypatch.setattr(Store, "upsert", upsert)
        assert cut not in {a.link for a in store.feed_articles(None, 50)}
        # the claim runs out; the list page is read again (its validators were not saved) and what was missed comes
        site.clear()
        report = ingest(settings, store, now=NOW + timedelta(minutes=16))
        assert [r.error for r in report.sources] == [None]
        assert cut in {a.link for a in store.feed_articles(None, 50)}
        assert store.count_articles() == 4
        assert site.paths().count("/a/reprint-1.html") == 0  # stored before the crash: not fetched again


def test_with_retention_every_list_page_is_walked_now_and_then_so_listed_articles_are_not_forgotten(
    site: Site, settings: Settings
) -> None:
    settings = replace(settings, retention=replace(settings.retention, days=3))  # a walk of every page each day
    with Store.open(settings.database_url) as store:
        ingest(settings, store, now=NOW)
        site.clear()
        ingest(settings, store, now=NOW + timedelta(hours=2))  # the same day: the first list page, not modified
        assert "/list/index_1.html" not in site.paths()
        page = (SITE / "list" / "index.html").read_bytes()
        for day in (1, 2, 3):
            # the first page changes every day (a visit counter) and lists nothing new
            site.overrides["/list/index.html"] = page + f"<!-- {day * 1000} visits -->".encode()
            site.clear()
            [result] = ingest(settings, store, now=NOW + timedelta(days=day)).sources
            assert (result.new, result.error) == (0, None)
            paths = site.paths()
            assert "/list/index_1.html" in paths  # walked, though the first page lists no unseen article
            assert not ARTICLE_PATHS & set(paths)  # and no article fetched again
        prune(settings, store, now=NOW + timedelta(days=4))  # forgets what was last listed over 3 days ago

        # page 1 gains an article, so the run goes on to page 2: its article is still known
        new_item = '<li><a href="/a/reprint-3.html">新的一篇</a><span class="date">2024-12-24</span></li>'
        listed = '<ul class="news-list">'
        site.overrides["/list/index.html"] = page.replace(listed.encode(), (listed + new_item).encode())
        site.statuses["/a/reprint-3.html"] = 404
        site.clear()
        ingest(settings, store, now=NOW + timedelta(days=4, hours=1))
        paths = site.paths()
        assert "/list/index_1.html" in paths and "/a/reprint-3.html" in paths
        assert "/a/reprint-2.html" not in paths


def test_a_listed_article_answering_404_is_tried_at_the_next_runs_and_read_once_it_is_up(
    site: Site, settings: Settings
) -> None:
    site.statuses["/a/missing.html"] = 404  # linked a moment before the page is up
    with Store.open(settings.database_url) as store:
        [first] = ingest(settings, store, now=NOW).sources
        assert (first.new, first.failed) == (4, 1)
        assert store.source_state("site").etag is None  # the list is read in full next time
        site.clear()
        [second] = ingest(settings, store, now=NOW + timedelta(hours=1)).sources
        assert (second.new, second.failed) == (0, 1)
        assert site.paths().count("/a/missing.html") == 1 and not ARTICLE_PATHS & set(site.paths())
        del site.statuses["/a/missing.html"]
        site.overrides["/a/missing.html"] = (
            '<html><head><meta charset="utf-8"><title>迟到的文章_示例转载网</title></head><body><h1>迟到的文章</h1>'
            '<div class="content"><p>市政协召开专题协商会,围绕养老服务体系建设听取委员意见。</p></div></body></html>'
        ).encode()
        [third] = ingest(settings, store, now=NOW + timedelta(hours=2)).sources
        assert (third.new, third.failed) == (1, 0)
        assert "迟到的文章" in {a.title for a in store.feed_articles(None, 50)}
        assert store.source_state("site").etag is not None  # nothing left to try again


def test_a_listed_article_answering_404_at_every_try_is_given_up(site: Site, settings: Settings) -> None:
    site.statuses["/a/missing.html"] = 404
    with Store.open(settings.database_url) as store:
        for hour in range(5):
            ingest(settings, store, now=NOW + timedelta(hours=hour))
        assert site.paths().count("/a/missing.html") == 3  # three runs tried it
        assert store.source_state("site").etag is not None  # and the list is read conditionally again
