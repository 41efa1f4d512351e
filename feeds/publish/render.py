"""RSS 2.0 and Atom 1.0 documents of one feed; the only module that uses feedgen.

The same feed always renders to the same bytes: every date comes from the
data (never from the clock) and entries keep the order of ``Feed.articles``.

feedgen 1.0.0 needs these workarounds, each covered by a test:

- Atom entry links lose ``rel`` and ``type`` (python-feedgen #135): an entry
  extension (``_EntryFixes``) sets them again on the elements feedgen built,
  so a via link stays a via link; it also sets an entry's ``xml:lang``.
- ``add_entry()`` prepends by default: entries are added with ``order='append'``.
- The RSS channel ``<link>`` is the last link set, and both formats share one
  self link: the links are set again before each format is rendered, self
  link first and the alternate (the site's index page) last.
- ``updated`` / ``lastBuildDate`` default to now: both are set from the data,
  with a fixed epoch for a feed without any date at all.
- RSS ``<author>`` needs an e-mail address: names go to ``dc:creator``, and
  per-item rights to ``dc:rights``, both added by our entry extension (feedgen's
  own ``dc`` extension costs a walk over every Dublin Core field per item).
- ``atom:source`` would carry only a title and a link, which RFC 4287 does not
  allow: it is never produced; the page an article was read from is a
  ``rel="via"`` link instead.
- No ``<?xml-stylesheet?>`` processing instruction and no RSS ``atom:link``
  other than self: a feed extension (``_FeedFixes``) adds the stylesheet
  instruction before the root element and the WebSub hub link beside the self
  link, in both formats.
- ``link()`` refuses the RFC 5005 relations (``current``, ``prev-archive``,
  ``next-archive``) and there is no ``fh:archive``: the feed extension adds
  them beside the self link too.
- ``image()`` also sets the Atom ``<logo>``: it is only called for RSS, and
  Atom gets ``icon()``.

One generator renders both formats of a feed (``render_rss_atom``): feedgen
keeps the values of both side by side, so the entries are handed to it once,
and only the few values whose setters also overwrite the other format's are
set between the Atom and the RSS rendering (see ``_Documents``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from typing import Any

from feedgen.entry import FeedEntry
from feedgen.feed import FeedGenerator
from lxml import etree

from feeds.models import Feed
from feeds.publish.entries import (
    EPOCH,
    MEDIA_TYPES,
    Entry,
    Footer,
    Format,
    Paging,
    clean,
    entries,
    feed_id,
    feed_url,
    last_change,
    site_base,
)

__all__ = ["EPOCH", "render_atom", "render_rss", "render_rss_atom"]

GENERATOR = "feeds"
FIXES = "feeds_fixes"  # the name feedgen registers our extension under

_ATOM = "{http://www.w3.org/2005/Atom}"
_DC_NS = "http://purl.org/dc/elements/1.1/"
_DC = f"{{{_DC_NS}}}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
FH_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005


# --------------------------------------------------------------------------- public


def render_rss(
    feed: Feed,
    *,
    base_url: str,
    footer: Footer | None = None,
    hub: str | None = None,
    stylesheet: str | None = None,
    items: Sequence[Entry] | None = None,
    paging: Paging | None = None,
) -> bytes:
    """The RSS 2.0 document of ``feed``, UTF-8 encoded.

    ``hub`` adds a WebSub hub link, ``stylesheet`` an ``xml-stylesheet``
    instruction with that URL; ``items`` are the feed's entries when the caller
    already computed them (``entries(feed, base_url, footer)``). ``paging``
    gives the self link and the RFC 5005 archive links (default: the
    subscription document's self link, no archive links).
    """
    found = list(items) if items is not None else entries(feed, base_url, footer)
    return _Documents(feed, found, base_url, hub, stylesheet).rss(paging)


def render_atom(
    feed: Feed,
    *,
    base_url: str,
    footer: Footer | None = None,
    hub: str | None = None,
    stylesheet: str | None = None,
    items: Sequence[Entry] | None = None,
    paging: Paging | None = None,
) -> bytes:
    """The Atom 1.0 document of ``feed``, UTF-8 encoded; the options as for ``render_rss``."""
    found = list(items) if items is not None else entries(feed, base_url, footer)
    return _Documents(feed, found, base_url, hub, stylesheet).atom(paging)


def render_rss_atom(
    feed: Feed,
    *,
    base_url: str,
    items: Sequence[Entry],
    hub: str | None = None,
    stylesheet: str | None = None,
    rss_paging: Paging | None = None,
    atom_paging: Paging | None = None,
) -> tuple[bytes, bytes]:
    """``(render_rss(...), render_atom(...))`` with the same bytes, at less than the cost of both.

    Both documents come from one generator: the entries are handed to feedgen
    once, and only what differs between the formats is set again in between.
    """
    documents = _Documents(feed, items, base_url, hub, stylesheet)
    atom = documents.atom(atom_paging)
    return documents.rss(rss_paging), atom


# --------------------------------------------------------------------------- feedgen


class _Documents:
    """One feedgen generator holding a feed and its entries, rendered as Atom, then (or only) as RSS.

    What both formats share is set once. The rest is set per format: the
    Atom-only values first, then, before RSS, the values whose feedgen setters
    also overwrite an Atom one (``description()`` sets the Atom subtitle and an
    entry's summary, ``image()`` the Atom logo). So ``atom()`` cannot follow ``rss()``.
    """

    def __init__(self, feed: Feed, found: Sequence[Entry], base_url: str, hub: str | None, stylesheet: str | None):
        self.feed, self.found, self.base_url = feed, found, base_url
        self.title = clean(feed.title) or feed.slug
        fg = self.fg = FeedGenerator()
        fg.register_extension(FIXES, _FeedFixes, _EntryFixes, atom=True, rss=True)
        self.fixes: _FeedFixes = getattr(fg, FIXES)
        self.fixes.hub, self.fixes.stylesheet = hub, stylesheet
        fg.id(feed_id(base_url, feed.slug))
        fg.title(self.title)
        fg.author({"name": self.title})
        if feed.language:
            fg.language(feed.language)
        fg.generator(GENERATOR)
        fg.updated(last_change(feed) or EPOCH)
        self.added = [_add(fg, entry, feed.language) for entry in found]
        self.rss_done = False

    def atom(self, paging: Paging | None) -> bytes:
        if self.rss_done:
            raise RuntimeError("the Atom document must be rendered before the RSS one")
        fg, feed = self.fg, self.feed
        if feed.description:
            fg.subtitle(clean(feed.description))
        if feed.icon:
            fg.icon(feed.icon)
        self._links("atom", paging)
        data: bytes = fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
        return data

    def rss(self, paging: Paging | None) -> bytes:
        fg, feed = self.fg, self.feed
        self.rss_done = True
        fg.description(clean(feed.description) or self.title)
        if feed.icon:
            fg.image(url=feed.icon, title=self.title, link=site_base(self.base_url))
        for fe, entry in zip(self.added, self.found, strict=True):
            # description is HTML in RSS: the plain-text summary is escaped once more.
            if entry.summary:
                fe.description(html.escape(entry.summary, quote=False), isSummary=True)
        self._links("rss", paging)
        data: bytes = fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
        return data

    def _links(self, fmt: Format, paging: Paging | None) -> None:
        self.fixes.fmt, self.fixes.paging = fmt, paging
        # Self first, alternate last: RSS takes the last link as the channel <link>.
        self_url = paging.self_url if paging is not None else feed_url(self.base_url, self.feed.slug, fmt)
        self.fg.link(
            [
                {"href": self_url, "rel": "self", "type": MEDIA_TYPES[fmt]},
                {"href": site_base(self.base_url), "rel": "alternate", "type": "text/html"},
            ],
            replace=True,
        )


def _add(fg: FeedGenerator, entry: Entry, feed_language: str | None) -> FeedEntry:
    """Add ``entry`` with the values of both formats, and the Atom ones where they differ (see ``_Documents``)."""
    fe = fg.add_entry(order="append")
    fixes: _EntryFixes = getattr(fe, FIXES)
    fixes.entry, fixes.feed_language = entry, feed_language
    fe.id(entry.id)  # also the RSS guid, isPermaLink="false"
    fe.title(entry.title)
    fe.updated(entry.updated)
    if entry.published is not None:
        fe.published(entry.published)
    for link in entry.links:
        fe.link(href=link.href, rel=link.rel, type=link.type)
    if entry.summary:
        fe.summary(entry.summary)
    if entry.author:
        fe.author({"name": entry.author})  # Atom only: feedgen's RSS author needs an e-mail address
    if entry.rights:
        fe.rights(entry.rights)  # Atom only
    if entry.content:
        fe.content(entry.content, type="html")
    for term in entry.categories:
        fe.category(term=term)
    return fe


# --------------------------------------------------------------------------- extensions


class _FeedFixes:
    """Feed-level additions feedgen has no setting for: the stylesheet instruction and the hub link."""

    def __init__(self) -> None:
        self.fmt: Format = "atom"
        self.hub: str | None = None
        self.stylesheet: str | None = None
        self.paging: Paging | None = None

    def extend_ns(self) -> dict[str, str]:
        spaces = {"dc": _DC_NS} if self.fmt == "rss" else {}
        if self.paging is not None and self.paging.archive:
            spaces["fh"] = FH_NS
        return spaces

    def extend_rss(self, root: Any) -> Any:
        self._stylesheet(root)
        channel = root.find("channel")
        anchor = channel.find(f"{_ATOM}link[@rel='self']")
        self._insert(channel, anchor, [etree.Element(f"{_ATOM}link", **a) for a in self._links()])
        return root

    def extend_atom(self, root: Any) -> Any:
        self._stylesheet(root)
        # feedgen builds Atom elements without a namespace and declares it on the root as an attribute.
        anchor = root.find("link[@rel='self']")
        self._insert(root, anchor, [etree.Element("link", **a) for a in self._links()])
        return root

    def _links(self) -> list[dict[str, str]]:
        """The attributes of the links added after the self link: the hub, then the RFC 5005 ones."""
        links = [{"href": self.hub, "rel": "hub"}] if self.hub else []
        paging = self.paging
        if paging is not None:
            for rel, href in (
                ("current", paging.current),
                ("prev-archive", paging.prev_archive),
                ("next-archive", paging.next_archive),
            ):
                if href:
                    links.append({"href": href, "rel": rel, "type": MEDIA_TYPES[self.fmt]})
        return links

    def _insert(self, parent: Any, anchor: Any, elements: list[Any]) -> None:
        if self.paging is not None and self.paging.archive:
            elements.append(etree.Element(f"{{{FH_NS}}}archive"))
        for element in elements:
            if anchor is not None:
                anchor.addnext(element)
                anchor = element
            else:
                parent.append(element)

    def _stylesheet(self, root: Any) -> None:
        if self.stylesheet:
            # A sibling before the root element: serialized right after the XML declaration.
            href = html.escape(self.stylesheet, quote=True)
            root.addprevious(etree.ProcessingInstruction("xml-stylesheet", f'type="text/xsl" href="{href}"'))


class _EntryFixes:
    """Puts back what feedgen drops from Atom entries (link ``rel`` and ``type``, ``xml:lang``); RSS Dublin Core."""

    def __init__(self) -> None:
        self.entry: Entry | None = None
        self.feed_language: str | None = None

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_rss(self, item: Any) -> Any:
        entry = self.entry
        if entry is not None:
            if entry.author:
                etree.SubElement(item, f"{_DC}creator").text = entry.author
            if entry.rights:
                etree.SubElement(item, f"{_DC}rights").text = entry.rights
            if entry.upstream is not None and entry.upstream.url:
                source = etree.SubElement(item, "source", url=entry.upstream.url)
                source.text = entry.upstream.title or entry.upstream.url
        return item

    def extend_atom(self, element: Any) -> Any:
        entry = self.entry
        if entry is None:
            return element
        links = element.findall("link")  # unqualified, as feedgen builds them
        if [link.get("href") for link in links] != [link.href for link in entry.links]:
            raise ValueError(f"atom entry {entry.id}: links differ from the data")
        for link, data_link in zip(links, entry.links, strict=True):
            link.set("rel", data_link.rel)
            link.set("type", data_link.type)
        if entry.language and entry.language != self.feed_language:
            element.set(_XML_LANG, entry.language)
        if entry.upstream is not None:
            # RFC 4287 4.2.11: the source feed's id, title and updated (feedgen's source has title and link only).
            upstream = entry.upstream
            source = etree.SubElement(element, "source")
            etree.SubElement(source, "id").text = upstream.id or upstream.url
            if upstream.title:
                etree.SubElement(source, "title").text = upstream.title
            if upstream.updated is not None:
                etree.SubElement(source, "updated").text = upstream.updated.isoformat()
            if upstream.url:
                etree.SubElement(source, "link", rel="self", href=upstream.url)
        return element
