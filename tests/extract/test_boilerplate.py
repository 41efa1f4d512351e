"""Boilerplate removal: one example (or more) per rule, and the guards that keep real paragraphs."""

from __future__ import annotations

import pytest

from feeds.models import Block
from feeds.normalize.boilerplate import RULES, strip_boilerplate

BODY = "会议指出,要坚持问需于民、问计于民,把协商议事平台建在群众家门口,推动协商成果转化为看得见、摸得着的实际成效。"
EN_BODY = ("The city council voted on Monday to approve a budget for new flood defences along the river, "
           "ending a debate that lasted more than two years.")

# rule name → lines it removes (each also checked to be caught by that rule first)
EXAMPLES: dict[str, list[str]] = {
    "breadcrumb": ["当前位置:首页 > 政协动态 > 工作动态", "您现在的位置：首页 > 新闻", "你现在的位置: 首页"],
    "breadcrumb_home": ["首页 > 政协动态 > 正文", "首页>>新闻中心", "Home » News » Local"],
    "breadcrumb_chain": ["政协动态 > 工作动态 > 正文", "新闻中心 » 本地新闻 » 正文"],
    "breadcrumb_en": ["You are here: Home / News"],
    "font_size": ["字号:[大][中][小]", "字号：大 中 小", "【字号 大 中 小】"],
    "print_close": ["打印本页 关闭窗口", "【打印】 【关闭】", "[打印] [关闭]", "加入收藏 | 返回顶部"],
    "share": ["分享到:", "分享到：微信 微博 QQ空间", "分享"],
    "tools_en": ["Print", "Share this", "Print | Email | Share this", "Share this article: Facebook Twitter"],
    "counter": ["浏览次数:128", "点击数：{{ hits }}", "阅读量:1万+", "【浏览量:56】"],
    "counter_en": ["Views: 1,024", "1,024 views"],
    "prev_next": [">>上一篇:把纪律规矩挺在前面", ">>下一篇:坚持党的领导", "上一条:县政协召开会议", "下一条：无",
                  "上一篇：没有了"],
    "prev_next_en": ["« Previous: Library opening hours extended", "Next »: New bus line", "Previous post: Hello",
                     "‹ Older"],
    "dated_item": ["24-12-20李强主持国务院第十一次...", "24-12-18", "2024-12-18 县政协召开主席会议", "2024/05/06"],
    "dated_item_en": ["Mar 1 Harbour festival returns in June", "February 27, 2024 School meals program expanded"],
    "copyright": ["版权所有:某某县政协办公室", "Copyright © 2024 某某市政协", "© 2024 Riverside Herald",
                  "Copyright (c) Example Inc."],
    "icp": ["ICP备12345678号-1", "粤ICP备05012345号", "京公网安备11010502000001号", "网站标识码:6400000001"],
    "site_credits": ["主办单位:某某自治区政协办公厅", "承办单位：某某信息中心", "技术支持:某某网络公司"],
    "template": ["{{ pvCount }}", "阅读 {{ pvCount }} 次", "{$article.hits}", "<%= views %>", "${pv}", "{% hits %}"],
}
CUT_HEADINGS = ["最新加入", "热门资讯", "相关文章", "热点新闻", "推荐阅读", "相关阅读", "猜你喜欢", "Related posts",
                "Related articles", "Most read", "相关新闻 更多>>"]


def _texts(blocks: tuple[Block, ...]) -> list[str]:
    return [block.text for block in blocks]


def _strip(*texts: str) -> list[str]:
    return _texts(strip_boilerplate(tuple(Block(text) for text in texts)))


def test_every_rule_has_examples() -> None:
    names = [rule.name for rule in RULES]
    assert len(names) == len(set(names))
    assert set(names) == {*EXAMPLES, "related_heading"}


@pytest.mark.parametrize(("name", "line"), [(name, line) for name, lines in EXAMPLES.items() for line in lines])
def test_rule_removes_its_example(name: str, line: str) -> None:
    first = next(rule for rule in RULES if len(line) <= rule.max_len and rule.pattern.search(line))
    assert first.name == name
    assert _strip(BODY, line, BODY) == [BODY, BODY]


@pytest.mark.parametrize("heading", CUT_HEADINGS)
def test_related_heading_cuts_the_rest(heading: str) -> None:
    rule = next(rule for rule in RULES if rule.name == "related_heading")
    assert rule.pattern.search(heading)
    after = ["24-12-20李强主持国务院第十一次...", "习近平赴山西考察调研", "Who owns the cell towers?", BODY]
    assert _strip(BODY, BODY, heading, *after) == [BODY, BODY]


def test_heading_at_the_end_goes() -> None:
    assert _strip(BODY, "最新加入") == [BODY]


def test_heading_followed_by_prose_stays() -> None:
    assert _strip(BODY, "相关阅读", BODY, BODY) == [BODY, "相关阅读", BODY, BODY]


def test_sidebar_above_the_article_takes_only_its_list() -> None:
    sidebar = ["热门资讯", "24-12-18交通建设提速,推进高效...", "24-12-18贺兰县政协主席会议成员..."]
    assert _strip(*sidebar, BODY, BODY, BODY) == [BODY, BODY, BODY]


def test_disclaimers_are_never_removed() -> None:
    disclaimer = "[免责声明] 本文来源于网络转载,仅供学习交流使用。版权所有者如有异议请联系。"
    notice = "Disclaimer: © 2024 the original publisher. Reprinted for information only."
    assert _strip(BODY, disclaimer, notice) == [BODY, disclaimer, notice]
    assert _strip(BODY, "相关文章", "24-11-12县政协召开主席会议", disclaimer) == [BODY, disclaimer]


def test_meta_and_origin_lines_are_left_alone() -> None:
    assert _strip("原文链接:http://www.sdzx.gov.cn/a.shtml", "来源:人民网") == [
        "原文链接:http://www.sdzx.gov.cn/a.shtml", "来源:人民网"]


@pytest.mark.parametrize(
    "paragraph",
    [
        BODY * 3 + "版权所有的作品受著作权法保护,主办单位和技术支持单位均应遵守。",
        "2024-04-12,市政协召开常委会议。" + BODY * 2,
        "首页 > 这种写法出现在一段很长的正文里时," + BODY * 3,
        "Next: " + EN_BODY,
        "Mar 3 was the day the council finally voted on the long-delayed flood budget.",
        "下一步,自治区医疗保障局将进一步优化经办流程,扩大“免申即享”服务范围。",
        "分享经济的发展为城市治理带来了新课题,需要政府、企业和社会各方共同应对。",
        EN_BODY + " Print editions were delayed.",
    ],
)
def test_real_paragraphs_are_kept(paragraph: str) -> None:
    assert _strip(paragraph) == [paragraph]


def test_template_code_is_cut_out_of_a_long_paragraph() -> None:
    markup = "本次活动共服务居民200余人次,{{ articleTag }}进一步<b>密切</b>了政协委员同人民群众的联系。"
    [block] = strip_boilerplate((Block(text=markup.replace("<b>", "").replace("</b>", ""), html=markup),))
    assert block.text == "本次活动共服务居民200余人次,进一步密切了政协委员同人民群众的联系。"
    assert block.html == "本次活动共服务居民200余人次,进一步<b>密切</b>了政协委员同人民群众的联系。"


def test_images_and_empty_blocks_pass_through() -> None:
    image = Block(text="", tag="img", html='<img src="https://x.example/a.jpg" alt="">')
    assert strip_boilerplate((image, Block(BODY))) == (image, Block(BODY))
