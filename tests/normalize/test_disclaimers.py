from __future__ import annotations

import json
from pathlib import Path

import pytest

from feeds.config import DisclaimerRule, Settings, load_settings
from feeds.errors import ConfigError
from feeds.models import Block, Disclaimer
from feeds.normalize.disclaimers import rights_text, split_disclaimer

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "normalize" / "disclaimers.json"
VARIANTS = json.loads(FIXTURE.read_text(encoding="utf-8"))
TEMPLATE = "本文转载自{source_name},版权归原作者所有。原文:{origin_url}"
ORIGIN = "http://www.sdzx.gov.cn/articles/ch02373/202404/184ec8ac.shtml"


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings()


def _body(notice: str) -> tuple[Block, ...]:
    return (
        Block("县政协召开协商议事会,围绕老旧小区改造开展专题协商。"),
        Block("The council voted on Monday to approve the budget."),
        Block(notice),
        Block("会议指出,老旧小区改造是民生工程,也是民心工程。"),
    )


def test_the_bundled_rules_cover_at_least_twelve_variants(settings: Settings) -> None:
    assert len(VARIANTS) >= 12
    assert len(settings.disclaimers.rules) >= 12


@pytest.mark.parametrize("variant", VARIANTS, ids=[v["id"] for v in VARIANTS])
def test_each_variant_leaves_the_body_as_its_kind(variant: dict[str, str], settings: Settings) -> None:
    blocks = _body(variant["notice"])
    body, disclaimer = split_disclaimer(blocks, settings.disclaimers.rules)
    assert disclaimer is not None
    assert disclaimer.kind == variant["kind"]
    assert disclaimer.text == variant["notice"]
    assert [b.text for b in body] == [blocks[0].text, blocks[1].text, blocks[3].text]


@pytest.mark.parametrize(
    "paragraph",
    [
        "会议审议通过了版权保护条例修订草案,与会人员表示要加强知识产权和版权保护工作。",
        "市版权局开展打击网络侵权盗版专项行动,查处案件12起。",
        "The bill would extend copyright protection to digital archives, the minister said.",
        "政协委员建议完善著作权登记制度,强化版权运营。" * 3,
    ],
)
def test_a_paragraph_mentioning_copyright_in_passing_stays(paragraph: str, settings: Settings) -> None:
    blocks = (Block(paragraph),)
    assert split_disclaimer(blocks, settings.disclaimers.rules) == (blocks, None)


def test_a_long_paragraph_is_taken_only_when_the_notice_starts_it(settings: Settings) -> None:
    long_text = "在服务中心大局上展现责任担当。" * 30
    kept = (Block(long_text + "转载请注明出处。"),)
    assert split_disclaimer(kept, settings.disclaimers.rules) == (kept, None)
    taken = (Block("免责声明:" + long_text),)
    body, disclaimer = split_disclaimer(taken, settings.disclaimers.rules)
    assert body == () and disclaimer is not None and disclaimer.kind == "reprint-notice"


def test_every_disclaimer_block_leaves_and_the_first_is_kept(settings: Settings) -> None:
    blocks = (
        Block("正文第一段。"),
        Block("【免责声明】本网转载此文出于传递更多信息之目的。"),
        Block("正文第二段。"),
        Block("如有侵权请联系删除。"),
    )
    body, disclaimer = split_disclaimer(blocks, settings.disclaimers.rules)
    assert [b.text for b in body] == ["正文第一段。", "正文第二段。"]
    assert disclaimer == Disclaimer("reprint-notice", "【免责声明】本网转载此文出于传递更多信息之目的。")


def test_matching_is_case_insensitive_and_text_is_cleaned() -> None:
    rules = (DisclaimerRule("copyright", "all rights reserved"),)
    body, disclaimer = split_disclaimer((Block("ALL\u00a0RIGHTS  RESERVED."),), rules)
    assert body == () and disclaimer == Disclaimer("copyright", "ALL RIGHTS RESERVED.")


def test_a_bad_rule_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        split_disclaimer((Block("x"),), (DisclaimerRule("copyright", "(unclosed"),))


def test_rights_text_with_every_value() -> None:
    text = rights_text(TEMPLATE, source_name="某某政协网", origin_url=ORIGIN, title="标题")
    assert text == f"本文转载自某某政协网,版权归原作者所有。原文:{ORIGIN}"


def test_rights_text_without_an_origin_leaves_no_dangling_label() -> None:
    text = rights_text(TEMPLATE, source_name="某某政协网", origin_url=None, title="标题")
    assert text == "本文转载自某某政协网,版权归原作者所有。"


def test_rights_text_without_a_source_name() -> None:
    text = rights_text(TEMPLATE, source_name=None, origin_url=ORIGIN, title=None)
    assert text == f"版权归原作者所有。原文:{ORIGIN}"
    assert "None" not in text


def test_rights_text_english_template() -> None:
    template = "© {source_name}. Original: {origin_url}"
    assert rights_text(template, source_name="Herald", origin_url="https://h.example/a", title=None) == (
        "© Herald. Original: https://h.example/a"
    )
    assert rights_text(template, source_name="Herald", origin_url="", title=None) == "© Herald."
    assert rights_text(template, source_name=None, origin_url=None, title=None) == ""


def test_rights_text_values_are_inserted_literally() -> None:
    text = rights_text("{title} — {source_name}", source_name="{origin_url}", origin_url="x", title="A {b}")
    assert text == "A {b} — {origin_url}"


def test_a_malformed_template_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        rights_text("原文:{origin_url", source_name=None, origin_url="x", title=None)
