"""Feed sources through the whole chain, against a local upstream server."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import feedparser
import pytest

from feeds.config import Settings, load_settings
from feeds.serve.jobs import build, ingest
from feeds.store import Store
from tests.conftest import make_instance

NOW = datetime(2024, 12, 25, 0, 0, tzinfo=UTC)


def _rss(*items: tuple[str, str, str]) -> bytes:
    entries = "".join(
        f"<item><title>{title}</title><link>https://up.example.org/{guid}.html</link><guid>{guid}</guid>"
        f"<pubDate>{date}</pubDate><category>政协动态</category>"
        f"<description><![CDATA[<p>{title}。这是正文的第一段,讲述了会议的主要内容。</p>"
        f"<p>原文链接:https://origin.example.org/{guid}.html</p>]]></description></item>"
        for guid, title, date in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>上游新闻</title>'
        f"<link>https://up.example.org/</link><description>d</description><ttl>60</ttl>{entries}</channel></rss>"
    ).encode()


class Upstream:
    def __init__(self) -> None:
        self.body = _rss(("a1", "第一篇文章", "Mon, 23 Dec 2024 10:00:00 +0800"))
        self.status = 200
        self.requests: list[dict[str, str]] = []
        self.pages: dict[str, bytes] = {}


@pytest.fixture
def upstream() -> Iterator[tuple[Upstream, str]]:
    state = Upstream()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            state.requests.append({"path": self.path, **dict(self.headers)})
            if self.path in state.pages:
                page = state.pages[self.path]
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(page)))
                self.end_headers()
                self.wfile.write(page)
                return
            if state.status != 200:
                self.send_response(state.status)
                self.end_headers()
                return
            etag = f'"{hash(state.body) & 0xFFFFFFFF:x}"'
            if self.headers.get("If-None-Match") == etag:
                self.send_response(304)
                self.end_headers()
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml; charset=utf-8")
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", format_datetime(NOW, usegmt=True))
            self.send_header("Content-Length", str(len(state.body)))
            self.end_headers()
            self.wfile.write(state.body)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}/feed.xml"
    finally:
        server.shutdown()
        server.server_close()


def _settings(tmp_path: Path, url: str, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("FEEDS_DATABASE_URL", raising=False)
    config = make_instance(tmp_path)
    feeds_toml = config / "feeds.toml"
    feeds_toml.write_text(feeds_toml.read_text() + '\n[fetch]\nallow_networks = ["127.0.0.0/8"]\n')
    (config / "sources.toml").write_text(
        f'[[source]]\nid = "up"\nkind = "feed"\nurl = "{url}"\ncategory = "news"\ninterval_minutes = 30\n',
        encoding="utf-8",
    )
    return load_settings(config)


def test_a_feed_is_ingested_then_polled_politely(
    tmp_path: Path, upstream: tuple[Upstream, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = upstream
    settings = _settings(tmp_path, url, monkeypatch)
    with Store.open(settings.database_url) as store:
        first = ingest(settings, store, now=NOW)
        assert [(r.new, r.error) for r in first.sources] == [(1, None)]
        build(settings, store)
        [article] = store.feed_articles(None, 10)
        assert article.title == "第一篇文章"
        assert article.origin_url == "https://origin.example.org/a1.html"
        assert article.published == datetime(2024, 12, 23, 2, 0, tzinfo=UTC)
        assert "cppcc" in article.categories  # the upstream category named like the category
        saved = store.source_state("up")
        assert saved.etag and saved.last_status == "ok" and saved.failures == 0
        assert saved.next_check_at == NOW + timedelta(minutes=60)  # <ttl>60</ttl> beats the 30-minute interval

        # Not due yet: nothing is requested.
        count = len(state.requests)
        later = ingest(settings, store, now=NOW + timedelta(minutes=10))
        assert later.sources[0].note is not None and "not due" in later.sources[0].note
        assert len(state.requests) == count

        # Due: a conditional GET that the server answers 304.
        due = NOW + timedelta(minutes=61)
        again = ingest(settings, store, now=due)
        assert again.sources[0].note == "not-modified"
        assert state.requests[-1].get("If-None-Match") == saved.etag

        # A new entry upstream arrives; the known one is not stored again.
        state.body = _rss(
            ("a2", "第二篇文章", "Tue, 24 Dec 2024 09:30:00 +0800"),
            ("a1", "第一篇文章", "Mon, 23 Dec 2024 10:00:00 +0800"),
        )
        third = ingest(settings, store, now=due + timedelta(minutes=61))
        assert [(r.new, r.unchanged, r.updated) for r in third.sources] == [(1, 1, 0)]
        build(settings, store)
    published = feedparser.parse((settings.output_dir / "feeds" / "all.atom").read_bytes())
    assert [e.title for e in published.entries] == ["第二篇文章", "第一篇文章"]


def test_upstream_errors_back_off_and_success_resets(
    tmp_path: Path, upstream: tuple[Upstream, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = upstream
    settings = _settings(tmp_path, url, monkeypatch)
    state.status = 500
    with Store.open(settings.database_url) as store:
        failed = ingest(settings, store, now=NOW)
        assert failed.sources[0].error is not None and "500" in failed.sources[0].error
        saved = store.source_state("up")
        assert saved.failures == 1 and saved.last_status == "error"
        assert saved.next_check_at is not None and NOW < saved.next_check_at <= NOW + timedelta(days=1)
        state.status = 200
        recovered = ingest(settings, store, source_ids=["up"], now=NOW + timedelta(minutes=1))
        assert recovered.sources[0].new == 1
        assert store.source_state("up").failures == 0
        state.status = 410
        gone = ingest(settings, store, now=NOW + timedelta(days=2))
        assert gone.sources[0].note == "gone (HTTP 410)"
        assert store.source_state("up").gone
        count = len(state.requests)
        ingest(settings, store, now=NOW + timedelta(days=3))
        assert len(state.requests) == count


def test_a_local_feed_file_is_a_source_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FEEDS_DATABASE_URL", raising=False)
    config = make_instance(tmp_path)
    (tmp_path / "local.xml").write_bytes(_rss(("l1", "本地文件里的文章", "Mon, 23 Dec 2024 10:00:00 +0800")))
    (config / "sources.toml").write_text(
        '[[source]]\nid = "local"\nkind = "feed"\npath = "local.xml"\ncategory = "news"\n', encoding="utf-8"
    )
    settings = load_settings(config)
    with Store.open(settings.database_url) as store:
        assert ingest(settings, store, now=NOW).sources[0].new == 1
        unchanged = ingest(settings, store, source_ids=["local"], now=NOW + timedelta(hours=1))
        assert unchanged.sources[0].note == "unchanged"


def test_parse_prints_every_entry_of_a_feed_file_and_a_feed_url(
    tmp_path: Path, upstream: tuple[Upstream, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    import json
    import subprocess
    import sys

    from feeds.serve.jobs import parse_document
    from tests.conftest import ROOT

    _state, url = upstream
    settings = _settings(tmp_path, url, monkeypatch)
    articles = parse_document(settings, url, settings.source("up"), now=NOW)
    assert [a.title for a in articles] == ["第一篇文章"]
    feed_file = tmp_path / "two.xml"
    feed_file.write_bytes(
        _rss(("b1", "甲文章", "Mon, 23 Dec 2024 10:00:00 +0800"), ("b2", "乙文章", "Mon, 23 Dec 2024 11:00:00 +0800"))
    )
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "parse", str(feed_file), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    assert [a["title"] for a in printed] == ["甲文章", "乙文章"]
    assert [a["published"] for a in printed] == ["2024-12-23T02:00:00Z", "2024-12-23T03:00:00Z"]
    assert all(a["origin_url"].startswith("https://origin.example.org/") for a in printed)


ARTICLE_PAGE = """<html><head><meta charset="utf-8"><title>全文页面_上游网</title></head><body>
<div class="nav">首页 新闻</div><div class="article"><h1>全文页面</h1>
<div class="content"><p>这是文章页面里的完整正文第一段,内容比摘要长得多,包含会议的全部细节。</p>
<p>第二段继续介绍会议提出的意见建议和下一步工作安排。</p></div></div>
<div class="footer">版权所有 上游网</div></body></html>"""


def test_full_text_fetches_the_page_of_new_entries_only(
    tmp_path: Path, upstream: tuple[Upstream, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = upstream
    base = url.rsplit("/", 1)[0]
    state.body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>上游</title>'
        f"<link>{base}/</link><description>d</description><item><title>摘要标题</title>"
        f"<link>{base}/page/f1.html</link><guid>f1</guid><pubDate>Mon, 23 Dec 2024 10:00:00 +0800</pubDate>"
        "<description>只有一句摘要。</description></item></channel></rss>"
    ).encode()
    state.pages["/page/f1.html"] = ARTICLE_PAGE.encode()
    settings = _settings(tmp_path, url, monkeypatch)
    sources = settings.config_dir / "sources.toml"
    sources.write_text(sources.read_text(encoding="utf-8") + "full_text = true\n", encoding="utf-8")
    settings = load_settings(settings.config_dir)
    with Store.open(settings.database_url) as store:
        assert ingest(settings, store, now=NOW).sources[0].new == 1
        [article] = store.feed_articles(None, 10)
    assert article.title == "摘要标题"  # the entry's title and date win
    assert article.published == datetime(2024, 12, 23, 2, 0, tzinfo=UTC)
    assert article.content_text.startswith("这是文章页面里的完整正文第一段")
    assert "版权所有" not in article.content_text and "只有一句摘要" not in article.content_text
    assert [r["path"] for r in state.requests].count("/page/f1.html") == 1


def test_entries_keep_the_upstream_feed_they_came_through(
    tmp_path: Path, upstream: tuple[Upstream, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _state, url = upstream
    settings = _settings(tmp_path, url, monkeypatch)
    with Store.open(settings.database_url) as store:
        ingest(settings, store, now=NOW)
        [article] = store.feed_articles(None, 10)
    assert article.upstream is not None
    assert article.upstream.title == "上游新闻"
    assert article.upstream.url == url


def test_full_text_pages_are_read_with_their_site_rules(
    tmp_path: Path, upstream: tuple[Upstream, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    state, url = upstream
    base = url.rsplit("/", 1)[0]
    state.body = (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>上游</title>'
        f"<link>{base}/</link><description>d</description><item><title>摘要标题</title>"
        f"<link>{base}/page/r1.html</link><guid>r1</guid><pubDate>Mon, 23 Dec 2024 10:00:00 +0800</pubDate>"
        "<description>只有一句摘要。</description></item></channel></rss>"
    ).encode()
    state.pages["/page/r1.html"] = (
        "<html><head><title>站点标题</title></head><body>"
        '<div class="nav">首页 政协动态 委员风采 理论研究 图片新闻 视频 专题 联系我们</div>'
        '<div class="zoom"><p>规则指定的正文第一段,讲述了协商会议的主要内容。</p>'
        '<p class="share">分享到:微信 微博</p><p>规则指定的正文第二段。</p></div>'
        '<div class="side"><p>' + "侧栏里的长篇推荐文字,比正文长得多,会让通用抽取选错容器。" * 6 + "</p>"
        "<p>" + "侧栏第二段同样很长的推荐文字内容。" * 6 + "</p></div>"
        "</body></html>"
    ).encode()
    settings = _settings(tmp_path, url, monkeypatch)
    sources = settings.config_dir / "sources.toml"
    sources.write_text(
        sources.read_text(encoding="utf-8")
        + 'full_text = true\n\n[[site]]\nhost = "127.0.0.1"\nbody = "div.zoom"\nstrip = ["p.share"]\n',
        encoding="utf-8",
    )
    settings = load_settings(settings.config_dir)
    with Store.open(settings.database_url) as store:
        assert ingest(settings, store, now=NOW).sources[0].new == 1
        [article] = store.feed_articles(None, 10)
    assert article.content_text.startswith("规则指定的正文第一段")
    assert "规则指定的正文第二段" in article.content_text
    assert "分享到" not in article.content_text and "首页" not in article.content_text
    assert "侧栏" not in article.content_text  # the generic extractor would take the longer sidebar
