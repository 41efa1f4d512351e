"""Text cleanup, titles, summaries and language detection.

``clean_text`` turns extracted text into plain, normalized Unicode: entities
decoded, NFC, invisible characters gone, spaces collapsed. ``clean_title``
also drops a site-name suffix (``标题_某某网``, ``Title | Site``).
``summarize`` cuts the opening of an article at a sentence end, and
``detect_language`` tells Chinese from Latin-script text.
"""

from __future__ import annotations

import html
import re
import unicodedata
from collections.abc import Iterable

__all__ = ["clean_text", "clean_title", "detect_language", "summarize"]

_INVISIBLE = re.compile(r"[\u200b-\u200d\u2060\ufeff\u00ad]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"[\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_KANA = re.compile(r"[\u3040-\u30ff]")
_HANGUL = re.compile(r"[\uac00-\ud7af]")
_LATIN = re.compile(r"[A-Za-z\u00c0-\u024f]")
_SENTENCE_END = re.compile(r"[。！？!?]+[”’」』\"')）]?|\.(?:[”’\"')]|(?=\s)|$)")

CJK_SUMMARY_CHARS = 120
LATIN_SUMMARY_WORDS = 50
ELLIPSIS = "…"


def clean_text(text: str, *, keep_newlines: bool = False) -> str:
    """Plain normalized text: entities decoded, NFC, no invisible or control characters, spaces collapsed.

    With ``keep_newlines`` line breaks survive (each line collapsed on its own), as preformatted text needs.
    """
    value = html.unescape(text)
    value = unicodedata.normalize("NFC", value)
    value = _INVISIBLE.sub("", value)
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")
    value = _CONTROL.sub("", value)
    value = _SPACES.sub(" ", value)
    if keep_newlines:
        lines = [re.sub(r"[ \f\v]+", " ", line).rstrip() for line in value.split("\n")]
        return "\n".join(lines).strip("\n")
    return re.sub(r"\s+", " ", value).strip()


# --------------------------------------------------------------------------- titles

_SITE_WORDS = (
    "网", "网站", "官网", "门户", "政协", "政府", "人大", "日报", "晚报", "报", "新闻", "在线", "频道", "客户端",
    "电视台", "广播", "委员会", "办公室", "办公厅", "中心", "社", "杂志", "时报", "之声", "头条", "号",
)
_DOMAIN = re.compile(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)*\.(?:com|cn|net|org|gov|edu|io|info|news)(?:\.\w{2})?$", re.I)
# Separators that, on news sites, almost only ever introduce the site name.
_STRONG = re.compile(r"\s*(?:\||｜|_|--|::|»)\s*")
# Separators that also occur inside real titles: the suffix must look like a site name.
_WEAK = re.compile(r"\s+[-–—·]\s+|-(?=[\u4e00-\u9fff])")
_SUFFIX_MAX = 30
_MIN_TITLE = 4


_SCRIPT = re.compile(r"<(script|style)\b[^>]*>.*?(</\1\s*>|$)", re.IGNORECASE | re.DOTALL)
_MARKUP = re.compile(r"</?[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?>")


def clean_title(title: str, site_names: Iterable[str | None] = ()) -> str:
    """The title without a trailing site name (``标题_某某网``, ``标题--某某政协``, ``Title | Site``).

    A title is plain text: markup found in it (``<script>…</script>``, ``<b>``) is removed.
    """
    value = clean_text(_MARKUP.sub("", _SCRIPT.sub("", title)))
    names = {n.strip().casefold() for n in site_names if n and n.strip()}
    while True:
        shorter = _drop_suffix(value, names)
        if shorter == value:
            return value
        value = shorter


def _drop_suffix(title: str, names: set[str]) -> str:
    for separator in (_STRONG, _WEAK):
        matches = list(separator.finditer(title))
        if not matches:
            continue
        last = matches[-1]
        head, suffix = title[: last.start()].strip(), title[last.end():].strip()
        if len(head) < _MIN_TITLE or not suffix:
            continue
        if suffix.casefold() in names:
            return head
        if separator is _STRONG and _short_label(suffix):
            return head
        if _looks_like_site(suffix, head):
            return head
    return title


def _short_label(text: str) -> bool:
    return len(text) <= _SUFFIX_MAX and len(text.split()) <= 5 and not re.search(r"[。！？!?,，;；]", text)


_NEWS_WORDS = {
    "news", "herald", "times", "post", "journal", "daily", "tribune", "gazette", "review", "blog", "magazine",
    "online", "radio", "tv", "network", "media", "press", "wire", "today", "weekly", "chronicle", "observer",
    "guardian", "telegraph", "express", "mail", "star", "sun", "record", "report", "bulletin", "channel", "digest",
}
_SMALL_WORDS = {"of", "the", "and", "for", "on", "in", "&"}


def _looks_like_site(text: str, head: str) -> bool:
    """Whether a suffix after a separator that real titles also use is a site name."""
    if not _short_label(text):
        return False
    if _DOMAIN.match(text):
        return True
    if _HAN.search(text):
        return len(text) <= 16 and text.endswith(_SITE_WORDS)
    long_head = len(head.split()) >= 3 or len(_HAN.findall(head)) >= _MIN_TITLE
    words = text.split()
    if not long_head or not 1 <= len(words) <= 4 or not words[0][:1].isupper():
        return False
    if not all(w[:1].isupper() or w.casefold() in _SMALL_WORDS for w in words):
        return False
    return len(words) == 1 or any(w.casefold() in _NEWS_WORDS for w in words)


# --------------------------------------------------------------------------- summary


def summarize(text: str, language: str) -> str:
    """The opening of ``text``: ~120 characters of CJK or ~50 words, cut at a sentence end when one is in range."""
    value = re.sub(r"\s+", " ", text).strip()
    if not value:
        return ""
    if _is_cjk_language(language) or _cjk_share(value) > 0.3:
        # CJK text has no spaces between sentences: paragraph breaks join without one.
        value = re.sub(r"(?<=[。！？；：”’」』）])\s+(?=\S)", "", value)
        return _cut(value, CJK_SUMMARY_CHARS)
    words = list(re.finditer(r"\S+", value))
    if len(words) <= LATIN_SUMMARY_WORDS:
        return value
    return _cut(value, words[LATIN_SUMMARY_WORDS - 1].end())


def _cut(value: str, limit: int) -> str:
    if len(value) <= limit:
        return value
    head = value[:limit]
    ends = [m.end() for m in _SENTENCE_END.finditer(value[: limit + 1]) if m.end() <= limit]
    if ends and ends[-1] >= limit // 4:
        return value[: ends[-1]].strip()
    return head.rstrip(" ,，、;；:：") + ELLIPSIS


# --------------------------------------------------------------------------- language


def detect_language(text: str, hint: str | None = None) -> str:
    """A BCP 47 tag: the hint when the text's script agrees with it, else what the script says."""
    sample = text[:4000]
    han, kana, hangul = len(_HAN.findall(sample)), len(_KANA.findall(sample)), len(_HANGUL.findall(sample))
    latin = len(_LATIN.findall(sample))
    cjk = han + kana + hangul
    tag = _normalize_tag(hint) if hint else None
    if cjk + latin == 0:
        return tag or "und"
    cjk_text = cjk * 3 >= latin  # a CJK character carries about as much as a Latin word of ~3 letters
    if tag is not None:
        cjk_tag = tag.split("-")[0] in ("zh", "ja", "ko")
        if cjk_tag == cjk_text:
            return tag
    if not cjk_text:
        return "en"
    if kana * 10 >= cjk and kana:
        return "ja"
    if hangul > han:
        return "ko"
    return "zh-CN"


def _normalize_tag(tag: str) -> str | None:
    parts = [p for p in re.split(r"[-_]", tag.strip()) if p]
    if not parts or not re.fullmatch(r"[A-Za-z]{2,3}", parts[0]):
        return None
    out = [parts[0].lower()]
    for part in parts[1:]:
        if re.fullmatch(r"[A-Za-z]{4}", part):
            out.append(part.title())
        elif re.fullmatch(r"[A-Za-z]{2}|\d{3}", part):
            out.append(part.upper())
        elif re.fullmatch(r"[A-Za-z0-9]{1,8}", part):
            out.append(part.lower())
        else:
            break
    if out == ["zh"]:
        return "zh-CN"
    return "-".join(out)


def _is_cjk_language(language: str) -> bool:
    return language.split("-")[0].lower() in ("zh", "ja", "ko")


def _cjk_share(text: str) -> float:
    cjk = len(_HAN.findall(text)) + len(_KANA.findall(text)) + len(_HANGUL.findall(text))
    return cjk / max(len(text), 1)
