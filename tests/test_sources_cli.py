"""``sources``, ``import-opml`` and ``export-opml`` through ``run.py``, and the text edits of ``sources.toml``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from feeds import sourcefile
from feeds.config import load_settings
from feeds.errors import ConfigError
from tests.conftest import ROOT, make_instance

OPML = ROOT / "tests" / "fixtures" / "opml"

HEAD = """# Sources of this instance.
# Feeds are read with conditional GET.

[[source]]
id = "inbox"
kind = "capture"
path = "inbox"   # the captures folder
category = "news"
"""
MIDDLE = """
# The provincial committee's feed, checked by hand.
[[source]]
id = "provincial"
kind = "feed"
url = "https://zx.example.gov.cn/rss.xml"
category = "cppcc"
interval_minutes = 60
# a note that stays with this block
"""
TAIL = """
# Markets, kept last.
[[source]]
id = "markets"
kind = "feed"
name = "Markets"
url = "https://markets.example.net/feed/"
category = "economy"
"""
ORIGINAL = HEAD + MIDDLE + TAIL


@pytest.fixture
def config(tmp_path: Path) -> Path:
    directory = make_instance(tmp_path / "instance")
    (directory / "sources.toml").write_text(ORIGINAL, encoding="utf-8")
    return directory


def run(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "--config", str(config), *args],
        capture_output=True,
        text=True,
        timeout=60,
    )


def sources_text(config: Path) -> str:
    return (config / "sources.toml").read_bytes().decode("utf-8")


def one_error_line(done: subprocess.CompletedProcess[str]) -> str:
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_add_appends_one_block_and_list_shows_it(config: Path) -> None:
    done = run(config, "sources", "add", "https://www.Example.org/news/feed.xml", "--category", "cppcc")
    assert done.returncode == 0, done.stderr
    assert "added source example-org-news-feed-xml (cppcc)" in done.stdout
    block = (
        '[[source]]\nid = "example-org-news-feed-xml"\nkind = "feed"\nurl = "https://www.Example.org/news/feed.xml"\n'
    )
    assert sources_text(config) == ORIGINAL + "\n" + block + 'category = "cppcc"\n'
    listed = run(config, "sources", "list")
    assert listed.returncode == 0
    rows = [line.split() for line in listed.stdout.splitlines()]
    assert rows[0] == ["id", "kind", "category", "enabled", "url/path"]
    assert ["example-org-news-feed-xml", "feed", "cppcc", "yes", "https://www.Example.org/news/feed.xml"] in rows
    assert ["inbox", "capture", "news", "yes", "inbox"] in rows


def test_add_with_id_and_name(config: Path) -> None:
    done = run(
        config,
        "sources",
        "add",
        "https://a.example.com/rss",
        "--category",
        "news",
        "--id",
        "a",
        "--name",
        '政协 "新闻"',
    )
    assert done.returncode == 0, done.stderr
    assert sources_text(config).endswith('\n[[source]]\nid = "a"\nkind = "feed"\nname = "政协 \\"新闻\\""\n'
                                         'url = "https://a.example.com/rss"\ncategory = "news"\n')  # fmt: skip
    assert load_settings(config).source("a").name == '政协 "新闻"'


def test_add_refuses_a_configured_url_an_unknown_category_and_a_taken_id(config: Path) -> None:
    done = run(config, "sources", "add", "https://MARKETS.example.net/feed", "--category", "news")
    assert done.returncode == 2
    assert "already configured as source markets" in one_error_line(done)
    done = run(config, "sources", "add", "https://b.example.com/rss", "--category", "sport")
    assert done.returncode == 2
    line = one_error_line(done)
    assert "categories.toml" in line and "'sport'" in line
    done = run(config, "sources", "add", "https://b.example.com/rss", "--category", "news", "--id", "provincial")
    assert done.returncode == 2
    assert "'provincial' is already configured" in one_error_line(done)
    assert sources_text(config) == ORIGINAL


def test_an_edit_that_would_be_invalid_leaves_the_file_untouched(config: Path) -> None:
    done = run(config, "sources", "add", "ftp://files.example.com/feed.xml", "--category", "news", "--id", "ftp")
    assert done.returncode == 2
    line = one_error_line(done)
    assert "sources.toml: source[3].url: expected an http(s) URL" in line
    assert "sources.toml is unchanged" in line
    assert sources_text(config) == ORIGINAL
    assert sorted(p.name for p in config.iterdir()) == [
        "categories.toml", "disclaimers.toml", "feeds.toml", "sources.toml"
    ]  # fmt: skip


def test_the_library_raises_the_validation_error(config: Path) -> None:
    with pytest.raises(ConfigError, match=r"source\[3\]\.category: unknown category 'sport'"):
        sourcefile.add_source(config, url="https://c.example.com/", kind="feed", category="sport")
    assert sources_text(config) == ORIGINAL


def test_remove_cuts_exactly_one_block(config: Path) -> None:
    done = run(config, "sources", "remove", "provincial")
    assert done.returncode == 0, done.stderr
    assert sources_text(config) == HEAD + TAIL
    assert run(config, "sources", "remove", "markets").returncode == 0
    assert sources_text(config) == HEAD
    assert run(config, "sources", "remove", "inbox").returncode == 0
    assert sources_text(config) == "# Sources of this instance.\n# Feeds are read with conditional GET.\n"


def test_remove_an_unknown_id_is_a_usage_error(config: Path) -> None:
    done = run(config, "sources", "remove", "nope")
    assert done.returncode == 2
    assert "sources.toml: no source with id 'nope'" in one_error_line(done)
    for action in ("enable", "disable"):
        assert run(config, "sources", action, "nope").returncode == 2
    assert sources_text(config) == ORIGINAL


def test_disable_then_enable_restores_the_file(config: Path) -> None:
    assert run(config, "sources", "disable", "provincial").returncode == 0
    disabled = MIDDLE.replace("interval_minutes = 60\n", "interval_minutes = 60\nenabled = false\n")
    assert sources_text(config) == HEAD + disabled + TAIL
    rows = [line.split() for line in run(config, "sources", "list").stdout.splitlines()]
    assert ["provincial", "feed", "cppcc", "no", "https://zx.example.gov.cn/rss.xml"] in rows
    assert not load_settings(config).source("provincial").enabled
    done = run(config, "sources", "disable", "provincial")
    assert (done.returncode, done.stdout.strip()) == (0, "source provincial disabled already")
    assert run(config, "sources", "enable", "provincial").returncode == 0
    assert sources_text(config) == ORIGINAL


def test_windows_line_ends_and_an_annotated_line_are_kept(tmp_path: Path) -> None:
    config = make_instance(tmp_path)
    path = config / "sources.toml"
    text = '[[source]]\r\nid = "inbox"\r\nkind = "capture"\r\npath = "inbox"\r\ncategory = "news"\r\n'
    path.write_bytes(text.encode())
    assert sourcefile.set_enabled(config, "inbox", False)
    assert path.read_bytes() == (text + "enabled = false\r\n").encode()
    annotated = text.replace('path = "inbox"', 'enabled = false  # moved\r\npath = "inbox"')
    path.write_bytes(annotated.encode())
    assert sourcefile.set_enabled(config, "inbox", True)
    assert path.read_bytes() == annotated.replace("= false", "= true").encode()
    assert not sourcefile.set_enabled(config, "inbox", True)


def test_import_opml_reads_categories_from_the_nesting(config: Path) -> None:
    done = run(config, "import-opml", str(OPML / "nested.opml"), "--category", "economy")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (
        "added 5, skipped 1 (already configured: https://markets.example.net/feed/ as markets)"
    )
    assert sources_text(config).startswith(ORIGINAL + "\n[[source]]\n")
    added = {s.id: s for s in load_settings(config).sources if s.id not in ("inbox", "provincial", "markets")}
    assert {i: (s.category, s.name) for i, s in added.items()} == {
        "cppcc-example-cn-rss-news-xml": ("cppcc", "人民政协新闻"),
        "zx-example-gov-cn-feed": ("cppcc", "地方政协"),
        "finance-example-com-rss-xml": ("economy", "财经要闻"),
        "tech-example-com-atom": ("economy", "Only a title"),
        "loose-example-org-index-xml": ("economy", "Loose feed"),
    }
    again = run(config, "import-opml", str(OPML / "nested.opml"))
    assert again.returncode == 0
    assert again.stdout.startswith("added 0, skipped 6 (already configured: https://www.cppcc.example.cn/rss/news.xml")


def test_import_opml_flat_file_skips_repeats_into_the_default_category(config: Path) -> None:
    done = run(config, "import-opml", str(OPML / "flat.opml"))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == (
        "added 3, skipped 2 (repeated in the file: https://ALPHA.example.com/feed.xml; "
        "not an http(s) URL: feed://delta.example.com/rss)"
    )
    categories = {s.id: s.category for s in load_settings(config).sources}
    assert categories["alpha-example-com-feed-xml"] == categories["gamma-example-com-feed"] == "news"


def test_import_opml_errors(config: Path) -> None:
    done = run(config, "import-opml", str(OPML / "malformed.opml"))
    assert done.returncode == 1
    assert "malformed.opml: line 7: not well-formed XML" in one_error_line(done)
    done = run(config, "import-opml", str(OPML / "entity.opml"))
    assert done.returncode == 1
    assert "EXPANDED-ENTITY-VALUE" not in done.stderr + done.stdout
    done = run(config, "import-opml", str(OPML / "flat.opml"), "--category", "sport")
    assert done.returncode == 2
    assert "categories.toml" in one_error_line(done)
    done = run(config, "import-opml", str(OPML / "missing.opml"))
    assert done.returncode == 2
    assert "missing.opml: cannot read the OPML file" in one_error_line(done)
    assert sources_text(config) == ORIGINAL


def test_export_then_import_into_an_empty_instance_gives_the_same_sources(tmp_path: Path) -> None:
    first = make_instance(tmp_path / "first")
    assert run(first, "import-opml", str(OPML / "nested.opml")).returncode == 0
    assert run(first, "sources", "add", "https://plain.example.com/rss", "--category", "economy").returncode == 0
    exported = run(first, "export-opml")
    assert exported.returncode == 0, exported.stderr
    assert exported.stdout.startswith("<?xml version='1.0' encoding='UTF-8'?>\n<opml version=\"2.0\">")
    assert run(first, "export-opml").stdout == exported.stdout
    opml_file = tmp_path / "export.opml"
    opml_file.write_text(exported.stdout, encoding="utf-8")

    second = make_instance(tmp_path / "second")
    done = run(second, "import-opml", str(opml_file))
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "added 7, skipped 0"

    def feeds(config: Path) -> list[tuple[str, str, str | None, str, str]]:
        return sorted((s.id, s.kind.value, s.url, s.category, s.name) for s in load_settings(config).sources if s.url)

    assert feeds(second) == feeds(first)
    assert len(feeds(first)) == 7
    assert run(second, "export-opml").stdout == exported.stdout


@pytest.mark.parametrize(
    "command",
    [("sources",), ("sources", "add"), ("sources", "remove"), ("import-opml",), ("export-opml",)],
)
def test_every_new_command_has_help_with_examples(config: Path, command: tuple[str, ...]) -> None:
    done = run(config, *command, "--help")
    assert done.returncode == 0
    assert "examples:\n  python run.py " in done.stdout


RULES = """
# A page source whose rules are a sub-table.
[[source]]
id = "site"
kind = "page"
url = "https://www.example.gov.cn/news/"
category = "news"
links = "ul.list a"

[source.rules]
body = "div.content"
# the date line of this site
date = "span.time"
"""


def test_a_source_with_a_rules_sub_table_is_disabled_and_removed_whole(config: Path) -> None:
    text = HEAD + RULES + TAIL
    (config / "sources.toml").write_text(text, encoding="utf-8")
    assert load_settings(config).source("site").rules is not None
    assert run(config, "sources", "disable", "site").returncode == 0
    disabled = RULES.replace('links = "ul.list a"\n', 'links = "ul.list a"\nenabled = false\n')
    assert sources_text(config) == HEAD + disabled + TAIL
    assert not load_settings(config).source("site").enabled
    assert run(config, "sources", "enable", "site").returncode == 0
    assert sources_text(config) == text
    done = run(config, "sources", "remove", "site")
    assert done.returncode == 0, done.stderr
    assert sources_text(config) == HEAD + TAIL
