"""The seed capture, normalized end to end from a hand-built ``Extracted``."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest

from feeds.config import Settings, load_settings
from feeds.models import Article, Block, Extracted, Precision, Source, SourceKind
from feeds.normalize import normalize
from tests.conftest import SEED

SEED_TITLE = "坚持和加强党的全面领导 展现新时代人民政协责任担当"
SEED_ORIGIN = "http://www.sdzx.gov.cn/articles/ch02373/202404/184ec8ac-c80a-4e50-8497-cdf652700502.shtml"
NOW = datetime(2024, 12, 21, 12, 0, tzinfo=UTC)
LINES = SEED.read_text(encoding="utf-8").splitlines()
PARAGRAPHS = LINES[1:8]
DISCLAIMER = next(line for line in LINES if line.startswith("[免责声明]"))
SOURCE = Source(id="inbox", kind=SourceKind.CAPTURE, category="news", timezone="Asia/Shanghai")


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings()


def _seed(blocks: list[str]) -> Extracted:
    assert LINES[0] == SEED_TITLE and LINES[8].startswith("原文链接:")
    return Extracted(
        title=LINES[0],
        blocks=tuple(Block(text) for text in blocks),
        meta={"origin_url": LINES[8].split(":", 1)[1]},
    )


@pytest.fixture(scope="module")
def article(settings: Settings) -> Article:
    return normalize(_seed([*PARAGRAPHS, DISCLAIMER]), SOURCE, settings, now=NOW)


def test_seed_metadata(article: Article) -> None:
    assert article.title == SEED_TITLE
    assert article.origin_url == SEED_ORIGIN
    assert article.link == SEED_ORIGIN
    assert article.via == ()
    assert article.source_id == "inbox"
    assert article.source_name is None and article.author is None
    assert article.published is not None
    assert article.published.isoformat() == "2024-03-31T16:00:00+00:00"
    assert article.published_precision is Precision.MONTH
    assert article.updated is None
    assert article.language == "zh-CN"
    assert re.fullmatch(r"[0-9a-f]{16}", article.id)


def test_seed_disclaimer_leaves_the_body(article: Article) -> None:
    assert article.disclaimer is not None
    assert article.disclaimer.kind == "reprint-notice"
    assert article.disclaimer.text == DISCLAIMER
    assert "免责声明" not in article.content_text
    assert "免责声明" not in article.content_html
    assert "原文链接" not in article.content_text


def test_seed_body(article: Article) -> None:
    assert article.content_text == "\n\n".join(PARAGRAPHS)
    assert article.content_html.count("<p>") == 7
    assert article.content_html.count("</p>") == 7
    assert "干出政协新样子、展现政协新作为。</p>" in article.content_html


def test_seed_summary_ends_at_a_sentence_end(article: Article) -> None:
    assert article.summary.endswith("。")
    assert len(article.summary) <= 125
    assert PARAGRAPHS[0].startswith(article.summary)


def test_seed_categories(article: Article) -> None:
    assert "cppcc" in article.categories


def test_seed_rights(article: Article) -> None:
    assert article.rights
    assert SEED_ORIGIN in article.rights
    assert "None" not in article.rights


def test_seed_is_deterministic(article: Article, settings: Settings) -> None:
    assert normalize(_seed([*PARAGRAPHS, DISCLAIMER]), SOURCE, settings, now=NOW) == article


def test_an_edited_seed_keeps_its_id(article: Article, settings: Settings) -> None:
    edited = [p.replace("干出政协新样子", "干出政协新面貌") for p in PARAGRAPHS]
    again = normalize(_seed([*edited, DISCLAIMER]), SOURCE, settings, now=NOW)
    assert again.id == article.id
    assert again.content_hash != article.content_hash
    assert "干出政协新面貌" in again.content_text


def test_seed_with_navigation_and_sidebars_left_in(article: Article, settings: Settings) -> None:
    rest = [line for line in LINES[9:] if line and line != DISCLAIMER]
    full = normalize(_seed([*PARAGRAPHS, DISCLAIMER, *rest]), SOURCE, settings, now=NOW)
    for gone in ("上一篇", "下一篇", "最新加入", "热门资讯", "李强主持", "免责声明"):
        assert gone not in full.content_text
        assert gone not in full.content_html
    assert full.content_text == article.content_text
