"""Publish: write the output tree (RSS and Atom per feed, index.html).

::

    output_dir/
    ├── index.html
    └── feeds/<slug>.rss, feeds/<slug>.atom   (one pair per feed, "all" included)

Only files whose bytes change are rewritten, so publishing unchanged data
touches nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from feeds.config import SLUG_RE
from feeds.errors import PublishError
from feeds.models import Feed
from feeds.publish.render import Footer, render_atom, render_rss
from feeds.publish.site import FeedSummary, render_index
from feeds.publish.writer import write_atomic

__all__ = ["FeedSummary", "Footer", "publish"]


def publish(
    feeds: Sequence[Feed],
    *,
    output_dir: Path,
    base_url: str,
    site_title: str,
    footer: Footer | None = None,
) -> list[Path]:
    """Render every feed in both formats and the index; return the paths rewritten, in write order.

    ``footer`` gives the HTML appended to each article's published content
    (its rights notice), or None for none.
    """
    seen: set[str] = set()
    for feed in feeds:
        if not SLUG_RE.fullmatch(feed.slug):
            raise PublishError(f"{output_dir}: feed slug {feed.slug!r} cannot name a file")
        if feed.slug in seen:
            raise PublishError(f"{output_dir}: two feeds share the slug {feed.slug!r}")
        seen.add(feed.slug)
    written: list[Path] = []
    directory = output_dir / "feeds"
    for feed in feeds:
        documents = (
            (directory / f"{feed.slug}.rss", render_rss(feed, base_url=base_url, footer=footer)),
            (directory / f"{feed.slug}.atom", render_atom(feed, base_url=base_url, footer=footer)),
        )
        for path, data in documents:
            if write_atomic(path, data):
                written.append(path)
    everything = next((feed for feed in feeds if feed.slug == "all"), None)
    index = render_index(
        [FeedSummary.of(feed) for feed in feeds],
        base_url=base_url,
        title=site_title,
        lang=everything.language if everything is not None else None,
    )
    path = output_dir / "index.html"
    if write_atomic(path, index):
        written.append(path)
    return written
