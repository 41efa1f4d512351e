from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.models import Precision
from feeds.normalize.dates import ParsedDate, date_from_url, parse_date

NOW = datetime(2024, 12, 21, 12, 0, tzinfo=UTC)  # 20:00 in Shanghai
SH = "Asia/Shanghai"


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "when", "precision"),
    [
        # RFC 822 / 1123
        ("Fri, 12 Apr 2024 10:30:00 +0800", utc(2024, 4, 12, 2, 30), Precision.SECOND),
        ("Fri, 12 Apr 2024 10:30:00 GMT", utc(2024, 4, 12, 10, 30), Precision.SECOND),
        ("12 Apr 2024 10:30 -0500", utc(2024, 4, 12, 15, 30), Precision.MINUTE),
        ("Fri, 12 Apr 2024 10:30:00 CST", utc(2024, 4, 12, 2, 30), Precision.SECOND),  # China Standard Time
        ("Fri, 12 Apr 2024 10:30:00", utc(2024, 4, 12, 2, 30), Precision.SECOND),  # zone-less: source zone
        # ISO 8601
        ("2024-04-12T10:30:00+08:00", utc(2024, 4, 12, 2, 30), Precision.SECOND),
        ("2024-04-12T02:30:00Z", utc(2024, 4, 12, 2, 30), Precision.SECOND),
        ("2024-04-12T10:30:00.250-04:00", utc(2024, 4, 12, 14, 30), Precision.SECOND),
        ("2024-04-12T10:30:00", utc(2024, 4, 12, 2, 30), Precision.SECOND),
        ("20240412T103000Z", utc(2024, 4, 12, 10, 30), Precision.SECOND),
        ("2024-04-12", utc(2024, 4, 11, 16, 0), Precision.DAY),
        ("2024-04", utc(2024, 3, 31, 16, 0), Precision.MONTH),
        # numeric CMS forms
        ("2024-04-12 10:30", utc(2024, 4, 12, 2, 30), Precision.MINUTE),
        ("2024/4/12 16:05:12", utc(2024, 4, 12, 8, 5, 12), Precision.SECOND),
        ("2024.04.12", utc(2024, 4, 11, 16, 0), Precision.DAY),
        ("24-12-20", utc(2024, 12, 19, 16, 0), Precision.DAY),
        ("发布时间:2024-11-18 15:30", utc(2024, 11, 18, 7, 30), Precision.MINUTE),
        # Chinese
        ("2024年4月12日 10:30", utc(2024, 4, 12, 2, 30), Precision.MINUTE),
        ("2024年04月12日", utc(2024, 4, 11, 16, 0), Precision.DAY),
        ("2024年4月12日 下午3:20", utc(2024, 4, 12, 7, 20), Precision.MINUTE),
        ("2024年4月", utc(2024, 3, 31, 16, 0), Precision.MONTH),
        ("二〇二四年四月十二日", utc(2024, 4, 11, 16, 0), Precision.DAY),
        ("二〇二四年十二月二十日", utc(2024, 12, 19, 16, 0), Precision.DAY),
        ("２０２４年４月１２日", utc(2024, 4, 11, 16, 0), Precision.DAY),  # full-width digits
        # relative, against NOW
        ("刚刚", utc(2024, 12, 21, 12, 0), Precision.MINUTE),
        ("3分钟前", utc(2024, 12, 21, 11, 57), Precision.MINUTE),
        ("3小时前", utc(2024, 12, 21, 9, 0), Precision.MINUTE),
        ("昨天 15:20", utc(2024, 12, 20, 7, 20), Precision.MINUTE),
        ("前天", utc(2024, 12, 18, 16, 0), Precision.DAY),
        ("2天前", utc(2024, 12, 18, 16, 0), Precision.DAY),
        ("3 hours ago", utc(2024, 12, 21, 9, 0), Precision.MINUTE),
        ("an hour ago", utc(2024, 12, 21, 11, 0), Precision.MINUTE),
        ("yesterday", utc(2024, 12, 19, 16, 0), Precision.DAY),
        ("Posted: yesterday at 09:15", utc(2024, 12, 20, 1, 15), Precision.MINUTE),
        # English month names
        ("March 3, 2024", utc(2024, 3, 2, 16, 0), Precision.DAY),
        ("3 March 2024", utc(2024, 3, 2, 16, 0), Precision.DAY),
        ("March 3, 2024 14:20", utc(2024, 3, 3, 6, 20), Precision.MINUTE),
        ("Mar. 3, 2024, 2:20 p.m.", utc(2024, 3, 3, 6, 20), Precision.MINUTE),
        ("Friday, April 12th 2024", utc(2024, 4, 11, 16, 0), Precision.DAY),
    ],
)
def test_parse_date_reads_every_documented_format(text: str, when: datetime, precision: Precision) -> None:
    assert parse_date(text, SH, now=NOW) == ParsedDate(when, precision)


def test_a_zone_less_time_is_read_in_the_source_zone() -> None:
    berlin = parse_date("2024-04-12 10:30", "Europe/Berlin", now=NOW)
    assert berlin is not None and berlin.when == utc(2024, 4, 12, 8, 30)
    new_york = parse_date("2024-04-12 10:30", "America/New_York", now=NOW)
    assert new_york is not None and new_york.when == utc(2024, 4, 12, 14, 30)


def test_an_explicit_offset_wins_over_the_source_zone() -> None:
    found = parse_date("2024-04-12T10:30:00+02:00", "America/New_York", now=NOW)
    assert found is not None and found.when == utc(2024, 4, 12, 8, 30)


def test_results_are_aware_utc() -> None:
    found = parse_date("2024-04-12 10:30", SH, now=NOW)
    assert found is not None and found.when.utcoffset() is not None
    assert found.when.tzinfo is UTC


@pytest.mark.parametrize("text", ["2024-12-23 10:00", "2025年1月1日", "in 3 days 2030-01-01"])
def test_a_date_more_than_a_day_ahead_is_not_trusted(text: str) -> None:
    assert parse_date(text, SH, now=NOW) is None


def test_a_date_within_a_day_ahead_is_kept() -> None:
    assert parse_date("2024-12-22 01:00", SH, now=NOW) is not None  # clock skew of a few hours


@pytest.mark.parametrize(
    "text", ["", "   ", "hello", "浏览次数:{{ pvCount }}", "12:30", "2024", "2024-13-45", "2024年2月30日", "1850-01-01"]
)
def test_text_without_a_valid_date_gives_none(text: str) -> None:
    assert parse_date(text, SH, now=NOW) is None


def test_an_unknown_zone_name_does_not_raise() -> None:
    found = parse_date("2024-04-12 10:30", "Not/AZone", now=NOW)
    assert found is not None and found.when == utc(2024, 4, 12, 10, 30)


@settings(max_examples=400, deadline=None)
@given(st.text(max_size=80))
def test_arbitrary_text_never_raises(text: str) -> None:
    found = parse_date(text, SH, now=NOW)
    assert found is None or (found.when.tzinfo is UTC and found.when <= utc(2024, 12, 22, 12, 0))


@settings(max_examples=300, deadline=None)
@given(st.from_regex(r"[0-9年月日时分秒:/\- T.+Z前天昨刚〇一二三四五六七八九十]{0,30}", fullmatch=True))
def test_date_like_text_never_raises(text: str) -> None:
    parse_date(text, SH, now=NOW)


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=60))
def test_arbitrary_urls_never_raise(tail: str) -> None:
    date_from_url("http://example.com/" + tail, SH)
    date_from_url(tail, SH)


@pytest.mark.parametrize(
    ("url", "when", "precision"),
    [
        (
            "http://www.sdzx.gov.cn/articles/ch02373/202404/184ec8ac-c80a-4e50-8497-cdf652700502.shtml",
            utc(2024, 3, 31, 16, 0),
            Precision.MONTH,
        ),
        ("http://www.gov.cn/xinwen/2024-04/12/content_6944.htm", utc(2024, 4, 11, 16, 0), Precision.DAY),
        ("https://news.example.org/2024/03/03/council-budget/", utc(2024, 3, 2, 16, 0), Precision.DAY),
        ("http://www.example.gov.cn/art/t20240508_123456.html", utc(2024, 5, 7, 16, 0), Precision.DAY),
        ("http://example.cn/20240508/abc.html", utc(2024, 5, 7, 16, 0), Precision.DAY),
        ("http://example.cn/2024/05/", utc(2024, 4, 30, 16, 0), Precision.MONTH),
    ],
)
def test_date_from_url(url: str, when: datetime, precision: Precision) -> None:
    assert date_from_url(url, SH) == ParsedDate(when, precision)


@pytest.mark.parametrize(
    "url",
    [
        "http://example.com/news/123456/",
        "http://example.com/2024/13/40/x",
        "http://example.com/a?date=20240508",
        "http://example.com/id/99999999/",
        "not a url",
    ],
)
def test_urls_without_a_date(url: str) -> None:
    assert date_from_url(url, SH) is None
