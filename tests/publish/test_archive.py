"""RFC 5005 archived feeds: a chain of fixed-size pages behind each subscription document."""

from __future__ import annotations

import gzip
import json
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


def json_ids(document: dict[str, Any]) -> list[str]:
    return [str(item["id"]).rsplit("/", 1)[1] for item in document["items"]]


def load_json(output: Path, url: str) -> tuple[bytes, dict[str, Any]]:
    assert url.startswith(FEEDS), url
    data = (output / "feeds" / url[len(FEEDS) :]).read_bytes()
    document: dict[str, Any] = json.loads(data)
    return data, document


def walk_back_json(output: Path) -> tuple[list[str], list[dict[str, Any]]]:
    """Every item from the JSON subscription document on through next_url, and the archive pages seen."""
    _, document = load_json(output, f"{FEEDS}news.json")
    collected, pages, seen = json_ids(document), [], {document["feed_url"]}
    while "next_url" in document:
        url = document["next_url"]
        assert url not in seen  # JSON Feed: next_url is neither feed_url nor a next_url seen before
        seen.add(url)
        _, document = load_json(output, url)
        pages.append(document)
        collected += json_ids(document)
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


def test_the_subscription_document_is_no_archive_and_links_the_newest_page(tmp_path: Path) -> None:
    run(tmp_path, make(8))
    root = etree.parse(str(tmp_path / "feeds" / "news.atom")).getroot()
    assert root.find(f"{FH}archive") is None
    assert links(root, "atom")["prev-archive"] == f"{FEEDS}archive/news-2.atom"
    current = json.loads((tmp_path / "feeds" / "news.json").read_bytes())
    assert current["feed_url"] == f"{FEEDS}news.json"
    assert current["next_url"] == f"{FEEDS}archive/news-2.json"
    assert "_feeds" not in current


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
    full = [f"news-{n}.{fmt}{gz}" for n in (1, 2) for fmt in ("atom", "rss", "json") for gz in ("", ".gz")]
    for name in full:
        assert after[name] == before[name], name
    assert all(path.parent != archive or not path.name.startswith(("news-1.", "news-2.")) for path in written)
    assert after["news-3.atom"] != before["news-3.atom"] and "news-4.atom" in after
    assert after["news-3.json"] != before["news-3.json"] and "news-4.json" in after
    collected, _ = walk_back(tmp_path, "atom")
    assert collected == [a.id for a in make(12)]
    collected, _ = walk_back_json(tmp_path)
    assert collected == [a.id for a in make(12)]


def test_pages_filled_since_the_last_publish_are_rewritten_even_several_at_once(tmp_path: Path) -> None:
    run(tmp_path, make(4))  # page 1 holds one article
    run(tmp_path, make(17), only={"news"})  # 14 archived: pages 1-4 full, page 5 partial
    for fmt in ("atom", "rss"):
        collected, pages = walk_back(tmp_path, fmt)
        assert collected == [a.id for a in make(17)]
        assert len(pages) == 5
    collected, documents = walk_back_json(tmp_path)
    assert collected == [a.id for a in make(17)]
    assert len(documents) == 5


def test_a_page_whose_content_quotes_the_full_page_link_is_still_rewritten_when_it_fills(tmp_path: Path) -> None:
    quoting = '<p><a rel="next-archive" href="https://example.com/">"newer_url": "x"</a></p>'

    def stored(count: int) -> list[Article]:
        found = make(count)
        return [*found[:-1], article(**{**found[-1].__dict__, "content_html": quoting})]

    run(tmp_path, stored(4))  # page 1 holds the quoting article alone
    run(tmp_path, stored(8), only={"news"})  # page 1 full, page 2 partial
    for fmt in ("atom", "rss"):
        collected, _ = walk_back(tmp_path, fmt)
        assert collected == [a.id for a in make(8)]
    collected, _ = walk_back_json(tmp_path)
    assert collected == [a.id for a in make(8)]


def test_a_full_rebuild_renders_every_page_and_an_incremental_one_keeps_full_pages(tmp_path: Path) -> None:
    stored = make(10)
    run(tmp_path, stored)
    oldest = stored[-1]
    edited = [*stored[:-1], article(**{**oldest.__dict__, "title": "Article 0, corrected"})]
    run(tmp_path, edited, only={"news"})
    for fmt in ("atom", "rss", "json"):
        assert b"corrected" not in (tmp_path / "feeds" / "archive" / f"news-1.{fmt}").read_bytes()
    run(tmp_path, edited)
    for fmt in ("atom", "rss", "json"):
        assert b"corrected" in (tmp_path / "feeds" / "archive" / f"news-1.{fmt}").read_bytes()


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


@pytest.mark.parametrize("count", [3, 4, 8, 9, 10, 16])
def test_the_json_chain_from_the_subscription_document_holds_every_item_once_in_order(
    tmp_path: Path, count: int
) -> None:
    stored = make(count)
    run(tmp_path, stored)
    collected, pages = walk_back_json(tmp_path)
    assert collected == [a.id for a in stored]
    archived = count - SIZE
    assert len(pages) == (archived // SIZE + 1 if archived else 0)
    oldest_first = [a.id for a in stored[SIZE:]][::-1]
    for number, document in enumerate(reversed(pages), start=1):
        assert document["version"] == "https://jsonfeed.org/version/1.1"
        assert document["feed_url"] == f"{FEEDS}news.json"  # the feed's identity, as on the subscription document
        assert document["_feeds"]["archive"] is True
        assert document["_feeds"]["page_url"] == f"{FEEDS}archive/news-{number}.json"
        newer = f"{FEEDS}archive/news-{number + 1}.json" if number < len(pages) else None
        assert document["_feeds"].get("newer_url") == newer
        assert document.get("next_url") == (f"{FEEDS}archive/news-{number - 1}.json" if number > 1 else None)
        assert json_ids(document) == oldest_first[(number - 1) * SIZE : number * SIZE][::-1]


@pytest.mark.parametrize("count", [4, 10, 11])
def test_json_pages_hold_the_items_of_the_rss_and_atom_pages_and_read_back_unchanged(
    tmp_path: Path, count: int
) -> None:
    run(tmp_path, make(count))
    archive = tmp_path / "feeds" / "archive"
    numbers = sorted(int(p.stem.rsplit("-", 1)[1]) for p in archive.glob("news-*.json"))
    assert numbers == list(range(1, len(numbers) + 1)) and numbers
    for number in numbers:
        data, document = load_json(tmp_path, f"{FEEDS}archive/news-{number}.json")
        # The bytes are those json itself writes for the parsed value: nothing is lost or reordered.
        assert data.decode("utf-8") == json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        atom = etree.parse(str(archive / f"news-{number}.atom")).getroot()
        rss = etree.parse(str(archive / f"news-{number}.rss")).getroot()
        assert json_ids(document) == ids(atom, "atom") == ids(rss, "rss")
        entries = atom.findall(f"{A}entry")
        assert [item["title"] for item in document["items"]] == [e.findtext(f"{A}title") for e in entries]
        assert [item["url"] for item in document["items"]] == [
            e.find(f"{A}link[@rel='alternate']").get("href")  # type: ignore[union-attr]
            for e in entries
        ]
        assert [item["date_published"] for item in document["items"]] == [e.findtext(f"{A}published") for e in entries]
        assert [item["content_html"] for item in document["items"]] == [e.findtext(f"{A}content") for e in entries]
        gz = gzip.decompress((archive / f"news-{number}.json.gz").read_bytes())
        assert gz == data


def test_json_archive_pages_keep_their_bytes_across_rebuilds(tmp_path: Path) -> None:
    run(tmp_path, make(11))
    archive = tmp_path / "feeds" / "archive"
    first = {p.name: p.read_bytes() for p in sorted(archive.glob("*.json*"))}
    other = tmp_path / "other"
    run(other, make(11))
    assert {p.name: p.read_bytes() for p in sorted((other / "feeds" / "archive").glob("*.json*"))} == first
    assert [p for p in run(tmp_path, make(11)) if p.suffix == ".json" or p.name.endswith(".json.gz")] == []


def test_archive_pages_on_worker_processes_are_those_of_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from feeds.publish import batch

    stored = make(SIZE * (batch.PARALLEL_MIN + 4) + 1)  # one job per page, one for the subscription documents
    monkeypatch.setattr(batch, "_cpus", lambda: 2)
    parallel = run(tmp_path / "parallel", stored)
    monkeypatch.setattr(batch, "PARALLEL_MIN", 10_000)
    serial = run(tmp_path / "serial", stored)
    assert [p.relative_to(tmp_path / "parallel") for p in parallel] == [
        p.relative_to(tmp_path / "serial") for p in serial
    ]
    assert {k: v[0] for k, v in snapshot(tmp_path / "parallel" / "feeds" / "archive").items()} == {
        k: v[0] for k, v in snapshot(tmp_path / "serial" / "feeds" / "archive").items()
    }
    for fmt in ("atom", "rss"):
        assert walk_back(tmp_path / "parallel", fmt)[0] == [a.id for a in stored]
    assert walk_back_json(tmp_path / "parallel")[0] == [a.id for a in stored]


def test_a_full_page_cut_short_by_a_crash_is_written_again(tmp_path: Path) -> None:
    run(tmp_path, make(10))  # pages 1 and 2 full, page 3 partial
    archive = tmp_path / "feeds" / "archive"
    for fmt in ("atom", "rss", "json"):
        page = archive / f"news-1.{fmt}"
        data = page.read_bytes()
        page.write_bytes(data[: len(data) // 2])  # what a crash before the end-of-batch flush can leave
    written = run(tmp_path, make(10), only={"news"})
    assert {archive / f"news-1.{fmt}" for fmt in ("atom", "rss", "json")} <= set(written)
    for fmt in ("atom", "rss"):
        assert walk_back(tmp_path, fmt)[0] == [a.id for a in make(10)]
    assert walk_back_json(tmp_path)[0] == [a.id for a in make(10)]
