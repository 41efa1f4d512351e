"""Page furniture left in an article body: breadcrumbs, tool bars, navigation, sidebars, footers.

Every rule is one row of ``RULES``: a name, a regular expression searched in a
block's whitespace-collapsed text, what to do on a match, and the longest block
it may touch, so a real paragraph that merely mentions ``版权所有`` or starts
with ``2024-04-12`` is never taken. The actions:

``drop``
    the block goes.
``cut``
    a sidebar or related-list heading (``最新加入``, ``热门资讯``, ``Related posts``):
    when list-like short lines follow, the heading and everything after it go;
    if more paragraph text follows than came before (a sidebar above the article),
    only the heading and its list go.
``scrub``
    unrendered template code (``{{ pvCount }}``) is cut out of the block; a
    block with little else left goes.

Disclaimers (``免责声明``, ``Disclaimer:``) and origin links (``原文链接:``) are
never removed here, not even after a cut: ``feeds.normalize.disclaimers`` and
the metadata step take them. Prose (a long block with two or more sentences)
is only ever scrubbed of template code.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Literal

from feeds.models import Block

__all__ = ["RULES", "Rule", "strip_boilerplate"]

Action = Literal["drop", "cut", "scrub"]


@dataclass(frozen=True)
class Rule:
    name: str
    pattern: re.Pattern[str]
    action: Action
    max_len: int  # characters: longer blocks are never touched by this rule


def _rule(name: str, pattern: str, action: Action, max_len: int) -> Rule:
    return Rule(name, re.compile(pattern, re.IGNORECASE), action, max_len)


def _any(*words: str) -> str:
    """A group matching any of ``words`` literally, longest first."""
    return "(?:" + "|".join(re.escape(w) for w in sorted(words, key=len, reverse=True)) + ")"


_SEP = r"(?:>>|>|＞|»|›|→|/)"
_CHAIN = r"(?:>>|>|＞|»|›|→)"
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"

_WHERE = _any("当前位置", "您现在的位置", "你现在的位置", "您的位置", "你的位置", "所在位置")
_PRINT = _any("打印本页", "打印此页", "打印文章", "关闭窗口", "关闭本页", "加入收藏", "收藏本页", "返回顶部")
_COUNTS = _any("浏览次数", "浏览量", "点击数", "点击量", "点击率", "阅读量", "阅读次数", "阅读数", "访问量", "访问次数")
_PAGING = _any("上一篇", "下一篇", "上一条", "下一条", "上篇", "下篇", "上一页", "下一页")
_RELATED = _any(
    "最新加入", "最新文章", "最新更新", "最新动态", "最新资讯", "热门资讯", "热门文章", "热门推荐",
    "热点新闻", "热点推荐", "热点关注", "相关文章", "相关新闻", "相关阅读", "相关链接", "推荐阅读",
    "延伸阅读", "猜你喜欢", "精彩推荐", "图片新闻", "排行榜",
    "related posts", "related articles", "related stories", "related news", "related", "you may also like",
    "more stories", "most read", "most popular", "popular posts", "recent posts", "latest news",
    "recommended", "recommended for you",
)

RULES: tuple[Rule, ...] = (
    # breadcrumbs
    _rule("breadcrumb", rf"^{_WHERE}\s*[:：]", "drop", 200),
    _rule("breadcrumb_home", rf"^(?:首页|主页|网站首页|home)\s*{_SEP}", "drop", 200),
    _rule("breadcrumb_chain", rf"^[^>＞»›]{{1,20}}(?:\s*{_CHAIN}\s*[^>＞»›]{{1,20}}){{2,}}$", "drop", 120),
    _rule("breadcrumb_en", r"^you are here\s*[:：]", "drop", 200),
    # tool lines
    _rule("font_size", r"字号\s*[:：]?\s*[\[【(（]?\s*[大中小]", "drop", 100),
    _rule("print_close", rf"{_PRINT}|[【\[]\s*(?:打印|关闭|收藏)\s*[】\]]", "drop", 80),
    _rule("share", r"^分享(?:到|至)?\s*[:：]|^分享\s*$", "drop", 80),
    _rule("tools_en", r"^(?:[\s|·•/]*(?:print(?: this)?(?: page| article)?|e-?mail|share(?: this)?"
          r"(?: article| post| page| story)?|tweet|facebook|twitter|linkedin|whatsapp|reddit|copy link)[\s:]*)+"
          r"[\s|·•/]*$", "drop", 80),
    _rule("counter", rf"{_COUNTS}\s*[:：]", "drop", 80),
    _rule("counter_en", r"^(?:views?|reads|hits)\s*[:：]\s*[\d,]+$|^[\d,]+\s+(?:views|reads)$", "drop", 40),
    # previous / next article
    _rule("prev_next", rf"^(?:>>|»|＞＞|>|【)?\s*{_PAGING}(?=\s*[:：]|\s|$)", "drop", 120),
    _rule("prev_next_en", r"^(?:[«‹←]\s*(?:previous|prev|older)\b|(?:previous|prev|next|older|newer)"
          r"(?:\s+(?:post|article|story|entry|page))?\s*(?:[»›→]\s*[:：]?|[:：]))", "drop", 100),
    # sidebars and related lists
    _rule("related_heading", rf"^{_RELATED}\s*[:：]?\s*(?:更多\s*>*|more\s*(?:>+|»)?)?$", "cut", 30),
    _rule("dated_item", r"^(?:\d{4}|\d{2})[-/.]\d{1,2}[-/.]\d{1,2}(?!\d)", "drop", 40),
    _rule("dated_item_en", rf"^{_MONTH}\s+\d{{1,2}}(?:,?\s+\d{{4}})?\s+\S.*(?<![.!?])$", "drop", 60),
    # site footers
    _rule("copyright", r"版权所有|copyright\s*(?:©|\(c\)|&copy;)|©\s*(?:copyright\s*)?\d{4}|^©", "drop", 160),
    _rule("icp", r"ICP\s*(?:备|证)|公网安备|网站标识码|网站识别码", "drop", 160),
    _rule("site_credits", r"(?:主办|承办|协办|维护)单位\s*[:：]?|技术支持\s*[:：]", "drop", 160),
    # unrendered templates
    _rule("template", r"\{\{.*?\}\}|\{\$[\w.\[\]'\"]+\}|<%=?.*?%>|\$\{[\w.]+\}|\{%.*?%\}", "scrub", 100_000),
)

LIST_ITEM = 40  # characters: a line this short, without a sentence end, is a list item
LOOKAHEAD = 3  # blocks after a heading examined to tell a list from prose
SCRUB_KEEP = 20  # characters: a block with less left after scrubbing goes
PROSE = 80  # characters: a block this long with two sentence ends is prose, which only "scrub" touches

# Disclaimers (feeds.normalize.disclaimers takes them) and origin-link meta lines: never removed here.
_PROTECTED = re.compile(
    r"^[\[【(（]?\s*(?:免责声明|版权声明|特别声明|声明\s*[:：]|disclaimer\b)"
    r"|^(?:原文链接|本文链接|来源链接|原文地址|original article)\s*[:：]",
    re.IGNORECASE,
)
_SENTENCES = re.compile(r"[。！？!?]|\.(?:\s|$)")
_SENTENCE_END = re.compile(r"(?:[。；;]|(?<!\.)\.)[”’\"')）]?$")  # a list title may end in ? or !, not in a full stop
_SPACE = re.compile(r"\s+")


def strip_boilerplate(blocks: tuple[Block, ...]) -> tuple[Block, ...]:
    """``blocks`` without page furniture; article paragraphs and disclaimers are left as they are."""
    texts = [_SPACE.sub(" ", block.text).strip() for block in blocks]
    kept: list[Block] = []
    index = 0
    while index < len(blocks):
        block, text = blocks[index], texts[index]
        rule = _first_rule(text)
        if rule is None or _PROTECTED.match(text):
            kept.append(block)
        elif rule.action == "scrub":
            scrubbed = _scrub(block, text, rule)
            if scrubbed is not None:
                kept.append(scrubbed)
        elif rule.action == "cut":
            end = _cut_end(texts, index)
            if end == index:
                kept.append(block)
            else:
                kept.extend(b for b, t in zip(blocks[index + 1: end], texts[index + 1: end], strict=True)
                            if _PROTECTED.match(t))
                index = end
                continue
        index += 1
    return tuple(kept)


def _first_rule(text: str) -> Rule | None:
    if not text:
        return None
    prose = len(text) >= PROSE and len(_SENTENCES.findall(text)) >= 2
    for rule in RULES:
        if prose and rule.action != "scrub":
            continue
        if len(text) <= rule.max_len and rule.pattern.search(text):
            return rule
    return None


def _is_list_item(text: str) -> bool:
    return len(text) <= LIST_ITEM and not _SENTENCE_END.search(text)


def _cut_end(texts: list[str], heading: int) -> int:
    """Where the region a related-list heading opens ends: ``heading`` itself when it opens none."""
    following = [t for t in texts[heading + 1:] if t and not _PROTECTED.match(t)][:LOOKAHEAD]
    if not following:
        return heading + 1
    listed = sum(_is_list_item(t) for t in following)
    if not _is_list_item(following[0]) or listed * 2 <= len(following):
        return heading
    before = sum(len(t) for t in texts[:heading] if not _is_list_item(t))
    after = sum(len(t) for t in texts[heading + 1:] if not _is_list_item(t) and not _PROTECTED.match(t))
    if after <= before:
        return len(texts)
    end = heading + 1
    while end < len(texts) and (not texts[end] or _is_list_item(texts[end])):
        end += 1
    return end


def _scrub(block: Block, text: str, rule: Rule) -> Block | None:
    left = rule.pattern.sub("", text).strip()
    if len(re.sub(r"[\W_]+", "", left)) < SCRUB_KEEP:
        return None
    markup = block.html
    if markup is not None:
        for token in set(rule.pattern.findall(text)):
            markup = markup.replace(token, "").replace(html.escape(token, quote=False), "")
    return Block(text=_SPACE.sub(" ", left), tag=block.tag, html=markup)
