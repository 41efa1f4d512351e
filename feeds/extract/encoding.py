"""Bytes of a captured or fetched page to text.

The encoding is taken from, in order: a byte order mark, the charset the
transport declared, an HTML ``<meta charset>`` / ``<meta http-equiv>``
declaration near the start of the document, strict UTF-8, and finally
charset-normalizer's detection. A Latin-1 default for bytes that are valid
UTF-8 is read as UTF-8. GB2312 and GBK are always read as their
superset GB18030, so characters outside the declared set survive. A declared
charset the bytes do not actually follow is passed over for the next
candidate; junk is never an error: undecodable bytes become U+FFFD.
"""

from __future__ import annotations

import codecs
import re

import charset_normalizer

__all__ = ["charset_name", "decode"]

SNIFF_BYTES = 4096  # how far into an HTML document a <meta> charset declaration is looked for

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# Codec names that stand for a superset in practice (WHATWG encoding standard).
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "cp936": "gb18030",
    "hz": "gb18030",
    "latin_1": "cp1252",
    "iso8859-1": "cp1252",
    "ascii": "cp1252",
    "big5": "big5hkscs",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "tis-620": "cp874",
    "iso8859-11": "cp874",
}
# Single-byte Western encodings a short Latin text is often mistaken for: read as windows-1252.
_WESTERN = {"cp1250", "cp1252", "cp1254", "cp1257", "latin_1", "iso8859-2", "iso8859-15", "mac-roman", "mac-latin2"}
_META_CHARSET = re.compile(
    rb"""<meta[^>]+?charset\s*=\s*["']?\s*([A-Za-z0-9._:-]+)""",
    re.IGNORECASE,
)


def charset_name(label: str | None) -> str | None:
    """The Python codec for a charset label (``GB2312`` → ``gb18030``), or None when the label is unknown."""
    if not label:
        return None
    cleaned = label.strip().strip("\"'").lower()
    if cleaned in ("x-gbk", "gb_2312-80", "gb_2312", "csgb2312", "x-euc-cn", "euc-cn"):
        cleaned = "gbk"
    if cleaned in ("x-user-defined", "unicode", "binary", "none", ""):
        return None
    try:
        name = codecs.lookup(cleaned).name
    except (LookupError, ValueError):
        return None
    return _SUPERSETS.get(name, name)


def decode(data: bytes, declared: str | None = None, *, html: bool = True) -> str:
    """``data`` as text; never raises on undecodable bytes (they become U+FFFD).

    ``declared`` is the transport's charset; with ``html`` a ``<meta>`` declaration counts too.
    """
    for bom, codec in _BOMS:
        if data.startswith(bom):
            return data[len(bom):].decode(codec, errors="replace")
    candidates = [charset_name(declared), _meta_charset(data) if html else None]
    for name in candidates:
        if name is None:
            continue
        if name in _WESTERN and (utf8 := _strict(data, "utf-8")) is not None:
            return utf8  # a Latin-1 default the server sent for what is really UTF-8
        if (text := _strict(data, name)) is not None:
            return text
    if (text := _strict(data, "utf-8")) is not None:
        return text
    detected = _detect(data)
    if detected is not None:
        return data.decode(detected, errors="replace")
    fallback = next((name for name in candidates if name is not None), "utf-8")
    return data.decode(fallback, errors="replace")


def _strict(data: bytes, name: str) -> str | None:
    try:
        return data.decode(name)
    except (UnicodeDecodeError, LookupError):
        return None


def _meta_charset(data: bytes) -> str | None:
    head = data[:SNIFF_BYTES]
    if b"<" not in head:
        return None
    match = _META_CHARSET.search(head)
    if match is None:
        return None
    name = charset_name(match.group(1).decode("ascii", errors="replace"))
    # A document that reached us as bytes and calls itself UTF-16 is not: the declaration was copied.
    if name is not None and name.startswith(("utf-16", "utf-32")):
        return "utf-8"
    return name


def _detect(data: bytes) -> str | None:
    best = charset_normalizer.from_bytes(data).best()
    if best is None:
        return None
    name = charset_name(str(best.encoding))
    if name in _WESTERN and _strict(data, "cp1252") is not None:
        return "cp1252"
    return name
