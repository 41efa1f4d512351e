"""feedparser's own test corpus through ``parse_feed``: no crash, and as many items as feedparser finds.

The corpus lives outside the repository (``FEEDS_CORPUS_DIR``, else ``../shared/corpora/feedparser``); the
test skips without it on a developer's machine and fails without it in CI.
"""

from __future__ import annotations

import io
import json
import os
import time
import warnings
from pathlib import Path

import feedparser

from feeds.errors import ParseError
from feeds.sources.feed import parse_feed
from tests.conftest import require, shared_dir

TIME_BUDGET = 60.0  # seconds for the whole corpus


def _corpus() -> Path:
    chosen = os.environ.get("FEEDS_CORPUS_DIR")
    directory = Path(chosen) if chosen else shared_dir() / "corpora" / "feedparser"
    require((directory / "INDEX.tsv").is_file(), f"the feedparser corpus is not at {directory}")
    return directory


def _headers(directory: Path) -> dict[str, dict[str, str]]:
    """path → the HTTP headers the corpus serves it with (from INDEX.tsv)."""
    found: dict[str, dict[str, str]] = {}
    lines = (directory / "INDEX.tsv").read_text(encoding="utf-8").splitlines()[1:]
    for line in lines:
        path, _kind, header = line.split("\t")[:3]
        name, _, value = header.partition(":")
        found[path] = {name.strip().lower(): value.strip()} if value.strip() else {}
    return found


def _charset(content_type: str | None) -> str | None:
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            return value.strip().strip("\"'") or None
    return None


def test_every_corpus_feed_parses_with_feedparsers_item_count() -> None:
    directory = _corpus()
    headers = _headers(directory)
    files = [directory / rel for rel in sorted(headers)]  # every feed the index lists
    assert len(files) > 2000
    problems: list[str] = []
    refused = 0
    started = time.monotonic()
    for path in files:
        rel = path.relative_to(directory).as_posix()
        data = path.read_bytes()
        served = headers.get(rel, {})
        if path.suffix == ".json":
            expected, bozo = len(json.loads(data)["items"]), False  # feedparser 6.0 does not read JSON Feed
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                reference = feedparser.parse(io.BytesIO(data), response_headers=served)
            expected, bozo = len(reference["entries"]), bool(reference["bozo"])
        try:
            feed = parse_feed(data, url=served.get("content-location"), charset=_charset(served.get("content-type")))
        except ParseError as exc:
            refused += 1
            if expected or not bozo:
                problems.append(f"{rel}: ParseError where feedparser finds {expected} entries (bozo={bozo}): {exc}")
            continue
        except Exception as exc:
            problems.append(f"{rel}: {type(exc).__name__}: {exc}")
            continue
        if len(feed.items) != expected:
            problems.append(f"{rel}: {len(feed.items)} items, feedparser finds {expected}")
    elapsed = time.monotonic() - started
    assert problems == []
    assert refused < 20
    assert elapsed < TIME_BUDGET
