from __future__ import annotations

import pytest

from feeds.config import load_settings
from feeds.errors import ConfigError
from feeds.models import Category, Source, SourceKind
from feeds.normalize.categorize import categorize

SOURCE = Source(id="inbox", kind=SourceKind.CAPTURE, category="news")
CATEGORIES = (
    Category(slug="news", title="综合新闻", default=True),
    Category(slug="cppcc", title="政协动态", keywords=("政协", "协商民主")),
    Category(slug="economy", title="经济", keywords=("经济", "医保"), patterns=("GDP|国内生产总值",)),
    Category(slug="tech", title="Technology", keywords=("Software",), patterns=(r"\bAI\b",)),
)


def test_keywords_in_the_title_or_body_match() -> None:
    assert categorize("县政协召开协商议事会", "", SOURCE, CATEGORIES) == ("cppcc",)
    assert categorize("会议召开", "推动医保便民服务", SOURCE, CATEGORIES) == ("economy",)


def test_every_matching_category_in_config_order() -> None:
    got = categorize("全区GDP增长", "政协委员围绕经济发展建言", SOURCE, CATEGORIES)
    assert got == ("cppcc", "economy")


def test_patterns_are_regular_expressions() -> None:
    assert categorize("一季度国内生产总值公布", "", SOURCE, CATEGORIES) == ("economy",)
    assert categorize("New AI rules", "", SOURCE, CATEGORIES) == ("tech",)
    assert categorize("Said the chair", "", SOURCE, CATEGORIES) == ("news",)  # "ai" inside a word


def test_latin_keywords_ignore_case() -> None:
    assert categorize("open SOFTWARE foundation", "", SOURCE, CATEGORIES) == ("tech",)


def test_without_a_match_the_source_category() -> None:
    other = Source(id="x", kind=SourceKind.FEED, category="tech", url="https://x.example/feed")
    assert categorize("天气预报", "明天晴", SOURCE, CATEGORIES) == ("news",)
    assert categorize("天气预报", "明天晴", other, CATEGORIES) == ("tech",)


def test_upstream_category_names_map_to_a_slug_or_title() -> None:
    assert categorize("天气", "", SOURCE, CATEGORIES, upstream=("经济",)) == ("economy",)
    assert categorize("天气", "", SOURCE, CATEGORIES, upstream=("TECH", "unknown")) == ("tech",)
    assert categorize("政协", "", SOURCE, CATEGORIES, upstream=("Technology",)) == ("cppcc", "tech")


def test_the_result_is_deterministic() -> None:
    results = {categorize("政协经济GDP", "AI software", SOURCE, CATEGORIES) for _ in range(5)}
    assert results == {("cppcc", "economy", "tech")}


def test_a_bad_pattern_is_a_config_error() -> None:
    bad = (Category(slug="bad", title="Bad", patterns=("(unclosed",)),)
    with pytest.raises(ConfigError):
        categorize("t", "b", SOURCE, bad)


def test_bundled_categories_put_the_seed_topic_under_cppcc() -> None:
    settings = load_settings()
    assert "cppcc" in categorize("坚持和加强党的全面领导 展现新时代人民政协责任担当", "", SOURCE, settings.categories)
