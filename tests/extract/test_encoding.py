"""Decoding page bytes: BOM, declared charset, <meta> declaration, detection."""

from __future__ import annotations

import codecs

import pytest

from feeds.extract.encoding import charset_name, decode

ZH = "政协委员围绕老旧小区改造、加装电梯和停车难等问题开展专题协商,提出意见建议十七条。"
RARE = "镕基路街道的堃、喆、珺"  # outside GB2312, inside GBK/GB18030


@pytest.mark.parametrize(
    ("label", "name"),
    [("GB2312", "gb18030"), ("gbk", "gb18030"), ("x-gbk", "gb18030"), ("GB_2312-80", "gb18030"),
     ("cp936", "gb18030"), ("gb18030", "gb18030"), ("UTF-8", "utf-8"), ("utf8", "utf-8"),
     ("iso-8859-1", "cp1252"), ("big5", "big5hkscs"), ("no-such-charset", None), ("", None), (None, None)],
)
def test_charset_name(label: str | None, name: str | None) -> None:
    assert charset_name(label) == name


@pytest.mark.parametrize(
    ("bom", "codec"),
    [(codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")],
)
def test_bom_wins_over_a_declaration(bom: bytes, codec: str) -> None:
    assert decode(bom + ZH.encode(codec), "gbk") == ZH


def test_declared_charset() -> None:
    assert decode(ZH.encode("gb18030"), "gb18030") == ZH


def test_gb2312_declaration_reads_gbk_characters() -> None:
    data = RARE.encode("gbk")
    assert decode(data, "gb2312") == RARE
    page = b'<html><head><meta charset="gb2312"></head><body>' + data + b"</body></html>"
    assert RARE in decode(page)


def test_http_equiv_declaration() -> None:
    page = b'<meta http-equiv="Content-Type" content="text/html; charset=GBK"><p>' + ZH.encode("gbk") + b"</p>"
    assert ZH in decode(page)


def test_meta_declaration_is_ignored_for_plain_text() -> None:
    data = b'<meta charset="iso-8859-5">' + ZH.encode("utf-8")
    assert ZH in decode(data, html=False)


def test_transport_charset_beats_meta() -> None:
    page = b'<meta charset="utf-8"><p>' + ZH.encode("gbk") + b"</p>"
    assert ZH in decode(page, "gbk")


def test_a_wrong_declaration_is_passed_over() -> None:
    assert decode(ZH.encode("gbk"), "utf-8") == ZH


def test_latin1_default_for_utf8_bytes() -> None:
    assert decode("Café — naïve".encode(), "iso-8859-1") == "Café — naïve"


def test_undeclared_gbk_is_detected() -> None:
    assert decode((ZH * 2).encode("gbk")) == ZH * 2


def test_undeclared_windows_1252() -> None:
    assert decode("Crème brûlée at the café".encode("cp1252")) == "Crème brûlée at the café"


def test_undeclared_utf8() -> None:
    assert decode(ZH.encode()) == ZH


@pytest.mark.parametrize("data", [b"\xff\xfe\xfd\x80\x81", b"\x00\x01\x02", bytes(range(256)), b""])
def test_junk_never_raises(data: bytes) -> None:
    assert isinstance(decode(data), str)
    assert isinstance(decode(data, "utf-8"), str)
    assert isinstance(decode(data, "no-such-charset"), str)
