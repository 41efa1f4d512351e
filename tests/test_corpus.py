"""The normalization stage end to end: every input under tests/fixtures/corpus/ against its hand-checked
``<name>.expected.json``, the exact JSON ``python run.py parse FILE --json`` prints.

Relative dates (``3小时前``, ``2 days ago``) are read against a fixed ``now``.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from feeds.config import Settings, load_settings
from feeds.console import article_json
from feeds.errors import FeedsError
from feeds.extract import extract
from feeds.models import RawItem, Source, SourceKind
from feeds.normalize import normalize
from feeds.sources.capture import read_file
from tests.conftest import FIXTURES, ROOT, SEED

CORPUS = FIXTURES / "corpus"
NOW = datetime(2024, 12, 25, 0, 0, tzinfo=UTC)
INPUTS = sorted(p for p in CORPUS.iterdir() if p.suffix in (".txt", ".html"))
# The fields DESIGN.md lists for `parse --json`, and `via` from the README.
FIELDS = (
    "id", "title", "link", "origin_url", "source_name", "author", "published", "updated", "published_precision",
    "language", "summary", "content_html", "content_text", "categories", "disclaimer", "rights", "via",
)
PRECISIONS = {"second", "minute", "day", "month", "none"}
DISCLAIMER_KINDS = {"reprint-notice", "copyright", "takedown", "liability"}


def _expected_path(path: Path) -> Path:
    return path.with_name(path.stem + ".expected.json")


def _expected(path: Path) -> list[dict[str, Any]]:
    data: list[dict[str, Any]] = json.loads(_expected_path(path).read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(ROOT / "config")


def _parse(path: Path, settings: Settings) -> list[dict[str, Any]]:
    """What ``parse PATH --json`` prints, in process, with the fixed ``now``."""
    source = Source(
        id="parse",
        kind=SourceKind.CAPTURE,
        category=settings.default_category.slug,
        timezone=settings.timezone,
    )
    article = normalize(extract(read_file(path)), source, settings, now=NOW)
    # Through JSON and back, as the command prints it.
    parsed: list[dict[str, Any]] = json.loads(json.dumps([article_json(article)], ensure_ascii=False))
    return parsed


def test_the_corpus_is_complete() -> None:
    assert len(INPUTS) >= 26
    assert SEED.read_bytes() == (CORPUS / SEED.name).read_bytes()
    assert {p.suffix for p in INPUTS} == {".txt", ".html"}
    for path in INPUTS:
        assert _expected_path(path).is_file(), f"{path.name} has no expected file"
    inputs = {p.stem for p in INPUTS}
    for expected in CORPUS.glob("*.expected.json"):
        assert expected.name.removesuffix(".expected.json") in inputs, f"{expected.name} has no input"


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_corpus_input(path: Path, settings: Settings) -> None:
    assert _parse(path, settings) == _expected(path)


def test_parse_command_prints_the_expected_json_for_the_seed() -> None:
    seed = CORPUS / SEED.name
    env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDS_")}
    done = subprocess.run(
        [sys.executable, "run.py", "parse", str(seed.relative_to(ROOT)), "--json"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr.decode("utf-8", errors="replace")
    assert json.loads(done.stdout.decode("utf-8")) == _expected(seed)


@pytest.mark.parametrize("path", INPUTS, ids=lambda p: p.name)
def test_expected_file_holds_every_documented_field(path: Path) -> None:
    [article] = _expected(path)
    assert set(FIELDS) <= set(article), f"missing: {sorted(set(FIELDS) - set(article))}"
    assert article["published_precision"] in PRECISIONS
    assert (article["published"] is None) == (article["published_precision"] == "none")
    for key in ("published", "updated"):
        value = article[key]
        assert value is None or (value.endswith("Z") and datetime.fromisoformat(value).utcoffset() is not None)
    disclaimer = article["disclaimer"]
    assert disclaimer is None or (set(disclaimer) == {"kind", "text"} and disclaimer["kind"] in DISCLAIMER_KINDS)
    assert article["categories"] and all(isinstance(slug, str) for slug in article["categories"])
    assert article["title"] and article["content_text"]


def _raw(data: bytes) -> RawItem:
    return RawItem("property", "capture.txt", data, hashlib.sha256(data).hexdigest(), "text/plain")


_LINES = st.sampled_from([
    "发布时间:2024-04-12 10:30 来源:人民网", "3小时前 来源:某某客户端", "（来源：某某日报 记者 张三）",
    "原文链接:http://www.example.gov.cn/202404/a.shtml", "原文链接:http://[::1", "[免责声明] 本文来源于网络",
    ">>上一篇:标题", "最新加入", "24-12-20李强主持国务院第十一次...", "字号:[大][中][小]", "{{ pvCount }}",
    "版权所有 ICP备12345678号", "【摘要】要点。", "Published: March 3, 2024 9:15", "By Anna Fischer",
    "Source: https://news.example.org/2024/03/03/a/", "« Previous", "Related posts", "Disclaimer: none.",
    "日期:2024年13月45日", "时间:9999-99-99 99:99", "<html><body><p>x</p></body></html>", "<!doctype html>",
])
_CAPTURES = st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=500).map(lambda s: s.encode("utf-8", errors="surrogatepass")),
    st.lists(st.one_of(_LINES, st.text(max_size=80)), max_size=12).map(
        lambda lines: "\n".join(lines).encode("utf-8", errors="surrogatepass")
    ),
)


@hypothesis_settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=_CAPTURES)
def test_capture_parser_raises_only_feeds_errors(data: bytes, settings: Settings) -> None:
    source = Source(id="parse", kind=SourceKind.CAPTURE, category="news", timezone="Asia/Shanghai")
    try:
        article = normalize(extract(_raw(data)), source, settings, now=NOW)
    except FeedsError:
        return
    json.dumps(article_json(article), ensure_ascii=False)
