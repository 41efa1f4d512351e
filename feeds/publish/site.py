"""``index.html``: the page that lists every feed, with autodiscovery links.

Every value is escaped; the same summaries always give the same bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from feeds.models import Feed
from feeds.publish.entries import MEDIA_TYPES, Format, feed_url, last_change, site_base

FORMATS: tuple[tuple[Format, str], ...] = (("rss", "RSS"), ("atom", "Atom"), ("json", "JSON Feed"))
OPML = "opml.xml"
OPML_TYPE = "text/x-opml"

STYLE = """\
body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;padding:0 1rem;line-height:1.5;color:#222}
h1{font-size:1.6rem}h2{font-size:1.2rem;margin:0}
ul.feeds{list-style:none;padding:0}ul.feeds>li{border-top:1px solid #ddd;padding:1rem 0}
.meta{color:#666;font-size:.9rem}.links a{margin-right:1rem}"""


@dataclass(frozen=True)
class FeedSummary:
    """What the index shows of one published feed."""

    slug: str
    title: str
    description: str
    item_count: int
    updated: datetime | None  # aware; None when nothing was ever published in it

    @classmethod
    def of(cls, feed: Feed) -> FeedSummary:
        return cls(
            slug=feed.slug,
            title=feed.title,
            description=feed.description,
            item_count=len(feed.articles),
            updated=last_change(feed),
        )


def render_index(feeds: Sequence[FeedSummary], *, base_url: str, title: str, lang: str | None = None) -> bytes:
    """The HTML5 index page listing ``feeds`` in the order given, UTF-8 encoded."""
    lang_attr = f' lang="{_attr(lang)}"' if lang else ""
    lines = [
        "<!DOCTYPE html>",
        f"<html{lang_attr}>",
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_text(title)}</title>",
    ]
    for feed in feeds:
        for fmt, label in FORMATS:
            lines.append(
                f'<link rel="alternate" type="{MEDIA_TYPES[fmt]}" title="{_attr(f"{feed.title} ({label})")}"'
                f' href="{_attr(feed_url(base_url, feed.slug, fmt))}">'
            )
    opml = _attr(f"{site_base(base_url)}{OPML}")
    lines += [
        f'<link rel="outline" type="{OPML_TYPE}" title="OPML" href="{opml}">',
        f"<style>\n{STYLE}\n</style>",
        "</head>",
        "<body>",
        f"<h1>{_text(title)}</h1>",
        f'<p class="opml">Every category feed in one file, to import into a reader:'
        f' <a href="{opml}" type="{OPML_TYPE}">OPML</a></p>',
        '<ul class="feeds">',
    ]
    for feed in feeds:
        lines += _item(feed, base_url)
    lines += ["</ul>", "</body>", "</html>", ""]
    return "\n".join(lines).encode("utf-8")


def _item(feed: FeedSummary, base_url: str) -> list[str]:
    count = f"{feed.item_count} item" + ("" if feed.item_count == 1 else "s")
    if feed.updated is None:
        when = "never updated"
    else:
        moment = feed.updated.astimezone(UTC)
        when = (
            f'updated <time datetime="{moment.strftime("%Y-%m-%dT%H:%M:%SZ")}">'
            f"{moment.strftime('%Y-%m-%d %H:%M')} UTC</time>"
        )
    links = " ".join(
        f'<a href="{_attr(feed_url(base_url, feed.slug, fmt))}" type="{MEDIA_TYPES[fmt]}">{label}</a>'
        for fmt, label in FORMATS
    )
    lines = [f'<li id="feed-{_attr(feed.slug)}">', f"<h2>{_text(feed.title)}</h2>"]
    if feed.description:
        lines.append(f"<p>{_text(feed.description)}</p>")
    lines += [f'<p class="meta">{count} · {when}</p>', f'<p class="links">{links}</p>', "</li>"]
    return lines


def _text(value: str) -> str:
    return escape(value, quote=False)


def _attr(value: str) -> str:
    return escape(value, quote=True)
