"""Every input under tests/fixtures/extract/ against its hand-checked ``<name>.expected.json``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from feeds.extract import extract
from feeds.models import RawItem
from feeds.normalize.boilerplate import strip_boilerplate

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "extract"
MEDIA_TYPES = {".txt": "text/plain", ".html": "text/html"}
CASES = sorted(FIXTURES.glob("*.expected.json"))


def _input(expected: Path) -> Path:
    stem = expected.name.removesuffix(".expected.json")
    [found] = [FIXTURES / f"{stem}{suffix}" for suffix in MEDIA_TYPES if (FIXTURES / f"{stem}{suffix}").is_file()]
    return found


def test_there_are_enough_fixture_pairs() -> None:
    inputs = [_input(case) for case in CASES]
    assert len(inputs) >= 10
    assert {path.suffix for path in inputs} == {".txt", ".html"}


@pytest.mark.parametrize("case", CASES, ids=lambda path: path.name.removesuffix(".expected.json"))
def test_fixture(case: Path) -> None:
    expected: dict[str, Any] = json.loads(case.read_text(encoding="utf-8"))
    path = _input(case)
    data = path.read_bytes()
    raw = RawItem(
        source_id="fixtures",
        key=path.name,
        content=data,
        content_hash=hashlib.sha256(data).hexdigest(),
        media_type=MEDIA_TYPES[path.suffix],
        url=expected.get("input_url"),
    )
    extracted = extract(raw)
    blocks = strip_boilerplate(extracted.blocks)

    assert extracted.title == expected["title"]
    assert extracted.meta == expected["meta"]
    assert [block.text for block in blocks] == expected["blocks"]
    if "tags" in expected:
        assert [block.tag for block in blocks] == expected["tags"]
    for index, markup in expected.get("html", {}).items():
        assert blocks[int(index)].html == markup
    if "language" in expected:
        assert extracted.language == expected["language"]
    if "url" in expected:
        assert extracted.url == expected["url"]
