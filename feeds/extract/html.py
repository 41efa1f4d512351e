"""Article pages in HTML: title, meta tags, JSON-LD and the body blocks.

The title, the meta fields and the language come from the page's head
(``feeds.extract.head``), meta lines beside the body adding to them. The body is
read from a known content container (``div.TRS_Editor``, ``#zoom``,
``[itemprop=articleBody]``, ``.article-content``, ``article``, ``.content``)
or, failing that, from the element with the most paragraph text, after page
furniture (navigation, sidebars, footers, share bars, comments, ads) and
hidden markup are dropped. Each ``p``/``h2``/``h3``/``li``/``blockquote``/
``pre``/``img`` is one block (1×1 tracking images are none); text between
``<br>`` in a container without paragraphs is one block per line. Links and
images are made absolute against the page URL.

A site's extraction rules (``feeds.extract.rules``), when given, strip their
elements first, and the title, body container, date, source and author their
selectors find win over the guesses above; without rules nothing changes.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator
from html import escape
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from lxml import html as lxml_html

from feeds.extract.head import head_language, head_meta, head_title, norm, text_of
from feeds.extract.rules import RuleFields, read_rules, rule_date
from feeds.extract.text import meta_fields, take_meta
from feeds.models import Block, Extracted, SiteRules

__all__ = ["extract_html"]

Element = Any  # lxml.html.HtmlElement; lxml ships no type information

DROP_TAGS = (
    "script", "style", "nav", "aside", "footer", "header", "form", "iframe", "noscript", "template", "button",
    "select", "textarea", "input", "object", "embed", "svg", "canvas", "map", "dialog",
)
CONTAINERS = (
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' TRS_Editor ')]",
    "//*[@id='zoom']",
    "//*[@itemprop='articleBody']",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' article-content ')]",
    "//article",
    "//*[contains(concat(' ', normalize-space(@class), ' '), ' content ')]",
)
LAZY_SRC = ("data-src", "data-original")  # where lazy-loading pages keep an image's address
MIN_CONTAINER_TEXT = 20  # characters: a "content" element with less holds no article
AROUND = 4  # siblings of the container (and of its ancestors) searched for meta lines
MAX_META_LINE = 200  # characters

_HINT = re.compile(
    r"(?:^|[-_])(?:nav|navbar|navigation|menu|sidebar|side-bar|footer|breadcrumbs?|crumbs?|share|sharing|social"
    r"|related|comments?|copyright|advert\w*|ads?|adv|banner|toolbar|pager|pagination)(?:$|[-_])"
)
_BLOCKS = {"p": "p", "h1": "h2", "h2": "h2", "h3": "h3", "h4": "h3", "h5": "h3", "h6": "h3", "li": "li",
           "blockquote": "blockquote", "pre": "pre", "img": "img", "dt": "p", "dd": "p", "figcaption": "p",
           "address": "p", "caption": "p"}
_DESCEND = {"div", "section", "article", "main", "ul", "ol", "dl", "table", "thead", "tbody", "tfoot", "tr", "td",
            "th", "figure", "center", "body", "hgroup", "details", "summary", "fieldset"}
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_SPACE = re.compile(r"\s+")


def extract_html(text: str, url: str | None = None, rules: SiteRules | None = None) -> Extracted:
    """What an HTML page holds: title, meta, blocks, URL and declared language.

    With ``rules`` (``feeds.extract.rules``), what their selectors find wins over
    what the generic reading would take; fields they leave unset are read as usual.
    """
    doc = _parse(text)
    if doc is None:
        return Extracted(title="", blocks=(), url=url)
    meta, headline = head_meta(doc)
    base = url or meta.get("url")
    if base:
        with contextlib.suppress(ValueError):
            doc.make_links_absolute(base, resolve_base_href=True, handle_failures="ignore")
            for img in doc.iter("img"):
                for name in LAZY_SRC:
                    if img.get(name):
                        img.set(name, urljoin(base, img.get(name).strip()))
    ruled = read_rules(doc, rules) if rules is not None else RuleFields()
    title = ruled.title or head_title(doc, headline)
    language = head_language(doc)
    _drop_furniture(doc)
    container = ruled.body if ruled.body is not None else _container(doc)
    meta.update(ruled.meta)
    blocks: list[Block] = []
    if container is not None:
        for block in _blocks(container):
            if block.tag == "h2" and norm(block.text) == norm(title):
                continue
            blocks.append(block)
        _meta_around(container, meta)
    body = take_meta(blocks, meta)
    if rules is not None and "published" in meta and "published" not in ruled.meta:
        meta["published"] = rule_date(meta["published"], rules)
    return Extracted(title=title, blocks=body, meta=meta, url=url or meta.get("url"), language=language)


# --------------------------------------------------------------------------- reading


def _parse(text: str) -> Element | None:
    cleaned = _CONTROL.sub("", _XML_DECLARATION.sub("", text, count=1))
    if not cleaned.strip():
        return None
    try:
        return lxml_html.document_fromstring(cleaned)
    except (etree.ParserError, ValueError):
        return None


# --------------------------------------------------------------------------- body


def _paragraphtext_of(element: Element) -> int:
    return sum(len(text_of(p)) for p in element.iter("p"))


def _drop_furniture(doc: Element) -> None:
    for element in list(doc.iter(*DROP_TAGS)):
        if element.getparent() is not None:
            element.drop_tree()
    for comment in list(doc.iter(etree.Comment, etree.ProcessingInstruction)):
        if comment.getparent() is not None:
            comment.drop_tree()
    for element in list(doc.iter()):
        if element.getparent() is not None and element.tag not in ("html", "body") and _hidden(element):
            element.drop_tree()
    total = _paragraphtext_of(doc)
    for element in list(doc.iter()):
        if element.getparent() is None or element.tag in ("html", "body", "main"):
            continue
        hints = f"{element.get('class') or ''} {element.get('id') or ''}".lower().split()
        if any(_HINT.search(hint) for hint in hints) and not _holds_article(element, total):
            element.drop_tree()


def _hidden(element: Element) -> bool:
    """Markup a browser never shows: the ``hidden`` attribute, ``style="display:none"`` or ``visibility:hidden``."""
    if not isinstance(element.tag, str):
        return False
    if element.get("hidden") is not None:
        return True
    style = _SPACE.sub("", (element.get("style") or "").lower())
    return "display:none" in style or "visibility:hidden" in style


def _holds_article(element: Element, total: int) -> bool:
    """An element hinted as furniture that in fact wraps the article (``class="main has-sidebar"``)."""
    if any(element.xpath("." + path[1:]) for path in CONTAINERS[:4]):
        return True
    return total > 0 and _paragraphtext_of(element) * 2 > total


def _container(doc: Element) -> Element | None:
    for path in CONTAINERS:
        found = [e for e in doc.xpath(path) if len(text_of(e)) >= MIN_CONTAINER_TEXT or e.find(".//img") is not None]
        if found:
            return max(found, key=lambda e: len(text_of(e)))
    return _densest(doc)


def _densest(doc: Element) -> Element | None:
    """The element whose paragraphs (and half its grandchildren's) hold the most text outside links."""
    scores: dict[Element, float] = {}
    for p in doc.iter("p", "pre", "blockquote"):
        text = text_of(p)
        if not text:
            continue
        linked = sum(len(norm(a.text_content())) for a in p.iter("a"))
        if linked * 2 > len(text):
            continue
        parent = p.getparent()
        grand = parent.getparent() if parent is not None else None
        for element, share in ((parent, 1.0), (grand, 0.5)):
            if element is not None:
                scores[element] = scores.get(element, 0.0) + len(text) * share
    if scores:
        return max(scores, key=lambda e: scores[e])
    body = doc.find("body")
    return body if body is not None else doc


class _Run:
    """Inline content between blocks: markup, text and images of one anonymous paragraph."""

    def __init__(self) -> None:
        self.markup: list[str] = []
        self.text: list[str] = []
        self.images: list[Element] = []

    def addtext_of(self, text: str | None) -> None:
        if text:
            self.markup.append(escape(text, quote=False))
            self.text.append(text)

    def add_element(self, element: Element) -> None:
        self.markup.append(etree.tostring(element, encoding="unicode", method="html", with_tail=False))
        self.text.append(element.text_content() or "")
        self.images.extend(element.iter("img"))

    def flush(self) -> Iterator[Block]:
        markup, text, images = "".join(self.markup).strip(), norm("".join(self.text)), self.images
        self.markup, self.text, self.images = [], [], []
        if text:
            yield Block(text=text, tag="p", html=markup)
        else:
            for img in images:
                yield from _image(img)


def _blocks(container: Element) -> Iterator[Block]:
    """The blocks of ``container`` in document order; loose inline content between blocks is a paragraph."""
    run = _Run()
    if container.tag == "img":
        yield from _image(container)
        return
    run.addtext_of(container.text)
    for child in container:
        if not isinstance(child.tag, str):
            pass
        elif child.tag == "br":
            yield from run.flush()
        elif child.tag in _BLOCKS:
            yield from run.flush()
            yield from _block(child)
        elif child.tag in _DESCEND or child.find(".//p") is not None or child.find(".//div") is not None:
            yield from run.flush()
            yield from _blocks(child)
        else:
            run.add_element(child)
        run.addtext_of(child.tail)
    yield from run.flush()


def _block(element: Element) -> Iterator[Block]:
    tag = _BLOCKS[element.tag]
    if tag == "img":
        yield from _image(element)
        return
    text = (element.text_content() or "").strip("\n") if tag == "pre" else text_of(element)
    if not text:
        for img in element.iter("img"):
            yield from _image(img)
        return
    yield Block(text=text, tag=tag, html=_inner_html(element))


def _image(img: Element) -> Iterator[Block]:
    src = (img.get("src") or "").strip()
    if not src or src.startswith("data:"):
        src = next((img.get(name).strip() for name in LAZY_SRC if img.get(name)), "")
    if not src or src.startswith("data:") or _pixel(img):
        return
    alt = norm(img.get("alt"))
    yield Block(text=alt, tag="img", html=f'<img src="{escape(src)}" alt="{escape(alt)}">')


def _pixel(img: Element) -> bool:
    """A 1×1 (or 0×0) tracking image: a block of its own would keep it, without its size, past sanitizing."""
    sizes = [(img.get(name) or "").strip().lower().removesuffix("px") for name in ("width", "height")]
    return any(size in ("0", "1") for size in sizes) and all(size in ("0", "1", "") for size in sizes)


def _inner_html(element: Element) -> str:
    parts = [escape(element.text, quote=False)] if element.text else []
    parts.extend(etree.tostring(child, encoding="unicode", method="html", with_tail=True) for child in element)
    return "".join(parts).strip()


def _meta_around(container: Element, meta: dict[str, str]) -> None:
    """Meta lines (``发布时间:… 来源:…``) just before or after the container, outside it."""
    node = container
    for _level in range(3):
        parent = node.getparent()
        if parent is None:
            return
        siblings = [*list(node.itersiblings(preceding=True))[:AROUND], *list(node.itersiblings())[:AROUND]]
        for sibling in siblings:
            if not isinstance(sibling.tag, str):
                continue
            for line in _lines(sibling):
                for key, value in (meta_fields(line, header=True) or {}).items():
                    meta.setdefault(key, value)
        node = parent


def _lines(element: Element) -> Iterator[str]:
    text = text_of(element)
    if not text or len(text) > MAX_META_LINE * 2:
        return
    if len(text) <= MAX_META_LINE:
        yield text
    for child in element.iter("p", "div", "span", "li"):
        line = text_of(child)
        if line and line != text and len(line) <= MAX_META_LINE:
            yield line
