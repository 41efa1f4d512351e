"""``opml.xml``: an OPML 2.0 subscription list of every category feed.

One ``<outline type="rss">`` per category feed (the ``all`` feed is left out:
it repeats the others), pointing at its RSS document, with the feed's entry
on the index page as ``htmlUrl``. The only date is ``dateModified``, the
newest change among the feeds, so the same summaries give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC
from email.utils import format_datetime

from lxml import etree

from feeds.publish.entries import clean, feed_url, site_base
from feeds.publish.site import FeedSummary

ALL = "all"


def render_opml(feeds: Sequence[FeedSummary], *, base_url: str, title: str) -> bytes:
    """The OPML 2.0 document listing the category feeds of ``feeds`` in the order given, UTF-8 encoded."""
    root = etree.Element("opml", version="2.0")
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = clean(title)
    newest = max((feed.updated for feed in feeds if feed.updated is not None), default=None)
    if newest is not None:
        etree.SubElement(head, "dateModified").text = format_datetime(newest.astimezone(UTC), usegmt=True)
    body = etree.SubElement(root, "body")
    for feed in feeds:
        if feed.slug == ALL:
            continue
        name = clean(feed.title) or feed.slug
        outline = etree.SubElement(
            body,
            "outline",
            type="rss",
            version="RSS2",
            text=name,
            title=name,
            xmlUrl=feed_url(base_url, feed.slug, "rss"),
            htmlUrl=f"{site_base(base_url)}#feed-{feed.slug}",
        )
        if feed.description:
            outline.set("description", clean(feed.description))
    data: bytes = etree.tostring(root, encoding="UTF-8", xml_declaration=True, pretty_print=True)
    return data
