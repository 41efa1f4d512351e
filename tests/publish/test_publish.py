"""publish(): the whole output tree, rewritten only where bytes change."""

from __future__ import annotations

import gzip
import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

import feedparser
import pytest

from feeds.errors import PublishError
from feeds.models import Feed
from feeds.publish import publish
from tests.publish.articles import BASE_URL, XSS, article, at, rights_footer, sample_articles, sample_feed

FORMATS = ("rss", "atom", "json")


def feeds() -> list[Feed]:
    articles = sample_articles()
    cppcc = Feed(
        slug="cppcc",
        title="政协",
        description="政协新闻",
        language="zh-CN",
        articles=tuple(a for a in articles if "cppcc" in a.categories),
        updated=None,
    )
    return [cppcc, sample_feed()]


def run(output: Path, items: list[Feed] | None = None, **kwargs: Any) -> list[Path]:
    kwargs.setdefault("footer", rights_footer)
    return publish(
        items if items is not None else feeds(),
        output_dir=output,
        base_url=BASE_URL,
        site_title="Feeds",
        **kwargs,
    )


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def with_gzip(*names: str) -> list[str]:
    return [name for plain in names for name in (plain, f"{plain}.gz")]


def feed_files(*slugs: str) -> list[str]:
    return with_gzip(*(f"feeds/{slug}.{fmt}" for slug in slugs for fmt in FORMATS))


def age(directory: Path) -> None:
    """Set every file's mtime into the past, so a rewrite shows."""
    for path in directory.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(1_000_000_000, 1_000_000_000))


def test_publish_writes_every_format_of_every_feed_the_index_opml_and_stylesheet(tmp_path: Path) -> None:
    written = run(tmp_path)
    names = with_gzip("feed.xsl") + feed_files("cppcc", "all") + with_gzip("index.html", "opml.xml")
    assert written == [tmp_path / name for name in names]
    assert sorted(snapshot(tmp_path)) == sorted(names)
    cppcc = feedparser.parse((tmp_path / "feeds" / "cppcc.atom").read_bytes())
    assert not cppcc.bozo
    assert len(cppcc.entries) == 2
    assert len(json.loads((tmp_path / "feeds" / "cppcc.json").read_bytes())["items"]) == 2
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert f'href="{BASE_URL}feeds/cppcc.atom"' in index
    assert f'href="{BASE_URL}feeds/cppcc.json"' in index
    assert f'href="{BASE_URL}opml.xml"' in index
    assert '<html lang="zh-CN">' in index  # the language of the "all" feed
    assert (tmp_path / "feeds" / "all.rss").read_bytes().split(b"\n")[1].startswith(b"<?xml-stylesheet")
    assert (tmp_path / "feed.xsl").read_bytes().startswith(b"<?xml")


def test_every_gz_holds_its_file_with_a_header_free_of_time_and_name(tmp_path: Path) -> None:
    run(tmp_path)
    packed = sorted(tmp_path.rglob("*.gz"))
    assert len(packed) == 9  # the stylesheet, 2 feeds × 3 formats, the index and the OPML list
    for path in packed:
        data = path.read_bytes()
        assert gzip.decompress(data) == path.with_suffix("").read_bytes(), path
        flags, mtime = data[3], data[4:8]
        assert flags == 0, path  # no FNAME, no FCOMMENT, no FEXTRA
        assert mtime == b"\0\0\0\0", path
    other = tmp_path.parent / f"{tmp_path.name}-again"
    run(other)
    assert [p.read_bytes() for p in packed] == [(other / p.relative_to(tmp_path)).read_bytes() for p in packed]


def test_publishing_again_rewrites_nothing(tmp_path: Path) -> None:
    run(tmp_path)
    before = snapshot(tmp_path)
    assert run(tmp_path) == []
    assert snapshot(tmp_path) == before


def test_a_change_rewrites_only_the_files_it_touches(tmp_path: Path) -> None:
    run(tmp_path)
    changed = feeds()
    changed[0] = replace(changed[0], title="政协要闻")
    assert run(tmp_path, changed) == [
        tmp_path / name for name in feed_files("cppcc") + with_gzip("index.html", "opml.xml")
    ]


def test_a_missing_gz_is_written_again_alone(tmp_path: Path) -> None:
    run(tmp_path)
    (tmp_path / "feeds" / "all.json.gz").unlink()
    assert run(tmp_path) == [tmp_path / "feeds" / "all.json.gz"]


def test_incremental_publish_renders_only_the_feeds_named(tmp_path: Path) -> None:
    run(tmp_path)
    age(tmp_path)
    before = snapshot(tmp_path)
    new = article(id="new", title="新文章", categories=("cppcc",), first_seen=at("2024-12-24T00:00:00"))
    changed = [replace(feed, articles=(new, *feed.articles), updated=None) for feed in feeds()]
    # "all" changed too but is not named: it is left as it was.
    written = run(tmp_path, changed, only={"cppcc"})
    assert written == [tmp_path / name for name in feed_files("cppcc") + with_gzip("index.html", "opml.xml")]
    after = snapshot(tmp_path)
    for name, (data, mtime) in before.items():
        if tmp_path / name not in written:
            assert after[name] == (data, mtime), name
    assert "新文章" in (tmp_path / "feeds" / "cppcc.rss").read_text(encoding="utf-8")
    assert "新文章" not in (tmp_path / "feeds" / "all.rss").read_text(encoding="utf-8")


def test_incremental_publish_leaves_index_and_opml_alone_when_they_did_not_change(tmp_path: Path) -> None:
    run(tmp_path)
    cppcc, everything = feeds()
    first, *rest = cppcc.articles
    edited = replace(cppcc, articles=(replace(first, summary="改过的摘要。"), *rest))  # same count, same dates
    assert run(tmp_path, [edited, everything], only={"cppcc"}) == [tmp_path / name for name in feed_files("cppcc")]
    assert run(tmp_path, [edited, everything], only=set()) == []


def test_a_feed_left_out_of_only_is_rendered_when_its_files_are_missing(tmp_path: Path) -> None:
    run(tmp_path, feeds()[:1])
    written = run(tmp_path, only={"cppcc"})
    assert [p for p in written if p.parent.name == "feeds"] == [tmp_path / name for name in feed_files("all")]


def test_a_script_title_is_escaped_in_every_published_file(tmp_path: Path) -> None:
    evil = sample_feed(title=XSS, articles=(article(title=XSS),))
    run(tmp_path, [evil])
    for name, (data, _) in snapshot(tmp_path).items():
        if name.endswith((".gz", ".xsl")):
            continue
        if name.endswith(".json"):
            assert XSS in json.loads(data)["title"], name  # JSON text, never markup
            continue
        if name == "opml.xml":  # lists category feeds only
            continue
        assert b"<script" not in data, name
        assert b"&lt;script&gt;" in data, name


@pytest.mark.parametrize("slug", ["../escape", "a/b", "", "All", "news\n"])
def test_a_slug_that_cannot_name_a_file_is_refused(tmp_path: Path, slug: str) -> None:
    with pytest.raises(PublishError, match="slug"):
        run(tmp_path, [sample_feed(slug=slug)])
    assert not any(tmp_path.iterdir())


def test_two_feeds_with_one_slug_are_refused(tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="share"):
        run(tmp_path, [sample_feed(), sample_feed()])


def test_a_write_failure_names_the_path(tmp_path: Path) -> None:
    (tmp_path / "feeds").write_bytes(b"a file where the feeds directory should be")
    with pytest.raises(PublishError, match=r"feeds/cppcc\.rss"):
        run(tmp_path)


def test_a_feed_file_left_empty_by_a_crash_is_written_again_though_its_feed_did_not_change(tmp_path: Path) -> None:
    run(tmp_path)
    (tmp_path / "feeds" / "cppcc.rss").write_bytes(b"")  # what a crash before the end-of-batch flush can leave
    (tmp_path / "feeds" / "cppcc.atom.gz").write_bytes(b"")
    written = run(tmp_path, only={"all"})
    assert tmp_path / "feeds" / "cppcc.rss" in written and tmp_path / "feeds" / "cppcc.atom.gz" in written
    assert gzip.decompress((tmp_path / "feeds" / "cppcc.atom.gz").read_bytes()).startswith(b"<?xml")


def test_a_subscription_document_cut_short_by_a_crash_is_written_again_though_its_feed_did_not_change(
    tmp_path: Path,
) -> None:
    run(tmp_path)
    document = tmp_path / "feeds" / "cppcc.json"
    whole = document.read_bytes()
    document.write_bytes(whole[: len(whole) // 2])  # what a crash before the end-of-batch flush can leave
    written = run(tmp_path, only={"all"})
    assert document in written and document.read_bytes() == whole


def test_a_large_batch_on_worker_processes_writes_what_one_process_writes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from feeds.publish import batch

    many = [
        sample_feed(slug=f"cat-{n:02d}", articles=(article(id=f"a{n}", title=f"第{n}篇"),), updated=None)
        for n in range(batch.PARALLEL_MIN + 6)
    ]
    monkeypatch.setattr(batch, "_cpus", lambda: 2)
    parallel = run(tmp_path / "parallel", many)
    monkeypatch.setattr(batch, "PARALLEL_MIN", 10_000)
    serial = run(tmp_path / "serial", many)
    assert [p.relative_to(tmp_path / "parallel") for p in parallel] == [
        p.relative_to(tmp_path / "serial") for p in serial
    ]
    assert {k: v[0] for k, v in snapshot(tmp_path / "parallel").items()} == {
        k: v[0] for k, v in snapshot(tmp_path / "serial").items()
    }


def test_a_footer_that_cannot_reach_a_worker_process_is_used_in_this_one(tmp_path: Path) -> None:
    from feeds.publish import batch

    many = [sample_feed(slug=f"cat-{n:02d}", updated=None) for n in range(batch.PARALLEL_MIN + 1)]
    run(tmp_path, many, footer=lambda item: "<p>local footer</p>")  # a lambda cannot be pickled
    assert "local footer" in (tmp_path / "feeds" / "cat-00.atom").read_text(encoding="utf-8")
