"""Articles for the store tests, with every field set."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from feeds.models import Article, Disclaimer, Precision

T0 = datetime(2024, 4, 18, 2, 30, 15, 123456, tzinfo=UTC)
SHANGHAI = timezone(timedelta(hours=8), "Asia/Shanghai")


def make_article(**changes: Any) -> Article:
    """A complete article; keyword arguments replace fields (``Article`` names)."""
    article = Article(
        id="3f7fc0ed3a60827e",
        source_id="inbox",
        title="国务院常务会议研究部署相关工作",
        link="https://reprint.example.cn/news/2024/0418/1.html",
        origin_url="https://www.gov.example.cn/yaowen/202404/content_1.htm",
        source_name="中国政府网",
        author="新华社记者",
        published=datetime(2024, 4, 18, 10, 30, tzinfo=SHANGHAI),
        updated=None,
        published_precision=Precision.MINUTE,
        language="zh-CN",
        summary="会议研究部署相关工作。",
        content_html="<p>会议指出,要扎实推进各项工作。</p>",
        content_text="会议指出,要扎实推进各项工作。",
        categories=("politics", "news"),
        disclaimer=Disclaimer(kind="reprint-notice", text="本文转载自其他网站,不代表本站观点。"),
        rights="© 中国政府网. Original: https://www.gov.example.cn/yaowen/202404/content_1.htm",
        content_hash="a" * 64,
        via=("https://mirror.example.cn/a/1.html",),
    )
    return dataclasses.replace(article, **changes)


def stored(article: Article, *, first_seen: datetime, updated: datetime | None = None) -> Article:
    """``article`` as the store gives it back: sorted categories and vias, datetimes in UTC."""
    return dataclasses.replace(
        article,
        categories=tuple(sorted(set(article.categories))),
        via=tuple(sorted(set(article.via))),
        published=article.published.astimezone(UTC) if article.published else None,
        updated=updated if updated is not None else article.updated,
        first_seen=first_seen,
    )
