"""The jobs that wire the stages together: ingest sources, publish feeds.

This is the only package that calls every stage::

    capture.scan ──────────────► extract ──────► normalize ─► store.upsert ─► publish
    fetch ─► feed.parse_feed ──► extract_entry ─┤
    fetch ─► page.parse_list ──► fetch, extract ┘  (with the site's rules)

A failure of one document is logged and recorded, never stops the others; a
failure of one source never stops the other sources. Feed and page sources are
fetched only when due (``next_check_at`` in the store), with conditional GET,
and back off after errors; page sources obey robots.txt. ``dry_run`` reads a
source without storing anything (``run.py sources test``).
"""

from __future__ import annotations

from feeds.serve.jobs.ingest import CLAIM_LEASE, STOP_GRACE, ingest
from feeds.serve.jobs.pages import DryRun, Preview, dry_run
from feeds.serve.jobs.publishing import build, prune
from feeds.serve.jobs.reports import IngestReport, SourceReport
from feeds.serve.jobs.upstream import FEED_SUFFIXES, parse_document

__all__ = [
    "CLAIM_LEASE",
    "FEED_SUFFIXES",
    "STOP_GRACE",
    "DryRun",
    "IngestReport",
    "Preview",
    "SourceReport",
    "build",
    "dry_run",
    "ingest",
    "parse_document",
    "prune",
]
