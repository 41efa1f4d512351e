"""A small factory of articles and feeds for the publish tests."""

from __future__ import annotations

import html
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from feeds.models import Article, Disclaimer, Feed, Precision

BASE_URL = "http://feeds.example.org/"
XSS = "<script>alert(1)</script>"

ORIGIN = "http://www.sdzx.gov.cn/articles/ch02373/202404/184ec8ac-c80a-4e50-8497-cdf652700502.shtml"
REPRINT = "http://news.example.cn/2024/12/20/reprint-184ec8ac.html"


def at(text: str) -> datetime:
    """An aware UTC datetime from ``YYYY-MM-DDTHH:MM:SS``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def article(**fields: Any) -> Article:
    """An English article with every field set; override what a test needs."""
    values: dict[str, Any] = {
        "id": "en-1",
        "source_id": "upstream",
        "title": "Budget talks resume",
        "link": "https://news.example.com/budget",
        "origin_url": "https://news.example.com/budget",
        "source_name": "Example News",
        "author": "Jane Doe",
        "published": at("2024-12-22T09:30:00"),
        "updated": None,
        "published_precision": Precision.MINUTE,
        "language": "en",
        "summary": "Talks on the budget resume on Monday.",
        "content_html": "<p>Talks on the budget resume on Monday.</p>",
        "content_text": "Talks on the budget resume on Monday.",
        "categories": ("news",),
        "disclaimer": None,
        "rights": None,
        "content_hash": "hash-en-1",
        "via": (),
        "first_seen": at("2024-12-22T10:00:00"),
    }
    values.update(fields)
    return Article(**values)


def sample_articles() -> tuple[Article, ...]:
    """Newest first: an English article, a zh one without a date, a zh reprint with a disclaimer."""
    english = article(
        updated=at("2024-12-23T08:15:00"),
        categories=("news", "world"),
    )
    undated = article(
        id="zh-undated",
        source_id="inbox",
        title="政协委员视察乡村振兴工作",
        link=None,
        origin_url="http://www.example.gov.cn/zx/2024/1221.html",
        source_name="某某政协",
        author=None,
        published=None,
        published_precision=Precision.NONE,
        language="zh-CN",
        summary="委员们实地察看了乡村振兴项目。",
        content_html="<p>委员们实地察看了乡村振兴项目。</p>",
        content_text="委员们实地察看了乡村振兴项目。",
        categories=("cppcc",),
        content_hash="hash-zh-undated",
        first_seen=at("2024-12-21T02:00:00"),
    )
    reprint = article(
        id="zh-reprint",
        source_id="inbox",
        title="坚持和加强党的全面领导 展现新时代人民政协责任担当",
        link=ORIGIN,
        origin_url=ORIGIN,
        source_name="山东政协",
        author="张三",
        published=at("2024-03-31T16:00:00"),
        published_precision=Precision.MONTH,
        language="zh-CN",
        summary="坚持党的领导是人民政协事业发展的根本保证。",
        content_html="<p>坚持党的领导是人民政协事业发展的根本保证。</p><p>干出政协新样子。</p>",
        content_text="坚持党的领导是人民政协事业发展的根本保证。\n\n干出政协新样子。",
        categories=("cppcc", "news"),
        disclaimer=Disclaimer(kind="reprint-notice", text="本站转载文章仅为传递信息，版权归原作者所有。"),
        rights=f"© 山东政协. 原文: {ORIGIN}",
        content_hash="hash-zh-reprint",
        via=(REPRINT,),
        first_seen=at("2024-12-20T08:00:00"),
    )
    return english, undated, reprint


def sample_feed(**fields: Any) -> Feed:
    """The ``all`` feed of the sample articles."""
    articles = sample_articles()
    feed = Feed(
        slug="all",
        title="综合新闻",
        description="Every article of every category",
        language="zh-CN",
        articles=articles,
        updated=at("2024-12-23T08:15:00"),
    )
    return replace(feed, **fields)


def rights_footer(item: Article) -> str | None:
    """The publish-time footer: the article's rights notice, when it has one."""
    if not item.rights:
        return None
    return f'<hr/><p class="rights">{html.escape(item.rights)}</p>'
