"""Plain-text captures, and the meta lines every kind of page carries.

A capture is a title line followed by the body, one block per line. Lines that
hold only labelled metadata (``发布时间:2024-04-12 10:30 来源:人民网 作者:张三``,
``3小时前 来源:某某客户端``, ``（来源:某某日报 记者 张三）``, ``原文链接:URL``,
``By Anna Fischer``, ``Source: https://…``) are taken out of the body into
``Extracted.meta``; ``take_meta`` does this for HTML pages too.

Meta keys: ``published``, ``updated``, ``source``, ``author``, ``editor``,
``origin_url``, ``abstract``. Values are the raw text after the label, trimmed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from feeds.models import Block, Extracted

__all__ = ["extract_text", "meta_fields", "take_meta"]

MAX_VALUE = 120  # characters; a longer "label: value" is a sentence, not a meta field
HEADER_PARAGRAPH = 60  # the header (title, date line, source line) ends at the first block this long

# label → key; None: a counter or tool label consumed with the line but not kept.
_ZH_LABELS: dict[str, str | None] = {
    "发布时间": "published", "发布日期": "published", "发表时间": "published", "发表日期": "published",
    "发稿时间": "published", "发文日期": "published", "日期": "published", "时间": "published",
    "更新时间": "updated", "更新日期": "updated", "修改时间": "updated",
    "来源": "source", "来源于": "source", "文章来源": "source", "稿件来源": "source", "信息来源": "source",
    "作者": "author", "记者": "author",
    "责任编辑": "editor", "编辑": "editor", "责编": "editor",
    "原文链接": "origin_url", "本文链接": "origin_url", "来源链接": "origin_url", "原文地址": "origin_url",
    "原文网址": "origin_url",
    "摘要": "abstract", "内容摘要": "abstract",
    "浏览次数": None, "浏览量": None, "点击数": None, "点击量": None, "点击率": None, "阅读量": None,
    "阅读次数": None, "阅读数": None, "访问量": None, "访问次数": None, "字号": None,
}
_EN_LABELS: dict[str, str | None] = {
    "published": "published", "published on": "published", "posted on": "published", "posted": "published",
    "updated": "updated", "last updated": "updated", "modified": "updated",
    "author": "author", "written by": "author",
    "editor": "editor", "edited by": "editor",
    "source": "source",
    "original article": "origin_url", "original": "origin_url", "originally published at": "origin_url",
    "original url": "origin_url", "original link": "origin_url",
    "views": None,
}
_URL_ONLY = {"source", "original", "original article", "originally published at", "original url", "original link"}
_DATED = {"published", "updated"}


def _alternation(labels: Iterable[str]) -> str:
    return "|".join(re.escape(label) for label in sorted(labels, key=len, reverse=True))


_LABEL = re.compile(
    rf"(?:^|(?<=[\s|｜丨/·•【\[(（]))(?P<zh>{_alternation(_ZH_LABELS)})\s*[:：]\s*"
    rf"|(?:^|(?<=[\s|｜丨/·•]))(?P<en>{_alternation(_EN_LABELS)})\s*:\s*",
    re.IGNORECASE,
)
_ABSTRACT = re.compile(r"^[\[【]\s*(?:内容)?摘要\s*[\]】]\s*[:：]?\s*(?P<value>\S.*)$", re.DOTALL)
_BY = re.compile(
    r"^by\s+(?P<value>[A-Z][\w.'’-]*(?:(?:\s+|\s*,\s*|\s+and\s+)[A-Z][\w.'’-]*){0,5})\s*$", re.IGNORECASE
)
_BY_NAME = re.compile(r"^[A-Z]")
_URL = re.compile(r"^(?:https?://|www\.)\S+$", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
_DATE_ONLY = re.compile(
    r"^(?:\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}日?|\d{1,2}/\d{1,2}/\d{4})(?:\s*\d{1,2}[:：]\d{2}(?:[:：]\d{2})?)?$"
)
# Relative times CMS pages print instead of a date: 3小时前, 刚刚, 昨天 15:20, 2 days ago.
_RELATIVE_ONLY = re.compile(
    r"^(?:刚刚|刚才|\d{1,4}\s*(?:秒|分钟|小时|天|周)前"
    r"|(?:今天|今日|昨天|昨日|前天)(?:\s*\d{1,2}[:：]\d{2})?"
    r"|(?:\d{1,4}|an?)\s+(?:second|minute|min|hour|hr|day|week)s?\s+ago|just now|today|yesterday)$",
    re.IGNORECASE,
)
# A source value naming the reporter too: "某某日报 记者 张三" (the label without a colon).
_REPORTER = re.compile(r"^(?P<source>\S.*?)\s+(?:记者|通讯员)\s*(?P<author>\S.*)$")
_UNKNOWN_LABEL = re.compile(r"(?:^|\s)[\u4e00-\u9fff]{1,6}\s*[:：]|(?:^|\s)[A-Za-z]{2,}:(?:\s|$)")
_EDGE = " \t|｜丨·•【】[]()（）"


def extract_text(text: str, url: str | None = None) -> Extracted:
    """A plain-text capture: the first non-empty line is the title, every other line a block."""
    lines = [line.strip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lines = [line for line in lines if line]
    if not lines:
        return Extracted(title="", blocks=(), url=url)
    meta: dict[str, str] = {}
    blocks = take_meta((Block(text=line) for line in lines[1:]), meta)
    return Extracted(title=lines[0], blocks=blocks, meta=meta, url=url)


def take_meta(blocks: Iterable[Block], meta: dict[str, str]) -> tuple[Block, ...]:
    """The blocks that are not meta lines; the fields of those that are go into ``meta``.

    A key already in ``meta`` keeps its value. A line holding only a date counts as
    the publication date while still in the header, before the first long paragraph.
    """
    kept: list[Block] = []
    header = True
    for block in blocks:
        fields = meta_fields(block.text, header=header) if block.tag in ("p", "li") else None
        if fields is None:
            kept.append(block)
            header = header and len(block.text.strip()) < HEADER_PARAGRAPH
            continue
        for key, value in fields.items():
            meta.setdefault(key, value)
    return tuple(kept)


def meta_fields(line: str, *, header: bool = False) -> dict[str, str] | None:
    """The meta fields of ``line`` when it holds nothing else, or None when it is not a meta line.

    A date before the first label is read as ``published``; a line holding only a date
    counts as such only with ``header``.
    """
    text = " ".join(line.split())
    if not text:
        return None
    if (found := _ABSTRACT.match(text)) is not None:
        return {"abstract": found.group("value").strip()}
    if (by := _BY.match(text)) is not None and all(_BY_NAME.match(w) for w in re.split(r"[\s,]+", by["value"])
                                                   if w.lower() != "and"):
        return {"author": by.group("value").strip()}
    matches = list(_LABEL.finditer(text))
    fields: dict[str, str] = {}
    lead = text[: matches[0].start()].strip(_EDGE) if matches else text
    if lead:
        if not (_DATE_ONLY.match(lead) or _RELATIVE_ONLY.match(lead)) or not (header or matches):
            return None
        fields["published"] = lead
    for index, match in enumerate(matches):
        end = matches[index + 1].start() if index + 1 < len(matches) else len(text)
        try:
            field = _field(match, text[match.end(): end].strip(_EDGE))
        except _NotMeta:
            return None
        if field is not None and field[1]:
            fields.setdefault(field[0], field[1])
    if (reporter := _REPORTER.match(fields.get("source", ""))) is not None:
        fields["source"] = reporter["source"]
        fields.setdefault("author", reporter["author"])
    return fields or None


class _NotMeta(Exception):
    """A labelled segment that shows the line is prose, not metadata."""


def _field(match: re.Match[str], value: str) -> tuple[str, str] | None:
    """(key, value) of one labelled segment, or None for a segment consumed but not kept."""
    if match["zh"] is not None:
        label = match["zh"]
        key = _ZH_LABELS[label]
    else:
        label = match["en"].lower()
        key = _EN_LABELS[label]
        if label in _URL_ONLY:
            if _URL.match(value):
                key = "origin_url"
            elif label == "source" and value and not _UNKNOWN_LABEL.search(value):
                key = "source"
            else:
                raise _NotMeta
    if key is None:
        return None
    if key == "abstract":
        return (key, value)
    if len(value) > MAX_VALUE:
        raise _NotMeta
    if key == "origin_url" or (key == "source" and _URL.match(value)):
        return ("origin_url", value.split()[0]) if value else None
    if _UNKNOWN_LABEL.search(value):
        raise _NotMeta
    if key in _DATED and value and not _DIGIT.search(value):
        raise _NotMeta
    return (key, value)
