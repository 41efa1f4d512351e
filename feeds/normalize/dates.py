"""Publication dates read from meta lines, feed fields and URLs.

``parse_date`` understands RFC 822/1123, ISO 8601, the numeric forms of Chinese
CMS pages (``2024-04-12 10:30``, ``2024/4/12 16:05:12``, ``24-12-20``), Chinese
dates in Arabic or Chinese numerals (``2024年4月12日 10:30``, ``二〇二四年四月十二日``),
English month names (``March 3, 2024``, ``3 March 2024``) and relative times
(``刚刚``, ``3分钟前``, ``昨天 15:20``, ``3 hours ago``, ``yesterday``).

A time without a zone is read in the source's zone; an explicit offset wins.
Results are aware UTC datetimes with the precision the text carried. A date more
than a day after ``now`` is not trusted. Neither function raises: text that holds
no usable date gives ``None``.
"""

from __future__ import annotations

import re
import unicodedata
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from dateutil import parser as dateutil_parser

from feeds.models import Precision

__all__ = ["ParsedDate", "date_from_url", "parse_date"]

MIN_YEAR = 1970
FUTURE_TOLERANCE = timedelta(days=1)
MAX_TEXT = 200
RELATIVE_MAX = 40  # a date is never longer; longer text is searched in its head only


@dataclass(frozen=True)
class ParsedDate:
    """An instant in UTC and how much of it the source stated."""

    when: datetime
    precision: Precision


# --------------------------------------------------------------------------- public


def parse_date(text: str, tz: str, *, now: datetime) -> ParsedDate | None:
    """The date in ``text`` (a meta value or feed field), or ``None`` when there is none."""
    if not isinstance(text, str):
        return None
    zone = _zone(tz)
    now = now.astimezone(UTC) if now.tzinfo is not None else now.replace(tzinfo=UTC)
    value = _prepare(text)
    if not value:
        return None
    for reader in _READERS:
        try:
            found = reader(value, zone, now)
        except (ValueError, OverflowError):
            found = None
        if found is not None:
            return found if found.when <= now + FUTURE_TOLERANCE else None
    return None


def date_from_url(url: str, tz: str) -> ParsedDate | None:
    """A date encoded in a URL path (``/202404/``, ``/2024/03/03/``, ``t20240508_``), or ``None``."""
    if not isinstance(url, str):
        return None
    try:
        path = urlsplit(url.strip()).path
    except ValueError:
        return None
    zone = _zone(tz)
    for pattern, precision in _URL_PATTERNS:
        for match in pattern.finditer(path):
            parts = match.groupdict()
            day = int(parts["d"]) if parts.get("d") else 1
            found = _local(zone, int(parts["y"]), int(parts["m"]), day, precision=precision)
            if found is not None:
                return found
    return None


# --------------------------------------------------------------------------- helpers


def _zone(tz: str) -> tzinfo:
    try:
        return ZoneInfo(tz)
    except (ValueError, KeyError, TypeError, OSError):
        return UTC


def _prepare(text: str) -> str:
    value = unicodedata.normalize("NFKC", text[:MAX_TEXT])
    value = re.sub(r"[\u200b-\u200d\u2060\ufeff]", "", value)
    return re.sub(r"\s+", " ", value).strip()


def _local(
    zone: tzinfo,
    year: int,
    month: int,
    day: int,
    hour: int = 0,
    minute: int = 0,
    second: int = 0,
    *,
    precision: Precision,
    offset: tzinfo | None = None,
) -> ParsedDate | None:
    """A wall-clock time in ``offset`` (when stated) or the source zone, as UTC; None when invalid."""
    if year < MIN_YEAR:
        return None
    try:
        naive = datetime(year, month, day, hour, minute, min(second, 59))
    except (ValueError, OverflowError):
        return None
    return ParsedDate(naive.replace(tzinfo=offset or zone).astimezone(UTC), precision)


def _time_precision(hour: str | None, second: str | None) -> Precision:
    if hour is None:
        return Precision.DAY
    return Precision.SECOND if second is not None else Precision.MINUTE


_NAMED_ZONES = {"Z": 0, "UT": 0, "UTC": 0, "GMT": 0, "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7,
                "MDT": -6, "PST": -8, "PDT": -7}
_CHINA_ZONES = {"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "Asia/Urumqi", "Asia/Taipei", "Asia/Hong_Kong",
                "Asia/Macau", "PRC", "ROC"}


def _offset(value: str | None, zone: tzinfo) -> tzinfo | None:
    """The zone a stated offset or zone name means; ``CST`` is China Standard Time for Chinese sources."""
    if not value:
        return None
    value = value.upper()
    if value in _NAMED_ZONES:
        if value == "CST" and getattr(zone, "key", "") in _CHINA_ZONES:
            return zone
        return timezone(timedelta(hours=_NAMED_ZONES[value]))
    match = re.fullmatch(r"([+-])(\d{1,2}):?(\d{2})?", value)
    if match is None:
        return None
    hours, minutes = int(match.group(2)), int(match.group(3) or 0)
    if hours > 14 or minutes > 59:
        return None
    sign = -1 if match.group(1) == "-" else 1
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


_TIME = r"(?:[ T]*(?P<H>\d{1,2})[:时点](?P<M>\d{2})(?:[:分](?P<S>\d{2})(?:[.,]\d+)?)?(?:秒)?)?"
_ZONE = r"\s*(?P<Z>(?:Z|UTC?|GMT|[ECMP][SD]T)\b|[+-]\d{2}:?\d{2}|[+-]\d{1,2}(?![\d:]))?"
_Reader = Callable[[str, tzinfo, datetime], ParsedDate | None]


def _from_match(match: re.Match[str], zone: tzinfo, year: int) -> ParsedDate | None:
    parts = match.groupdict()
    hour, second = parts.get("H"), parts.get("S")
    precision = _time_precision(hour, second)
    return _local(
        zone,
        year,
        int(parts["m"]),
        int(parts["d"]),
        int(hour or 0),
        int(parts.get("M") or 0),
        int(second or 0),
        precision=precision,
        offset=_offset(parts.get("Z"), zone),
    )


# ISO 8601 and the numeric forms: 2024-04-12T10:30:00+08:00, 2024/4/12 16:05:12, 2024.04.12
_NUMERIC = re.compile(
    r"(?<!\d)(?P<y>\d{4})(?P<sep>[-/.])(?P<m>\d{1,2})(?P=sep)(?P<d>\d{1,2})(?!\d)" + _TIME + _ZONE,
    re.IGNORECASE,
)
_COMPACT = re.compile(r"(?<!\d)(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})T(?P<H>\d{2}):?(?P<M>\d{2}):?(?P<S>\d{2})?" + _ZONE)
_SHORT_YEAR = re.compile(r"(?<![\d.:/-])(?P<y>\d{2})-(?P<m>\d{1,2})-(?P<d>\d{1,2})(?![\d-])" + _TIME)
_YEAR_MONTH = re.compile(r"(?<![\d.:/-])(?P<y>\d{4})-(?P<m>\d{1,2})(?![\d/.:-])")


def _read_numeric(value: str, zone: tzinfo, now: datetime) -> ParsedDate | None:
    match = _NUMERIC.search(value) or _COMPACT.search(value)
    if match is not None:
        return _from_match(match, zone, int(match.group("y")))
    match = _SHORT_YEAR.search(value)
    if match is not None:
        return _from_match(match, zone, 2000 + int(match.group("y")))
    match = _YEAR_MONTH.fullmatch(value)
    if match is not None:
        return _local(zone, int(match.group("y")), int(match.group("m")), 1, precision=Precision.MONTH)
    return None


# Chinese dates: 2024年4月12日 10:30, 2024年04月12日, 二〇二四年四月十二日, 2024年4月
_CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5,
              "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = re.compile(r"[〇零○一二两三四五六七八九十]+")
_CN_DATE = re.compile(
    r"(?P<y>\d{2,4})\s*年\s*(?P<m>\d{1,2})\s*月\s*(?:(?P<d>\d{1,2})\s*[日号])?"
    r"(?:\s*(?:上午|下午|晚上|中午)?\s*(?P<H>\d{1,2})\s*[:时点]\s*(?P<M>\d{1,2})?\s*分?"
    r"(?:\s*[:]?\s*(?P<S>\d{1,2})\s*秒?)?)?" + _ZONE
)


def _cn_number(text: str) -> str:
    if "十" not in text:
        return "".join(str(_CN_DIGITS[c]) for c in text)
    tens, _, units = text.partition("十")
    if "十" in units or len(tens) > 1 or len(units) > 1:
        return text
    return str((_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[units] if units else 0))


def _read_chinese(value: str, zone: tzinfo, now: datetime) -> ParsedDate | None:
    if "年" not in value:
        return None
    value = _CN_NUMBER.sub(lambda m: _cn_number(m.group(0)), value)
    match = _CN_DATE.search(value)
    if match is None:
        return None
    year = int(match.group("y"))
    year = year + 2000 if year < 100 else year
    parts = match.groupdict()
    if parts["d"] is None:
        return _local(zone, year, int(parts["m"]), 1, precision=Precision.MONTH)
    hour = int(parts["H"]) if parts["H"] is not None else None
    if hour is not None and hour < 12 and re.search(r"下午|晚上", match.group(0)):
        hour += 12
    precision = _time_precision(parts["H"], parts["S"])
    return _local(
        zone, year, int(parts["m"]), int(parts["d"]), hour or 0, int(parts["M"] or 0), int(parts["S"] or 0),
        precision=precision, offset=_offset(parts["Z"], zone),
    )


# Relative: 刚刚, 3分钟前, 3小时前, 昨天 15:20, 前天, 3 hours ago, yesterday
_UNITS = {
    "秒": ("seconds", Precision.SECOND), "second": ("seconds", Precision.SECOND),
    "分钟": ("minutes", Precision.MINUTE), "分": ("minutes", Precision.MINUTE), "minute": ("minutes", Precision.MINUTE),
    "min": ("minutes", Precision.MINUTE), "小时": ("hours", Precision.MINUTE), "hour": ("hours", Precision.MINUTE),
    "hr": ("hours", Precision.MINUTE), "天": ("days", Precision.DAY), "日": ("days", Precision.DAY),
    "day": ("days", Precision.DAY), "周": ("weeks", Precision.DAY), "星期": ("weeks", Precision.DAY),
    "week": ("weeks", Precision.DAY),
}
_AGO = re.compile(
    r"(?:^|(?<=\s)|(?<=[:：]))(?P<n>\d{1,4}|an?|one)\s*(?P<u>秒|分钟|分|小时|天|日|周|星期|second|minute|min|hour|hr|day|week)s?\s*(?:前|以前|ago)$",
    re.IGNORECASE,
)
_DAYS_BACK = {"今天": 0, "今日": 0, "today": 0, "昨天": 1, "昨日": 1, "yesterday": 1, "前天": 2}
_NAMED_DAY = re.compile(
    r"(?:^|(?<=\s)|(?<=[:：]))(?P<w>今天|今日|today|昨天|昨日|yesterday|前天)"
    r"(?:\s*(?:at\s*)?(?P<H>\d{1,2})[:：](?P<M>\d{2}))?$",
    re.IGNORECASE,
)


def _read_relative(value: str, zone: tzinfo, now: datetime) -> ParsedDate | None:
    lowered = value.lower()
    if len(lowered) > RELATIVE_MAX:
        return None
    lowered = re.sub(r"^(?:published|posted|updated|发布(?:时间|于)?|更新(?:时间|于)?)\s*[:：]?\s*", "", lowered)
    if lowered in ("刚刚", "刚才", "just now", "now"):
        return ParsedDate(now.replace(microsecond=0), Precision.MINUTE)
    match = _AGO.search(lowered)
    if match is not None:
        count_text = match.group("n")
        count = int(count_text) if count_text.isdigit() else 1
        unit, precision = _UNITS[match.group("u")]
        when = now - timedelta(**{unit: count})
        if precision is Precision.DAY:
            local = when.astimezone(zone)
            return _local(zone, local.year, local.month, local.day, precision=Precision.DAY)
        return ParsedDate(when.replace(microsecond=0), precision)
    match = _NAMED_DAY.search(lowered)
    if match is not None:
        day: date = now.astimezone(zone).date() - timedelta(days=_DAYS_BACK[match.group("w")])
        if match.group("H") is None:
            return _local(zone, day.year, day.month, day.day, precision=Precision.DAY)
        at = time(int(match.group("H")), int(match.group("M")))
        return _local(zone, day.year, day.month, day.day, at.hour, at.minute, precision=Precision.MINUTE)
    return None


# English month names: March 3, 2024 · 3 March 2024 · Mar 3, 2024 14:20 · 3 Mar 2024 10:30 GMT
_MONTHS = {name: i + 1 for i, names in enumerate(
    ("jan january", "feb february", "mar march", "apr april", "may", "jun june", "jul july", "aug august",
     "sep sept september", "oct october", "nov november", "dec december")
) for name in names.split()}
_MONTH = r"(?P<mon>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DAY = r"(?P<d>\d{1,2})(?:st|nd|rd|th)?"
_CLOCK = (
    r"(?:,?\s*(?:at\s+)?(?P<H>\d{1,2})[:.](?P<M>\d{2})(?:[:.](?P<S>\d{2}))?\s*(?P<ampm>[ap]\.?m\.?)?)?" + _ZONE
)
_ENGLISH = (
    re.compile(r"\b" + _MONTH + r"\s+" + _DAY + r",?\s+(?P<y>\d{4})\b" + _CLOCK, re.IGNORECASE),
    re.compile(r"\b" + _DAY + r"\s+" + _MONTH + r",?\s+(?P<y>\d{4})\b" + _CLOCK, re.IGNORECASE),
)


def _read_english(value: str, zone: tzinfo, now: datetime) -> ParsedDate | None:
    for pattern in _ENGLISH:
        match = pattern.search(value)
        if match is None:
            continue
        parts = match.groupdict()
        hour = int(parts["H"] or 0)
        ampm = (parts["ampm"] or "").replace(".", "").lower()
        if ampm == "pm" and hour < 12:
            hour += 12
        elif ampm == "am" and hour == 12:
            hour = 0
        return _local(
            zone, int(parts["y"]), _MONTHS[parts["mon"].lower()], int(parts["d"]), hour, int(parts["M"] or 0),
            int(parts["S"] or 0), precision=_time_precision(parts["H"], parts["S"]), offset=_offset(parts["Z"], zone),
        )
    return None


_DEFAULTS = (datetime(1904, 1, 1, 0, 0, 0), datetime(1908, 2, 2, 1, 1, 1))


def _read_dateutil(value: str, zone: tzinfo, now: datetime) -> ParsedDate | None:
    """Any other form dateutil reads, when it states at least a year and a month."""
    if not re.search(r"\d{4}", value) or len(value) > 64:
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            first, second = (dateutil_parser.parse(value, default=d) for d in _DEFAULTS)
    except Exception:  # dateutil raises several types on odd input; none of them is ours to pass on
        return None
    if first.year != second.year or first.month != second.month:
        return None
    if first.day != second.day:
        precision = Precision.MONTH
    elif first.hour != second.hour:
        precision = Precision.DAY
    else:
        precision = Precision.SECOND if first.second == second.second else Precision.MINUTE
    offset = first.tzinfo if first.utcoffset() is not None else None
    return _local(
        zone, first.year, first.month, first.day if precision is not Precision.MONTH else 1,
        first.hour if precision not in (Precision.MONTH, Precision.DAY) else 0,
        first.minute if precision not in (Precision.MONTH, Precision.DAY) else 0,
        first.second if precision is Precision.SECOND else 0,
        precision=precision, offset=offset,
    )


_READERS: tuple[_Reader, ...] = (
    _read_relative, _read_numeric, _read_chinese, _read_english, _read_dateutil,
)

_URL_PATTERNS: tuple[tuple[re.Pattern[str], Precision], ...] = (
    (re.compile(r"(?<![0-9])t(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})_"), Precision.DAY),
    (re.compile(r"/(?P<y>(?:19|20)\d{2})[-/_](?P<m>\d{1,2})[-/_](?P<d>\d{1,2})(?=[/_.-]|$)"), Precision.DAY),
    (re.compile(r"/(?P<y>(?:19|20)\d{2})(?P<m>\d{2})[-/_](?P<d>\d{1,2})(?=[/_.-]|$)"), Precision.DAY),
    (re.compile(r"/(?P<y>(?:19|20)\d{2})(?P<m>\d{2})(?P<d>\d{2})(?=[/_.-]|$)"), Precision.DAY),
    (re.compile(r"/(?P<y>(?:19|20)\d{2})[-/_]?(?P<m>\d{2})(?=/)"), Precision.MONTH),
)
