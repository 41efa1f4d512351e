"""The whole chain on the bundled samples: capture → extract → normalize → store → publish."""

from __future__ import annotations

import gzip
import html
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


REPRINT_A = """县政协召开协商议事会 聚焦老旧小区加装电梯_甲市政协网
当前位置:首页 > 政协动态
发布时间:2024-11-18 15:30 来源:甲市政协
11月18日,县政协组织召开协商议事会,围绕老旧小区加装电梯、停车难和管网更新等问题开展专题协商,县政协主席出席会议并讲话。
会上,住建、城管和街道负责同志通报了今年老旧小区改造进展情况。政协委员和居民代表结合走访调研,就资金筹措、居民意见征集、施工期间交通组织等提出了十七条具体意见建议。
会议指出,老旧小区改造是民生工程,也是民心工程。要坚持问需于民、问计于民,把协商议事平台建在群众家门口,推动协商成果转化为看得见、摸得着的实际成效。
【免责声明】本网转载此文出于传递更多信息之目的,如有侵权请联系删除。
>>上一篇:县政协开展专题视察
"""

REPRINT_B = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8">
<title>县政协召开协商议事会 聚焦老旧小区加装电梯--乙县新闻网</title>
<meta property="og:url" content="https://news.yixian.example.cn/2024/1119/88.html">
</head><body><div class="nav">首页 新闻 政务</div>
<div class="article"><h1>县政协召开协商议事会 聚焦老旧小区加装电梯</h1>
<div class="info">发布时间:2024-11-19 08:00 来源:乙县新闻网</div>
<div class="content">
<p>11月18日,县政协组织召开协商议事会,围绕老旧小区加装电梯、停车难和管网更新等问题开展专题协商。县政协主席出席会议并讲话。</p>
<p>会上,住建、城管和街道负责同志通报了今年老旧小区改造进展情况。政协委员和居民代表结合走访调研,就资金筹措、居民意见征集、施工期间交通组织等提出了十七条具体意见建议。</p>
<p>会议指出,老旧小区改造是民生工程,也是民心工程。要坚持问需于民、问计于民,把协商议事平台建在群众家门口,推动协商成果转化为看得见、摸得着的实际成效。</p>
</div><p>转载请注明出处。</p></div>
<div class="footer">版权所有:乙县新闻网 ICP备000000号</div></body></html>
"""


def test_two_reprints_from_different_sites_give_one_entry_with_both_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("FEEDS_DATABASE_URL", raising=False)
    config = make_instance(tmp_path)
    for site, name, text in (("site-a", "a.txt", REPRINT_A), ("site-b", "b.html", REPRINT_B)):
        (tmp_path / site).mkdir()
        (tmp_path / site / name).write_text(text, encoding="utf-8")
    (config / "sources.toml").write_text(
        '[[source]]\nid = "site-a"\nkind = "capture"\npath = "site-a"\ncategory = "news"\n'
        '[[source]]\nid = "site-b"\nkind = "capture"\npath = "site-b"\ncategory = "news"\n',
        encoding="utf-8",
    )
    # one source at a time, in the order of the configuration: site-a's copy is stored first and keeps its content
    main = config / "feeds.toml"
    main.write_text(main.read_text(encoding="utf-8").replace("[schedule]\n", "[schedule]\nconcurrency = 1\n"))
    settings = load_settings(config)
    with Store.open(settings.database_url) as store:
        report = ingest(settings, store)
        assert [(r.source_id, r.new, r.updated) for r in report.sources] == [("site-a", 1, 0), ("site-b", 0, 1)]
        build(settings, store)
    atom = feedparser.parse((settings.output_dir / "feeds" / "cppcc.atom").read_bytes())
    assert [e.title for e in atom.entries] == ["县政协召开协商议事会 聚焦老旧小区加装电梯"]
    links = {(link.rel, link.href) for link in atom.entries[0].links}
    assert ("via", "https://news.yixian.example.cn/2024/1119/88.html") in links
    everything = feedparser.parse((settings.output_dir / "feeds" / "all.rss").read_bytes())
    assert len(everything.entries) == 1


HOSTILE = """<html><head><title>&lt;script&gt;alert(1)&lt;/script&gt;标题<script>alert(2)</script></title></head>
<body><div class="content">
<p>正文第一段,<a href="javascript:alert(3)">点击</a>这里<img src="x" onerror="alert(4)">。</p>
<p>第二段<iframe src="https://evil.example/"></iframe><svg onload="alert(5)"></svg>结束。</p>
<p><a href="/local/page.html" onclick="alert(6)">相对链接</a></p>
</div></body></html>
"""


def test_hostile_markup_does_not_survive_into_any_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FEEDS_DATABASE_URL", raising=False)
    config = make_instance(tmp_path)
    (tmp_path / "inbox" / "hostile.html").write_text(HOSTILE, encoding="utf-8")
    settings = load_settings(config)
    with Store.open(settings.database_url) as store:
        ingest(settings, store)
        build(settings, store)
    for path in sorted(settings.output_dir.rglob("*")):
        if not path.is_file():
            continue
        data = path.read_bytes()
        raw = (gzip.decompress(data) if path.suffix == ".gz" else data).decode("utf-8").lower()
        # feeds carry content HTML escaped once inside XML: check the text and its unescaped form
        for text in (raw, html.unescape(raw)):
            for vector in ("<script", "javascript:", "onerror", "onload", "onclick", "<iframe", "<svg"):
                assert vector not in text, (path.name, vector)


def test_a_new_article_rewrites_only_its_categories_and_all(settings: Settings) -> None:
    inbox = settings.source("inbox").path
    assert inbox is not None
    with Store.open(settings.database_url) as store:
        ingest(settings, store)
        build(settings, store)
        before = _snapshot(settings.output_dir)
        (inbox / "economy-new.txt").write_text(
            "一季度消费市场稳中有升\n发布时间:2024-12-20 10:00\n"
            "一季度全市社会消费品零售总额同比增长,消费市场稳中有升。\n",
            encoding="utf-8",
        )
        report = ingest(settings, store)
        assert report.dirty == {"economy"}
        written = build(settings, store, only=report.dirty)
    after = _snapshot(settings.output_dir)
    changed = {name for name in after if before.get(name) != after[name]}
    rewritten = {str(p.relative_to(settings.output_dir)) for p in written}
    assert changed == rewritten
    touched_feeds = {name.split("/")[1].split(".")[0] for name in changed if name.startswith("feeds/")}
    assert touched_feeds == {"economy", "all"}
    assert "index.html" in changed  # item counts changed
