"""Article pages in HTML: title, meta tags, JSON-LD and the body blocks.

The title comes from ``<meta name="ArticleTitle">``, ``og:title``, JSON-LD
``headline`` or an ``<h1>`` when it agrees with ``<title>`` (which usually
carries a site-name suffix), else from the first of them found. The body is
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
import json
import re
from collections.abc import Iterator
from html import escape
from typing import Any
from urllib.parse import urljoin

from lxml import etree
from lxml import html as lxml_html

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
_META_KEYS = {
    "pubdate": "published", "publishdate": "published", "publish_date": "published", "publishtime": "published",
    "article:published_time": "published", "og:published_time": "published", "datepublished": "published",
    "dc.date.issued": "published", "firstpublishedtime": "published",
    "article:modified_time": "updated", "og:updated_time": "updated", "lastmodifiedtime": "updated",
    "contentsource": "source", "source": "source",
    "author": "author", "article:author": "author", "dc.creator": "author",
    "og:url": "url",
}
_ARTICLE_TYPES = {"newsarticle", "article", "blogposting", "reportagenews", "analysisnewsarticle", "webpage"}
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
    meta = _meta_tags(doc)
    ld_title = _json_ld(doc, meta)
    base = url or meta.get("url")
    if base:
        with contextlib.suppress(ValueError):
            doc.make_links_absolute(base, resolve_base_href=True, handle_failures="ignore")
            for img in doc.iter("img"):
                for name in LAZY_SRC:
                    if img.get(name):
                        img.set(name, urljoin(base, img.get(name).strip()))
    ruled = read_rules(doc, rules) if rules is not None else RuleFields()
    title = ruled.title or _title(doc, ld_title)
    language = _language(doc)
    _drop_furniture(doc)
    container = ruled.body if ruled.body is not None else _container(doc)
    meta.update(ruled.meta)
    blocks: list[Block] = []
    if container is not None:
        for block in _blocks(container):
            if block.tag == "h2" and _norm(block.text) == _norm(title):
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


def _text(element: Element) -> str:
    return _norm(element.text_content())


def _norm(text: str | None) -> str:
    return _SPACE.sub(" ", text or "").strip()


# --------------------------------------------------------------------------- head


def _meta_tags(doc: Element) -> dict[str, str]:
    meta: dict[str, str] = {}
    for tag in doc.iter("meta"):
        name = (tag.get("name") or tag.get("property") or tag.get("itemprop") or "").strip().lower()
        key = _META_KEYS.get(name)
        value = _norm(tag.get("content"))
        if key is None or not value:
            continue
        if key == "author" and value.startswith(("http://", "https://")):
            continue
        meta.setdefault(key, value)
    for link in doc.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and link.get("href"):
            meta.setdefault("url", link.get("href").strip())
    return meta


def _json_ld(doc: Element, meta: dict[str, str]) -> str:
    """Fill ``meta`` from a JSON-LD article object; its headline, or ''."""
    for script in doc.iter("script"):
        if (script.get("type") or "").strip().lower() != "application/ld+json":
            continue
        try:
            data = json.loads(script.text or "")
        except (ValueError, RecursionError):
            continue
        for item in _ld_objects(data):
            kinds = item.get("@type")
            kinds = kinds if isinstance(kinds, list) else [kinds]
            if not any(isinstance(k, str) and k.lower() in _ARTICLE_TYPES for k in kinds):
                continue
            for field, key in (("datePublished", "published"), ("dateModified", "updated"), ("url", "url")):
                if isinstance(item.get(field), str) and item[field].strip():
                    meta.setdefault(key, item[field].strip())
            author = _ld_names(item.get("author"))
            if author:
                meta.setdefault("author", author)
            headline = item.get("headline") or item.get("name")
            if isinstance(headline, str) and headline.strip():
                return _norm(headline)
    return ""


def _ld_objects(data: object, depth: int = 0) -> Iterator[dict[str, Any]]:
    if depth > 4:
        return
    if isinstance(data, list):
        for item in data:
            yield from _ld_objects(item, depth + 1)
    elif isinstance(data, dict):
        yield data
        yield from _ld_objects(data.get("@graph"), depth + 1)


def _ld_names(value: object) -> str:
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, dict):
        return _ld_names(value.get("name"))
    if isinstance(value, list):
        return ", ".join(name for name in (_ld_names(v) for v in value[:5]) if name)
    return ""


def _title(doc: Element, ld_title: str) -> str:
    head_title = ""
    for element in doc.iter("title"):
        head_title = _text(element)
        break
    named = {
        (tag.get("name") or tag.get("property") or "").strip().lower(): _norm(tag.get("content"))
        for tag in doc.iter("meta")
    }
    explicit = [named.get("articletitle", ""), named.get("og:title", ""), ld_title]
    headings = [_text(h1) for h1 in doc.iter("h1")][:3]
    candidates = [c for c in (*explicit, *headings) if c]
    if head_title:
        for candidate in candidates:
            if _agrees(candidate, head_title):
                return candidate
    return next((c for c in explicit if c), "") or head_title or (headings[0] if headings else "")


def _agrees(candidate: str, head_title: str) -> bool:
    """``candidate`` is ``<title>``, or the part of it left when a site name is appended or prepended."""
    if candidate == head_title or head_title in candidate:
        return True
    if candidate not in head_title:
        return False
    if head_title.startswith(candidate):
        return len(candidate) * 10 >= len(head_title) * 3
    return len(candidate) * 2 > len(head_title)  # elsewhere in <title>: the longer part is the title


def _language(doc: Element) -> str | None:
    declared = doc.get("lang") or doc.get("{http://www.w3.org/XML/1998/namespace}lang")
    if not declared:
        for tag in doc.iter("meta"):
            if (tag.get("http-equiv") or "").lower() == "content-language":
                declared = tag.get("content")
                break
    value = (declared or "").strip().split(",")[0].strip()
    return value or None


# --------------------------------------------------------------------------- body


def _paragraph_text(element: Element) -> int:
    return sum(len(_text(p)) for p in element.iter("p"))


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
    total = _paragraph_text(doc)
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
    return total > 0 and _paragraph_text(element) * 2 > total


def _container(doc: Element) -> Element | None:
    for path in CONTAINERS:
        found = [e for e in doc.xpath(path) if len(_text(e)) >= MIN_CONTAINER_TEXT or e.find(".//img") is not None]
        if found:
            return max(found, key=lambda e: len(_text(e)))
    return _densest(doc)


def _densest(doc: Element) -> Element | None:
    """The element whose paragraphs (and half its grandchildren's) hold the most text outside links."""
    scores: dict[Element, float] = {}
    for p in doc.iter("p", "pre", "blockquote"):
        text = _text(p)
        if not text:
            continue
        linked = sum(len(_norm(a.text_content())) for a in p.iter("a"))
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

    def add_text(self, text: str | None) -> None:
        if text:
            self.markup.append(escape(text, quote=False))
            self.text.append(text)

    def add_element(self, element: Element) -> None:
        self.markup.append(etree.tostring(element, encoding="unicode", method="html", with_tail=False))
        self.text.append(element.text_content() or "")
        self.images.extend(element.iter("img"))

    def flush(self) -> Iterator[Block]:
        markup, text, images = "".join(self.markup).strip(), _norm("".join(self.text)), self.images
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
    run.add_text(container.text)
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
        run.add_text(child.tail)
    yield from run.flush()


def _block(element: Element) -> Iterator[Block]:
    tag = _BLOCKS[element.tag]
    if tag == "img":
        yield from _image(element)
        return
    text = (element.text_content() or "").strip("\n") if tag == "pre" else _text(element)
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
    alt = _norm(img.get("alt"))
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
    text = _text(element)
    if not text or len(text) > MAX_META_LINE * 2:
        return
    if len(text) <= MAX_META_LINE:
        yield text
    for child in element.iter("p", "div", "span", "li"):
        line = _text(child)
        if line and line != text and len(line) <= MAX_META_LINE:
            yield line
