"""Feed icons per category, the item link a source prefers, and archives built from the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import feedparser
import pytest
from lxml import etree

from feeds.config import Settings, load_settings
from feeds.errors import ConfigError
from feeds.publish.entries import entries
from feeds.publish.render import render_atom, render_rss
from feeds.serve.jobs import build, ingest
from feeds.store import Store
from tests.conftest import make_instance
from tests.publish.articles import BASE_URL, article, sample_feed
from tests.publish.test_render import assert_valid_atom

A = "{http://www.w3.org/2005/Atom}"
ICON = "https://static.example.org/news.png"
MIRROR = "https://mirror.example.net/budget"
ORIGINAL = "https://news.example.com/budget"


# --------------------------------------------------------------------------- icon


def test_the_icon_is_atom_icon_and_rss_image() -> None:
    feed = sample_feed(icon=ICON)
    atom = etree.fromstring(render_atom(feed, base_url=BASE_URL))
    assert atom.findtext(f"{A}icon") == ICON
    assert atom.find(f"{A}logo") is None
    assert_valid_atom(render_atom(feed, base_url=BASE_URL))
    image = etree.fromstring(render_rss(feed, base_url=BASE_URL)).find("channel/image")
    assert image is not None
    assert [image.findtext(n) for n in ("url", "title", "link")] == [ICON, feed.title, BASE_URL]
    parsed: Any = feedparser.parse(render_rss(feed, base_url=BASE_URL))
    assert not parsed.bozo and parsed.feed.image.href == ICON


def test_without_an_icon_there_is_no_icon_or_image() -> None:
    assert etree.fromstring(render_atom(sample_feed(), base_url=BASE_URL)).find(f"{A}icon") is None
    assert etree.fromstring(render_rss(sample_feed(), base_url=BASE_URL)).find("channel/image") is None


# --------------------------------------------------------------------------- link preference


def atom_links(reprint_sources: set[str]) -> list[tuple[str | None, str | None]]:
    feed = sample_feed(articles=(article(link=MIRROR, origin_url=ORIGINAL, via=("https://third.example/b",)),))
    data = render_atom(feed, base_url=BASE_URL, items=entries(feed, BASE_URL, None, reprint_sources))
    assert_valid_atom(data)
    [entry] = etree.fromstring(data).findall(f"{A}entry")
    return [(link.get("rel"), link.get("href")) for link in entry.findall(f"{A}link")]


def test_original_links_to_the_original_with_the_page_read_from_as_via() -> None:
    assert atom_links(set()) == [("alternate", ORIGINAL), ("via", MIRROR), ("via", "https://third.example/b")]


def test_reprint_links_to_the_page_read_from_with_the_original_as_via() -> None:
    assert atom_links({"upstream"}) == [("alternate", MIRROR), ("via", "https://third.example/b"), ("via", ORIGINAL)]


def test_either_way_an_article_without_an_original_links_to_its_page() -> None:
    feed = sample_feed(articles=(article(link=MIRROR, origin_url=None),))
    for sources in (set(), {"upstream"}):
        [entry] = entries(feed, BASE_URL, None, sources)
        assert [(link.rel, link.href) for link in entry.links] == [("alternate", MIRROR)]


def test_rss_item_link_follows_the_preference() -> None:
    feed = sample_feed(articles=(article(link=MIRROR, origin_url=ORIGINAL),))
    for sources, expected in ((set(), ORIGINAL), ({"upstream"}, MIRROR)):
        data = render_rss(feed, base_url=BASE_URL, items=entries(feed, BASE_URL, None, sources))
        assert etree.fromstring(data).findtext("channel/item/link") == expected


# --------------------------------------------------------------------------- configuration and the whole chain


def instance(tmp_path: Path, *, icon: str = ICON, link: str = "reprint", per_feed: int = 2) -> Path:
    config = make_instance(tmp_path)
    settings = config / "feeds.toml"
    text = settings.read_text(encoding="utf-8")
    line = f"items_per_feed = {per_feed}\n"
    text = (
        text.replace("[defaults]\n", f"[defaults]\n{line}", 1)
        if "[defaults]\n" in text
        else f"{text}[defaults]\n{line}"
    )
    settings.write_text(text, encoding="utf-8")
    categories = config / "categories.toml"
    text = categories.read_text(encoding="utf-8")
    categories.write_text(text.replace('slug = "news"\n', f'slug = "news"\nicon = "{icon}"\n', 1), encoding="utf-8")
    with (config / "sources.toml").open("a", encoding="utf-8") as fh:
        fh.write(f'link = "{link}"\n')
    return config


def test_icon_and_link_keys_reach_the_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FEEDS_DATABASE_URL", raising=False)
    settings = load_settings(instance(tmp_path))
    assert next(c for c in settings.categories if c.slug == "news").icon == ICON
    assert all(c.icon is None for c in settings.categories if c.slug != "news")
    assert settings.source("inbox").link_preference == "reprint"


@pytest.mark.parametrize(
    ("changes", "file", "key"),
    [
        ({"link": "mirror"}, "sources.toml", "source[0].link"),
        ({"icon": "icon.png"}, "categories.toml", "category[0].icon"),
    ],
)
def test_bad_icon_or_link_values_name_their_file_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, changes: dict[str, Any], file: str, key: str
) -> None:
    monkeypatch.delenv("FEEDS_DATABASE_URL", raising=False)
    with pytest.raises(ConfigError) as caught:
        load_settings(instance(tmp_path, **changes))
    assert file in str(caught.value) and key in str(caught.value)


@pytest.fixture
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.delenv("FEEDS_DATABASE_URL", raising=False)
    return load_settings(instance(tmp_path, link="original"))


def test_build_publishes_icons_and_archives_from_the_store(settings: Settings) -> None:
    with Store.open(settings.database_url) as store:
        assert ingest(settings, store).ok
        build(settings, store)
        newest_first = [a.id for a in store.feed_articles(None, 100)]
    feeds_dir = settings.output_dir / "feeds"
    root = etree.parse(str(feeds_dir / "all.atom")).getroot()
    assert root.findtext(f"{A}icon") == ICON  # the default category's icon
    collected = []
    while True:
        collected += [str(e.findtext(f"{A}id")).rsplit("/", 1)[1] for e in root.findall(f"{A}entry")]
        prev = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}.get("prev-archive")
        if prev is None:
            break
        root = etree.parse(str(feeds_dir / prev.split("/feeds/", 1)[1])).getroot()
        assert_valid_atom(etree.tostring(root))
    assert collected == newest_first and len(collected) == 4
    assert sorted(p.name for p in (feeds_dir / "archive").glob("all-*.atom")) == ["all-1.atom", "all-2.atom"]
    news = etree.parse(str(feeds_dir / "news.rss")).getroot()
    assert news.findtext("channel/image/url") == ICON
