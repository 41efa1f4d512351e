"""OPML subscription lists: read one into feed entries, write the configured feed sources as one.

``read_opml`` parses with lxml and never resolves an entity, reads a DTD or
touches the network; a DOCTYPE that declares entities is refused outright
(lxml would expand them inside attributes, where OPML keeps everything). A
document that is not well-formed raises ``ParseError`` naming the file and
the line.

``write_opml`` emits OPML 2.0 with one outline per category holding that
category's feed sources. It carries no clock date, so the same sources give
the same bytes.

``plan_import`` decides what an import adds: the category of each entry from
its enclosing outlines, and which URLs are skipped because they are already
configured, repeated in the file, or not http(s).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from lxml import etree

from feeds.errors import ParseError
from feeds.models import Category, Source, SourceKind
from feeds.sourcefile import NewSource, new_source_id, url_key

_ENTITY_DECLARATION = re.compile(rb"<!ENTITY", re.IGNORECASE)
_ROOT_START = re.compile(rb"<(?![?!])")
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


@dataclass(frozen=True)
class OpmlFeed:
    """One outline with an ``xmlUrl``."""

    url: str
    title: str  # ``text``, else ``title``, else ""
    html_url: str | None = None
    category_path: tuple[str, ...] = ()  # texts of the enclosing outlines, outermost first


# --------------------------------------------------------------------------- reading


def read_opml(data: bytes, *, where: str) -> list[OpmlFeed]:
    """Every outline of ``data`` with an ``xmlUrl``, in document order.

    Raises ``ParseError`` when ``data`` is not well-formed XML, is not OPML,
    or declares entities.
    """
    _refuse_entities(data, where)
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        huge_tree=False,
        load_dtd=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        line = exc.lineno or (exc.position[0] if exc.position else 0)
        message = str(exc.msg or exc).split(", line ")[0]
        raise ParseError(f"{where}: line {line}: not well-formed XML ({message})") from None
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        _refuse_entities(data, where, declared=True)
    if not isinstance(root.tag, str) or etree.QName(root).localname != "opml":
        name = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        raise ParseError(f"{where}: line {root.sourceline}: not OPML (the root element is <{name}>, not <opml>)")
    body = next((child for child in root if _local(child) == "body"), None)
    if body is None:
        raise ParseError(f"{where}: line {root.sourceline}: OPML without a <body>")
    feeds: list[OpmlFeed] = []
    _collect(body, (), feeds)
    return feeds


def _refuse_entities(data: bytes, where: str, *, declared: bool = False) -> None:
    """Raise when the prolog of ``data`` declares an entity (``declared``: the parser found one)."""
    root = _ROOT_START.search(data)
    match = _ENTITY_DECLARATION.search(data, 0, root.start() if root else len(data))
    if match is None and not declared:
        return
    line = data.count(b"\n", 0, match.start()) + 1 if match is not None else 1
    raise ParseError(f"{where}: line {line}: refused, the DOCTYPE declares entities (they are never expanded)")


def _local(element: etree._Element) -> str:
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def _collect(parent: etree._Element, path: tuple[str, ...], out: list[OpmlFeed]) -> None:
    for outline in parent:
        if _local(outline) != "outline":
            continue
        text = _attr(outline, "text") or _attr(outline, "title")
        url = _attr(outline, "xmlUrl") or _attr(outline, "xmlurl")
        if url:
            html_url = _attr(outline, "htmlUrl") or _attr(outline, "htmlurl")
            out.append(OpmlFeed(url=url, title=text, html_url=html_url or None, category_path=path))
        _collect(outline, (*path, text) if not url else path, out)


def _attr(element: etree._Element, name: str) -> str:
    value = element.get(name)
    return " ".join(value.split()) if value else ""


# --------------------------------------------------------------------------- writing


def write_opml(
    sources: Iterable[Source],
    categories: Sequence[Category],
    *,
    title: str,
    html_urls: Mapping[str, str] | None = None,
) -> bytes:
    """OPML 2.0 of the feed sources that have a URL, grouped by category, UTF-8 encoded.

    ``html_urls`` maps a source id to its site's address, written as
    ``htmlUrl`` when known. Categories without a feed source are left out.
    """
    feeds = [s for s in sources if s.kind is SourceKind.FEED and s.url]
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = _clean(title)
    body = etree.SubElement(root, "body")
    groups = [(c.slug, c.title or c.slug) for c in categories]
    known = {slug for slug, _ in groups}
    groups += [(slug, slug) for slug in dict.fromkeys(s.category for s in feeds) if slug not in known]
    for slug, name in groups:
        members = [s for s in feeds if s.category == slug]
        if not members:
            continue
        group = etree.SubElement(body, "outline", text=_clean(name), title=_clean(name))
        for source in members:
            assert source.url is not None
            label = _clean(source.name) or source.url
            outline = etree.SubElement(group, "outline", type="rss", text=label, title=label)
            outline.set("xmlUrl", _clean(source.url))
            site = (html_urls or {}).get(source.id)
            if site:
                outline.set("htmlUrl", _clean(site))
    data: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
    return data


def _clean(value: str) -> str:
    return _XML_INVALID.sub("", value)


# --------------------------------------------------------------------------- importing


@dataclass(frozen=True)
class ImportPlan:
    """What an import adds, and what it leaves out with the reason."""

    added: tuple[NewSource, ...] = ()
    already_configured: tuple[tuple[str, str], ...] = ()  # (url, id of the source that has it)
    repeated: tuple[str, ...] = ()  # urls seen earlier in the same file
    refused: tuple[str, ...] = ()  # urls that are not http(s)

    @property
    def skipped(self) -> int:
        return len(self.already_configured) + len(self.repeated) + len(self.refused)

    def summary(self) -> str:
        reasons = []
        if self.already_configured:
            reasons.append("already configured: " + ", ".join(f"{u} as {i}" for u, i in self.already_configured))
        if self.repeated:
            reasons.append("repeated in the file: " + ", ".join(self.repeated))
        if self.refused:
            reasons.append("not an http(s) URL: " + ", ".join(self.refused))
        detail = f" ({'; '.join(reasons)})" if reasons else ""
        return f"added {len(self.added)}, skipped {self.skipped}{detail}"


def plan_import(
    feeds: Sequence[OpmlFeed], *, sources: Sequence[Source], categories: Sequence[Category], fallback: str
) -> ImportPlan:
    """The feed sources to add for ``feeds``.

    An entry's category is the innermost enclosing outline whose text is a
    category slug or title (case-insensitive), else ``fallback``.
    """
    by_name: dict[str, str] = {}
    for known in categories:
        by_name.setdefault(known.title.casefold(), known.slug)
    for known in categories:
        by_name[known.slug.casefold()] = known.slug
    configured = {url_key(s.url): s.id for s in sources if s.url}
    taken = {s.id for s in sources}
    seen: set[str] = set()
    added: list[NewSource] = []
    already: list[tuple[str, str]] = []
    repeated: list[str] = []
    refused: list[str] = []
    for feed in feeds:
        if not re.match(r"^https?://[^/\s]+", feed.url, re.IGNORECASE):
            refused.append(feed.url)
            continue
        key = url_key(feed.url)
        if key in configured:
            already.append((feed.url, configured[key]))
            continue
        if key in seen:
            repeated.append(feed.url)
            continue
        seen.add(key)
        category = next(
            (by_name[name.casefold()] for name in reversed(feed.category_path) if name.casefold() in by_name),
            fallback,
        )
        source_id = new_source_id(feed.url, taken)
        taken.add(source_id)
        name = feed.title if feed.title and feed.title != feed.url else None
        added.append(NewSource(id=source_id, kind="feed", category=category, url=feed.url, name=name))
    return ImportPlan(
        added=tuple(added),
        already_configured=tuple(already),
        repeated=tuple(repeated),
        refused=tuple(refused),
    )
