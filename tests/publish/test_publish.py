"""publish(): the whole output tree, rewritten only where bytes change."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import feedparser
import pytest

from feeds.errors import PublishError
from feeds.models import Feed
from feeds.publish import publish
from tests.publish.articles import BASE_URL, XSS, article, rights_footer, sample_articles, sample_feed


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


def run(output: Path, items: list[Feed] | None = None) -> list[Path]:
    return publish(
        items if items is not None else feeds(),
        output_dir=output,
        base_url=BASE_URL,
        site_title="Feeds",
        footer=rights_footer,
    )


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(directory)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(directory.rglob("*"))
        if p.is_file()
    }


def test_publish_writes_both_formats_of_every_feed_and_the_index(tmp_path: Path) -> None:
    written = run(tmp_path)
    names = ["feeds/cppcc.rss", "feeds/cppcc.atom", "feeds/all.rss", "feeds/all.atom", "index.html"]
    assert written == [tmp_path / name for name in names]
    assert sorted(snapshot(tmp_path)) == sorted(names)
    cppcc = feedparser.parse((tmp_path / "feeds" / "cppcc.atom").read_bytes())
    assert not cppcc.bozo
    assert len(cppcc.entries) == 2
    index = (tmp_path / "index.html").read_text(encoding="utf-8")
    assert f'href="{BASE_URL}feeds/cppcc.atom"' in index
    assert '<html lang="zh-CN">' in index  # the language of the "all" feed


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
        tmp_path / "feeds" / "cppcc.rss",
        tmp_path / "feeds" / "cppcc.atom",
        tmp_path / "index.html",
    ]


def test_a_script_title_is_escaped_in_every_published_file(tmp_path: Path) -> None:
    evil = sample_feed(title=XSS, articles=(article(title=XSS),))
    run(tmp_path, [evil])
    for name, (data, _) in snapshot(tmp_path).items():
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
