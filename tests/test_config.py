from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from feeds.config import LogSettings, load_settings
from feeds.errors import ConfigError
from feeds.models import SourceKind
from tests.conftest import ROOT, make_instance


@pytest.fixture
def config_dir(tmp_path: Path) -> Path:
    target = tmp_path / "config"
    shutil.copytree(ROOT / "config", target)
    return target


def test_bundled_config_loads_with_documented_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FEEDS_DATABASE_URL", raising=False)
    monkeypatch.delenv("FEEDS_CONFIG", raising=False)
    settings = load_settings()
    assert settings.database_url == f"sqlite:///{ROOT / 'var' / 'feeds.db'}"
    assert settings.output_dir == ROOT / "public"
    assert (settings.server_host, settings.server_port) == ("127.0.0.1", 8080)
    assert settings.timezone == "Asia/Shanghai"
    assert settings.items_per_feed == 50
    assert settings.default_category.slug == "news"
    inbox = settings.source("inbox")
    assert inbox.kind is SourceKind.CAPTURE
    assert inbox.path == ROOT / "config" / "samples" / "inbox"
    assert settings.disclaimers.rules


def test_relative_paths_resolve_against_the_instance_directory(config_dir: Path) -> None:
    settings = load_settings(config_dir)
    assert settings.output_dir == config_dir.parent / "public"
    assert settings.database_url == f"sqlite:///{config_dir.parent / 'var' / 'feeds.db'}"


def test_environment_selects_directory_and_database(config_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FEEDS_CONFIG", str(config_dir))
    monkeypatch.setenv("FEEDS_DATABASE_URL", "postgresql+psycopg://u@db.example/feeds")
    settings = load_settings()
    assert settings.config_dir == config_dir
    assert settings.database_url == "postgresql+psycopg://u@db.example/feeds"


@pytest.mark.parametrize(
    ("file", "edit", "expected"),
    [
        ("feeds.toml", ("[server]", "[server]\nprot = 1"), "feeds.toml: server.prot: unknown key"),
        ("feeds.toml", ("port = 8080", 'port = "8080"'), "feeds.toml: server.port: expected an integer, got string"),
        (
            "feeds.toml",
            ('timezone = "Asia/Shanghai"', 'timezone = "Mars/Base"'),
            "defaults.timezone: unknown time zone",
        ),
        (
            "feeds.toml",
            ("allow_networks = []", "allow_networks = ['nope']"),
            "fetch.allow_networks: expected a network",
        ),
        (
            "sources.toml",
            ('category = "news"', 'category = "sport"'),
            "sources.toml: source[0].category: unknown category",
        ),
        ("sources.toml", ('kind = "capture"\n', 'kind = "ftp"\n'), "sources.toml: source[0].kind: expected one of"),
        ("categories.toml", ('slug = "news"', 'slug = "News!"'), "categories.toml: category[0].slug: expected a slug"),
        ("disclaimers.toml", ('kind = "takedown"', 'kind = "whatever"'), "disclaimers.toml: rule[4].kind"),
        ("feeds.toml", ("[server]", "[server"), "feeds.toml: not valid TOML"),
        ("feeds.toml", ('format = "text"', 'format = "yaml"'), "feeds.toml: log.format: expected one of"),
        ("feeds.toml", ('level = "info"', 'level = "loud"'), "feeds.toml: log.level: expected one of"),
    ],
)
def test_a_bad_value_names_its_file_and_key(config_dir: Path, file: str, edit: tuple[str, str], expected: str) -> None:
    path = config_dir / file
    text = path.read_text(encoding="utf-8")
    assert edit[0] in text
    path.write_text(text.replace(edit[0], edit[1], 1), encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(config_dir)
    assert expected in str(caught.value)


def test_a_missing_file_is_named(config_dir: Path) -> None:
    (config_dir / "categories.toml").unlink()
    with pytest.raises(ConfigError, match=r"categories\.toml: file not found"):
        load_settings(config_dir)


def test_cli_stops_with_one_line_and_exit_code_2_on_a_config_error(config_dir: Path) -> None:
    path = config_dir / "feeds.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n[bogus]\n", encoding="utf-8")
    done = subprocess.run(
        [sys.executable, str(ROOT / "run.py"), "--config", str(config_dir), "status"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "feeds.toml: bogus: unknown key" in lines[0]


def test_rights_template_per_source_then_category_then_global(config_dir: Path) -> None:
    path = config_dir / "sources.toml"
    path.write_text(
        path.read_text(encoding="utf-8")
        + '\n[[source]]\nid = "own"\nkind = "capture"\npath = "x"\ncategory = "cppcc"\nrights = "© {source_name}"\n'
        + '\n[[source]]\nid = "cat"\nkind = "capture"\npath = "x"\ncategory = "cppcc"\n',
        encoding="utf-8",
    )
    categories = config_dir / "categories.toml"
    categories.write_text(
        categories.read_text(encoding="utf-8").replace(
            'slug = "cppcc"', 'slug = "cppcc"\nrights = "转载自{source_name}"'
        ),
        encoding="utf-8",
    )
    settings = load_settings(config_dir)
    assert settings.rights_template(settings.source("own")) == "© {source_name}"
    assert settings.rights_template(settings.source("cat")) == "转载自{source_name}"
    assert settings.rights_template(settings.source("inbox")) == settings.disclaimers.rights_template


def test_rights_template_by_language_when_source_and_category_have_none(config_dir: Path) -> None:
    settings = load_settings(config_dir)
    inbox = settings.source("inbox")
    assert settings.rights_template(inbox, "en-US").startswith("Reprinted from")
    assert settings.rights_template(inbox, "zh-CN") == settings.disclaimers.rights_template
    assert settings.rights_template(inbox, None) == settings.disclaimers.rights_template


def test_log_format_and_level_come_from_the_config_and_the_command_line_wins(tmp_path: Path) -> None:
    config = make_instance(tmp_path)
    main = config / "feeds.toml"
    main.write_text(main.read_text(encoding="utf-8") + '\n[log]\nformat = "json"\nlevel = "info"\n', encoding="utf-8")
    assert load_settings(config).log == LogSettings(level="info", format="json")

    def logged(*args: str) -> list[str]:
        env = {name: value for name, value in os.environ.items() if name != "FEEDS_DATABASE_URL"}
        done = subprocess.run(
            [sys.executable, str(ROOT / "run.py"), "--config", str(config), *args, "ingest", "--once"],
            capture_output=True, text=True, timeout=120, env=env,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stderr.strip().splitlines()

    lines = logged()
    records = [json.loads(line) for line in lines]  # every line one JSON object
    assert any(r["msg"] == "source ingested" and r["source_id"] == "inbox" for r in records)
    assert not logged("--log-level", "warning")  # nothing at warning or above in a good run


def test_the_configuration_reference_lists_every_key_of_the_bundled_feeds_toml() -> None:
    reference = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    with (ROOT / "config" / "feeds.toml").open("rb") as fh:
        bundled = tomllib.load(fh)
    missing = [
        f"[{table}] {key}" for table, keys in bundled.items() for key in keys if f"`[{table}] {key}`" not in reference
    ]
    assert missing == []
