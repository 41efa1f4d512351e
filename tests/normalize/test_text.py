from __future__ import annotations

import pytest

from feeds.normalize.text import clean_text, clean_title, detect_language, summarize


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("a\u200bb\u200cc\u200dd\ufeffe\u2060f", "abcdef"),
        ("全角\u3000空格", "全角 空格"),
        ("non\u00a0breaking", "non breaking"),
        ("  many   \t spaces\n\nand lines  ", "many spaces and lines"),
        ("A &amp; B &lt;tag&gt; &nbsp;&#8212; &quot;q&quot;", 'A & B <tag> — "q"'),
        ("bell\x07 and\x00 nul\x1b", "bell and nul"),
        ("e\u0301", "\u00e9"),  # NFC
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


def test_clean_text_can_keep_line_breaks() -> None:
    assert clean_text("line  one \r\n  line\u3000two\n", keep_newlines=True) == "line one\n line two"


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("县政协召开协商议事会 聚焦老旧小区改造_某某县政协网", "县政协召开协商议事会 聚焦老旧小区改造"),
        ("我区扎实推动医保便民利民服务落地见效--某某自治区政协", "我区扎实推动医保便民利民服务落地见效"),
        ("全区经济运行稳中向好 - 某某新闻网站", "全区经济运行稳中向好"),
        ("全区经济运行稳中向好-某某日报", "全区经济运行稳中向好"),
        ("政协委员走进社区_工作动态_某某政协网", "政协委员走进社区"),
        ("Budget passes after long debate | Riverside Herald", "Budget passes after long debate"),
        (
            "City Council Approves Budget for Flood Defences - Riverside Herald",
            "City Council Approves Budget for Flood Defences",
        ),
        ("How the vote was won - Reuters", "How the vote was won"),
        ("Council approves budget - example-herald.org", "Council approves budget"),
    ],
)
def test_clean_title_drops_site_name_suffixes(title: str, expected: str) -> None:
    assert clean_title(title) == expected


@pytest.mark.parametrize(
    "title",
    [
        "坚持和加强党的全面领导 展现新时代人民政协责任担当",
        "COVID-19 cases rise again in the north",
        "Spider-Man - Far From Home",  # a short head: the hyphen belongs to the title
        "2024 - 2025 budget approved by the council",
        "The war in Ukraine - what we know so far",
        "Apple - The Company That Changed Everything Forever",
        "奋进新征程——访县政协",
        "一图读懂 - 2024年政府工作报告要点解读",
    ],
)
def test_clean_title_keeps_real_titles_with_hyphens(title: str) -> None:
    assert clean_title(title) == title


def test_clean_title_drops_a_known_site_name_even_behind_a_hyphen() -> None:
    assert clean_title("Weekly notes - lamplight", ["lamplight"]) == "Weekly notes"


SEED_OPENING = (
    "坚持和加强党对人民政协工作的全面领导,是习近平总书记关于加强和改进人民政协工作的重要思想的根和魂,"
    "是做好人民政协工作必须坚持的政治方向、政治立场和政治原则。在新时代的赶考之路上,人民政协担负着新的责任和使命,"
    "必须深入学习贯彻习近平新时代中国特色社会主义思想"
)


def test_summarize_cuts_chinese_at_a_sentence_end() -> None:
    summary = summarize(SEED_OPENING, "zh-CN")
    assert summary.endswith("政治原则。")
    assert len(summary) <= 120


def test_summarize_hard_cuts_without_a_sentence_end() -> None:
    text = "没有句号的很长的一段话" * 30
    summary = summarize(text, "zh-CN")
    assert summary.endswith("…") and len(summary) == 121


def test_summarize_keeps_a_short_text_whole() -> None:
    assert summarize("短文。", "zh-CN") == "短文。"
    assert summarize("A short note", "en") == "A short note"


def test_summarize_english_by_words() -> None:
    text = ("The council voted to approve the budget. " * 3) + ("word " * 60)
    summary = summarize(text, "en")
    assert summary.endswith("approve the budget.")
    words = summarize("word " * 80, "en")
    assert words.endswith("…") and len(words.split()) == 50


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        ("坚持和加强党对人民政协工作的全面领导", None, "zh-CN"),
        ("The city council voted on Monday.", None, "en"),
        ("坚持和加强党对人民政协工作的全面领导", "en", "zh-CN"),  # implausible hint
        ("The city council voted on Monday.", "zh-CN", "en"),
        ("坚持和加强党对人民政协工作的全面领导", "zh-TW", "zh-TW"),
        ("Der Stadtrat hat am Montag abgestimmt.", "de", "de"),
        ("The city council voted.", "en_us", "en-US"),
        ("これは日本語のテストです", None, "ja"),
        ("2024 12 20", "zh", "zh-CN"),
        ("", None, "und"),
        ("政协委员 GDP 增长 5.2% 的讨论", None, "zh-CN"),
    ],
)
def test_detect_language(text: str, hint: str | None, expected: str) -> None:
    assert detect_language(text, hint) == expected


def test_cjk_summary_joins_paragraphs_without_a_space() -> None:
    from feeds.normalize.text import summarize

    assert summarize("第一段落。\n\n第二段落。", "zh-CN") == "第一段落。第二段落。"
    assert summarize("First one.\n\nSecond one.", "en") == "First one. Second one."


def test_markup_in_a_title_is_removed_but_comparisons_stay() -> None:
    from feeds.normalize.text import clean_title

    assert clean_title("<script>alert(1)</script>标题<b>加粗</b>") == "标题加粗"
    assert clean_title("a < b and c > d") == "a < b and c > d"
    assert clean_title("<img src=x onerror=alert(1)>Title here") == "Title here"
