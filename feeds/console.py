"""What the commands print: the progress bar, the status table, the source list, articles as JSON, a dry run."""

from __future__ import annotations

import logging
import re
import time
from datetime import datetime
from typing import TYPE_CHECKING, Any, TextIO
from zoneinfo import ZoneInfo

from feeds.config import Settings
from feeds.models import Article, SourceState

if TYPE_CHECKING:
    from feeds.serve.jobs import DryRun, SourceReport


class Progress:
    """A one-line progress bar over sources on a terminal; silent on anything else (a log, a pipe)."""

    WIDTH = 24

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = stream.isatty()
        self.started = time.monotonic()
        self._handlers: list[logging.Handler] = []

    def __enter__(self) -> Progress:
        if self.shown:  # a log line written to the same terminal first clears the bar
            for handler in logging.getLogger().handlers:
                if getattr(handler, "stream", None) is self.stream:
                    handler.addFilter(self._clear)
                    self._handlers.append(handler)
        return self

    def __exit__(self, *_: object) -> None:
        for handler in self._handlers:
            handler.removeFilter(self._clear)
        if self.shown:
            self.stream.write("\r\x1b[K")
            self.stream.flush()

    def _clear(self, _record: logging.LogRecord) -> bool:
        self.stream.write("\r\x1b[K")
        return True

    def update(self, report: SourceReport, done: int, total: int) -> None:
        if self.shown:
            self.stream.write("\r\x1b[K" + progress_line(report, done, total, time.monotonic() - self.started))
            self.stream.flush()


def progress_line(report: SourceReport, done: int, total: int, seconds: float, width: int = Progress.WIDTH) -> str:
    """``[#########.......] 3/8 sources  2.1 s  · up2: 4 new`` (the source that finished last)."""
    filled = round(width * done / total) if total else width
    bar = "#" * filled + "." * (width - filled)
    what = "error" if report.error else f"{report.new} new" if report.ran else "not due"
    return f"[{bar}] {done}/{total} sources {seconds:5.1f} s · {report.source_id}: {what}"


def print_status(
    settings: Settings, stats: dict[str, tuple[int, Any]], total: int, states: dict[str, SourceState]
) -> None:
    print(f"database: {settings.database_url}")
    print(f"output:   {settings.output_dir}")
    print(f"articles: {total}\n")
    print(f"{'category':<16} {'items':>6}  last change")
    for category in settings.categories:
        count, last = stats.get(category.slug, (0, None))
        print(f"{category.slug:<16} {count:>6}  {last.isoformat() if last else '-'}")
    print(f"\n{'source':<16} {'kind':<8} {'category':<12} location")
    for source in settings.sources:
        where = str(source.path or source.url)
        flags = "" if source.enabled else " (disabled)"
        print(f"{source.id:<16} {source.kind.value:<8} {source.category:<12} {where}{flags}")
        state = states[source.id]
        if state.last_fetch_at is not None:
            nxt = state.next_check_at.isoformat() if state.next_check_at else "-"
            print(f"{'':<16} last fetch {state.last_fetch_at.isoformat()} ({state.last_status}), next check {nxt}")
        if state.last_error:
            print(f"{'':<16} error ({state.failures} in a row): {state.last_error}")
        if state.gone:
            print(f"{'':<16} gone: the server answered 410; run 'ingest --once --source {source.id}' to try again")


def print_sources(settings: Settings) -> None:
    rows = [("id", "kind", "category", "enabled", "url/path")]
    for source in settings.sources:
        where = source.url or ""
        if source.path is not None:
            where = str(
                source.path.relative_to(settings.base_dir)
                if source.path.is_relative_to(settings.base_dir)
                else source.path
            )
        rows.append((source.id, source.kind.value, source.category, "yes" if source.enabled else "no", where))
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=False)) + "  " + row[4])


def article_json(article: Article) -> dict[str, Any]:
    """The documented JSON shape of a normalized article."""

    def when(value: Any) -> str | None:
        return value.isoformat().replace("+00:00", "Z") if value is not None else None

    return {
        "id": article.id,
        "title": article.title,
        "link": article.link,
        "origin_url": article.origin_url,
        "source_name": article.source_name,
        "author": article.author,
        "published": when(article.published),
        "updated": when(article.updated),
        "published_precision": article.published_precision.value,
        "language": article.language,
        "summary": article.summary,
        "content_html": article.content_html,
        "content_text": article.content_text,
        "categories": list(article.categories),
        "disclaimer": {"kind": article.disclaimer.kind, "text": article.disclaimer.text}
        if article.disclaimer
        else None,
        "rights": article.rights,
        "via": list(article.via),
    }


def print_dry_run(report: DryRun) -> None:
    """What ``sources test`` prints: the list page, its links, then each article read."""
    source = report.source
    print(f"source: {source.id} ({source.kind.value}) {source.url}")
    print(f"list page: {report.url}")
    print(f"links: {len(report.links)} found; next page: {report.next_url or 'none'}")
    for number, link in enumerate(report.links, 1):
        shown = "  |  ".join(part for part in (link.title, link.date) if part)
        print(f"  {number}. {link.url}" + (f"  |  {shown}" if shown else ""))
    for number, preview in enumerate(report.articles, 1):
        print(f"\narticle {number}/{len(report.articles)}: {preview.url}")
        article = preview.article
        if article is None:
            print(f"  error:      {preview.error}")
            continue
        print(f"  title:      {article.title}")
        print(f"  published:  {_when(article.published, source.timezone)} ({article.published_precision.value})")
        print(f"  source:     {article.source_name or '-'}")
        print(f"  author:     {article.author or '-'}")
        print(f"  origin:     {article.origin_url or '-'}")
        print(f"  body:       {_first_sentence(article.content_text) or '-'}")
        disclaimer = article.disclaimer
        print(f"  disclaimer: {f'{disclaimer.kind}: {disclaimer.text}' if disclaimer else '-'}")


def _when(value: datetime | None, zone: str) -> str:
    if value is None:
        return "-"
    local = value.astimezone(ZoneInfo(zone))
    return f"{value.isoformat().replace('+00:00', 'Z')} = {local.strftime('%Y-%m-%d %H:%M:%S')} {zone}"


_SENTENCE_END = re.compile(r"(?<=[。！？!?])|(?<=[.;；])\s")


def _first_sentence(text: str, limit: int = 160) -> str:
    first: str = _SENTENCE_END.split(text.strip().split("\n", 1)[0], maxsplit=1)[0].strip()
    return first if len(first) <= limit else first[: limit - 1] + "…"
