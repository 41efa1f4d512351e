"""RFC 5005 archived feeds: a chain of fixed-size pages behind each subscription document."""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree

from feeds.errors import PublishError
from feeds.models import Article, Feed
from feeds.publish import publish
from tests.publish.articles import BASE_URL, article, at
from tests.publish.test_render import assert_valid_atom

A = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
FEEDS = "http://feeds.example.org/feeds/"
SIZE = 3


def make(count: int) -> list[Article]:
    """``count`` articles one hour apart, newest first (``a000`` the oldest)."""
    start = at("2024-01-01T00:00:00")
    return [
        article(id=f"a{i:03d}", title=f"Article {i}", link=f"https://news.example.com/{i}", origin_url=None,
                published=start + timedelta(hours=i), first_seen=start + timedelta(hours=i))
        for i in reversed(range(count))
    ]  # fmt: skip


def run(output: Path, stored: Sequence[Article], *, size: int = SIZE, only: set[str] | None = None) -> list[Path]:
    """Publish feed "news" the way the service does: the newest ``size`` articles, the rest archived."""
    oldest_first = list(reversed(stored))

    def load(slug: str, offset: int, limit: int) -> list[Article]:
        assert slug == "news"
        return oldest_first[offset : offset + limit]

    feed = Feed(
        slug="news",
        title="News",
        description="",
        language="en",
        articles=tuple(stored[:size]),
        updated=None,
        archived=max(len(stored) - size, 0),
    )
    return publish([feed], output_dir=output, base_url=BASE_URL, site_title="Feeds", archive=load, only=only)


def links(root: etree._Element, fmt: str) -> dict[str, str]:
    parent = root if fmt == "atom" else root.find("channel")
    assert parent is not None
    return {link.get("rel", ""): link.get("href", "") for link in parent.findall(f"{A}link")}


def ids(root: etree._Element, fmt: str) -> list[str]:
    if fmt == "atom":
        return [str(e.findtext(f"{A}id")).rsplit("/", 1)[1] for e in root.findall(f"{A}entry")]
    return [str(i.findtext("guid")).rsplit("/", 1)[1] for i in root.iter("item")]


def load_doc(output: Path, url: str) -> etree._Element:
    assert url.startswith(FEEDS), url
    return etree.parse(str(output / "feeds" / url[len(FEEDS) :])).getroot()


def walk_back(output: Path, fmt: str) -> tuple[list[str], list[etree._Element]]:
    """Every item from the subscription document back through prev-archive, and the archive pages seen."""
    root = etree.parse(str(output / "feeds" / f"news.{fmt}")).getroot()
    collected, pages = ids(root, fmt), []
    while "prev-archive" in links(root, fmt):
        root = load_doc(output, links(root, fmt)["prev-archive"])
        pages.append(root)
        collected += ids(root, fmt)
    return collected, pages


@pytest.mark.parametrize("fmt", ["atom", "rss"])
@pytest.mark.parametrize("count", [3, 4, 8, 9, 10, 16])
def test_the_chain_from_the_subscription_document_holds_every_item_once_in_order(
    tmp_path: Path, fmt: str, count: int
) -> None:
    stored = make(count)
    run(tmp_path, stored)
    collected, pages = walk_back(tmp_path, fmt)
    assert collected == [a.id for a in stored]
    # Fixed-size pages numbered from the oldest; only the newest is partial (or empty when the others are full).
    archived = count - SIZE
    assert len(pages) == (archived // SIZE + 1 if archived else 0)
    for number, root in enumerate(reversed(pages), start=1):
        found = links(root, fmt)
        assert found["self"] == f"{FEEDS}archive/news-{number}.{fmt}"
        assert found["current"] == f"{FEEDS}news.{fmt}"
        assert ("prev-archive" in found) == (number > 1)
        assert found.get("next-archive") == (f"{FEEDS}archive/news-{number + 1}.{fmt}" if number < len(pages) else None)
        parent = root if fmt == "atom" else root.find("channel")
        assert parent is not None and parent.find(f"{FH}archive") is not None
        oldest_first = [a.id for a in stored[SIZE:]][::-1]
        expected = oldest_first[(number - 1) * SIZE : number * SIZE][::-1]
        assert ids(root, fmt) == expected


def test_a_feed_without_older_articles_has_no_archive(tmp_path: Path) -> None:
    run(tmp_path, make(2))
    for fmt in ("atom", "rss"):
        root = etree.parse(str(tmp_path / "feeds" / f"news.{fmt}")).getroot()
        assert "prev-archive" not in links(root, fmt)
    assert not (tmp_path / "feeds" / "archive").exists()


def test_the_subscription_document_is_no_archive_and_json_is_unchanged(tmp_path: Path) -> None:
    run(tmp_path, make(8))
    root = etree.parse(str(tmp_path / "feeds" / "news.atom")).getroot()
    assert root.find(f"{FH}archive") is None
    assert links(root, "atom")["prev-archive"] == f"{FEEDS}archive/news-2.atom"
    assert not list((tmp_path / "feeds" / "archive").glob("*.json"))


@pytest.mark.parametrize("count", [4, 9, 11])
def test_archive_pages_are_valid_atom_and_read_without_errors(tmp_path: Path, count: int) -> None:
    run(tmp_path, make(count))
    pages = sorted((tmp_path / "feeds" / "archive").glob("news-*.atom"))
    assert pages
    for path in [*pages, *sorted((tmp_path / "feeds" / "archive").glob("news-*.rss"))]:
        data = path.read_bytes()
        if path.suffix == ".atom":
            assert_valid_atom(data)
        parsed: Any = feedparser.parse(data)
        assert not parsed.bozo, (path.name, parsed.get("bozo_exception"))


def snapshot(directory: Path) -> dict[str, tuple[bytes, int]]:
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(directory.glob("*")) if p.is_file()}


def age(directory: Path) -> None:
    for path in directory.rglob("*"):
        if path.is_file():
            os.utime(path, ns=(1_000_000_000, 1_000_000_000))


def test_full_pages_keep_their_bytes_and_mtime_when_new_articles_arrive(tmp_path: Path) -> None:
    archive = tmp_path / "feeds" / "archive"
    run(tmp_path, make(10))  # 7 archived: pages 1 and 2 full, page 3 holds one article
    age(tmp_path)
    before = snapshot(archive)
    written = run(tmp_path, make(12), only={"news"})  # 9 archived: page 3 fills up, page 4 starts empty
    after = snapshot(archive)
    full = [f"news-{n}.{fmt}{gz}" for n in (1, 2) for fmt in ("atom", "rss") for gz in ("", ".gz")]
    for name in full:
        assert after[name] == before[name], name
    assert all(path.parent != archive or not path.name.startswith(("news-1.", "news-2.")) for path in written)
    assert after["news-3.atom"] != before["news-3.atom"] and "news-4.atom" in after
    collected, _ = walk_back(tmp_path, "atom")
    assert collected == [a.id for a in make(12)]


def test_pages_filled_since_the_last_publish_are_rewritten_even_several_at_once(tmp_path: Path) -> None:
    run(tmp_path, make(4))  # page 1 holds one article
    run(tmp_path, make(17), only={"news"})  # 14 archived: pages 1-4 full, page 5 partial
    for fmt in ("atom", "rss"):
        collected, pages = walk_back(tmp_path, fmt)
        assert collected == [a.id for a in make(17)]
        assert len(pages) == 5


def test_a_full_rebuild_renders_every_page_and_an_incremental_one_keeps_full_pages(tmp_path: Path) -> None:
    stored = make(10)
    run(tmp_path, stored)
    oldest = stored[-1]
    edited = [*stored[:-1], article(**{**oldest.__dict__, "title": "Article 0, corrected"})]
    run(tmp_path, edited, only={"news"})
    assert b"corrected" not in (tmp_path / "feeds" / "archive" / "news-1.atom").read_bytes()
    run(tmp_path, edited)
    assert b"corrected" in (tmp_path / "feeds" / "archive" / "news-1.atom").read_bytes()
    assert b"corrected" in (tmp_path / "feeds" / "archive" / "news-1.rss").read_bytes()


def test_rebuilding_unchanged_data_rewrites_no_archive_page(tmp_path: Path) -> None:
    run(tmp_path, make(10))
    assert [p for p in run(tmp_path, make(10)) if "archive" in p.parts] == []


def test_a_store_giving_fewer_articles_than_counted_is_an_error_naming_the_page(tmp_path: Path) -> None:
    feed = Feed(slug="news", title="News", description="", language="en", articles=tuple(make(3)), updated=None,
                archived=5)  # fmt: skip
    with pytest.raises(PublishError, match=r"news-1\.atom: archive page 1 of feed 'news' expected 3 articles"):
        publish([feed], output_dir=tmp_path, base_url=BASE_URL, site_title="F", archive=lambda s, o, n: [])


def test_an_empty_newest_page_is_dated_by_the_oldest_article_of_the_subscription_document(tmp_path: Path) -> None:
    stored = make(9)  # 6 archived: pages 1 and 2 full, page 3 empty
    run(tmp_path, stored)
    page = etree.parse(str(tmp_path / "feeds" / "archive" / "news-3.atom")).getroot()
    assert page.findall(f"{A}entry") == []
    oldest_current = stored[SIZE - 1].published
    assert oldest_current is not None
    assert page.findtext(f"{A}updated") == oldest_current.isoformat()
