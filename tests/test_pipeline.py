"""The whole chain on the bundled samples: capture → extract → normalize → store → publish."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import feedparser
import pytest

from feeds.config import Settings, load_settings
from feeds.serve.jobs import build, ingest
from feeds.store import Store
from tests.conftest import ROOT, SEED, make_instance

SEED_TITLE = "坚持和加强党的全面领导 展现新时代人民政协责任担当"
SEED_ORIGIN = "http://www.sdzx.gov.cn/articles/ch02373/202404/184ec8ac-c80a-4e50-8497-cdf652700502.shtml"


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("FEEDS_DATABASE_URL", raising=False)
    return load_settings(make_instance(tmp_path))


def _snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_ingest_publishes_every_category_and_all(settings: Settings) -> None:
    with Store.open(settings.database_url) as store:
        report = ingest(settings, store)
        assert report.ok
        assert [(r.source_id, r.new, r.failed) for r in report.sources] == [("inbox", 4, 0)]
        build(settings, store)
    feeds_dir = settings.output_dir / "feeds"
    for slug in ["all", *(c.slug for c in settings.categories)]:
        assert (feeds_dir / f"{slug}.rss").is_file()
        assert (feeds_dir / f"{slug}.atom").is_file()
    everything = feedparser.parse((feeds_dir / "all.atom").read_bytes())
    assert not everything.bozo
    assert len(everything.entries) == 4
    cppcc = feedparser.parse((feeds_dir / "cppcc.rss").read_bytes())
    assert SEED_TITLE in [e.title for e in cppcc.entries]
    seed = next(e for e in cppcc.entries if e.title == SEED_TITLE)
    assert seed.link == SEED_ORIGIN
    assert "免责声明" not in seed.description
    assert "上一篇" not in seed.content[0].value
    assert "最新加入" not in seed.content[0].value
    index = (settings.output_dir / "index.html").read_text(encoding="utf-8")
    assert 'type="application/atom+xml"' in index and "feeds/cppcc.atom" in index


def test_a_second_pass_changes_nothing_and_rewrites_no_file(settings: Settings) -> None:
    with Store.open(settings.database_url) as store:
        ingest(settings, store)
        build(settings, store)
        before = _snapshot(settings.output_dir)
        again = ingest(settings, store)
        assert [(r.new, r.updated) for r in again.sources] == [(0, 0)]
        assert not again.dirty
        assert build(settings, store) == []
    assert _snapshot(settings.output_dir) == before


def test_an_edited_capture_keeps_its_id_and_gets_a_new_updated(settings: Settings) -> None:
    inbox = settings.source("inbox").path
    assert inbox is not None
    with Store.open(settings.database_url) as store:
        ingest(settings, store)
        old = {a.title: a for a in store.feed_articles(None, 50)}[SEED_TITLE]
        path = inbox / "sdzx-party-leadership.txt"
        path.write_text(path.read_text(encoding="utf-8").replace("干出政协新样子", "干出政协新面貌"), encoding="utf-8")
        report = ingest(settings, store)
        assert [(r.new, r.updated) for r in report.sources] == [(0, 1)]
        new = {a.title: a for a in store.feed_articles(None, 50)}[SEED_TITLE]
    assert new.id == old.id
    assert "干出政协新面貌" in new.content_text
    assert new.updated is not None and (old.updated is None or new.updated >= old.updated)
    assert new.first_seen == old.first_seen


def test_parse_json_prints_the_documented_fields_for_the_seed() -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "parse", str(SEED), "--json"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    [article] = json.loads(done.stdout)
    fields = {
        "id",
        "title",
        "link",
        "origin_url",
        "source_name",
        "author",
        "published",
        "updated",
        "published_precision",
        "language",
        "summary",
        "content_html",
        "content_text",
        "categories",
        "disclaimer",
        "rights",
    }
    assert fields <= set(article)
    assert article["title"] == SEED_TITLE
    assert article["origin_url"] == SEED_ORIGIN
    assert article["published"] == "2024-03-31T16:00:00Z"
    assert article["published_precision"] == "month"
    assert article["disclaimer"]["kind"] == "reprint-notice"
    assert "免责声明" not in article["content_text"]
    assert article["content_text"].count("\n\n") == 6
    for gone in ("上一篇", "下一篇", "最新加入", "热门资讯", "李强主持", "原文链接"):
        assert gone not in article["content_text"]
        assert gone not in article["content_html"]
