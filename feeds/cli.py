"""Command line: ``python run.py [--config DIR] COMMAND``.

Exit codes: 0 success, 1 a run that failed, 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from typing import Any

from feeds.config import Settings, load_settings
from feeds.errors import ConfigError, FeedsError
from feeds.models import Article, Source, SourceKind, SourceState

EXAMPLES = """\
examples:
  python run.py                          scheduler + HTTP server (same as 'run')
  python run.py ingest --once            read every source once, then publish
  python run.py ingest --once --source inbox
  python run.py build                    regenerate feeds from the database
  python run.py serve                    serve the output tree only
  python run.py status                   articles per category and per source
  python run.py parse page.txt --json    print the normalized article
  python run.py parse feed.xml --json    print every entry of a feed, normalized
  python run.py --config /etc/feeds run  use another configuration directory
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="run.py",
        description="feeds: ingest articles, clean them, publish RSS and Atom per category.",
        epilog=EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--config", metavar="DIR", help="configuration directory (default: env FEEDS_CONFIG, else ./config)"
    )
    parser.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    parser.add_argument("--log-json", action="store_true", help="log JSON lines instead of key=value")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    commands.add_parser(
        "run",
        help="run the scheduler and the HTTP server (default)",
        description="Ingest and publish every cycle, and serve the output tree over HTTP. "
        "Stops cleanly on Ctrl-C or SIGTERM.",
    )
    ingest = commands.add_parser(
        "ingest",
        help="read sources and store new or changed articles, then publish",
        description="Read sources, store what is new or changed, and rebuild the feeds.",
    )
    ingest.add_argument("--once", action="store_true", help="run a single pass and exit (the only mode here)")
    ingest.add_argument("--source", action="append", metavar="ID", help="only this source (repeatable)")
    commands.add_parser(
        "build",
        help="regenerate the feeds and index from the database",
        description="Write public/feeds/<slug>.rss|.atom and index.html; unchanged files are not touched.",
    )
    commands.add_parser(
        "serve",
        help="serve the output tree over HTTP without ingesting",
        description="Serve the output directory with ETag, Last-Modified, 304 and gzip.",
    )
    commands.add_parser(
        "status",
        help="print articles per category and sources",
        description="Show configured sources and the stored articles per category.",
    )
    parse = commands.add_parser(
        "parse",
        help="extract and normalize a capture, a feed or a URL, print the articles",
        description="Run extraction and normalization without storing anything: a capture file (.txt, .html), "
        "a feed file (.xml, .rss, .atom, .rdf, .json: every entry) or an http(s) URL of a page or a feed.",
    )
    parse.add_argument("path", metavar="PATH_OR_URL", help="a capture file, a feed file, or a URL")
    parse.add_argument("--json", action="store_true", help="print a JSON list of articles (the default)")
    parse.add_argument("--source", metavar="ID", help="read it as coming from this configured source")
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    from feeds import logs

    logs.configure(args.log_level, as_json=args.log_json)
    try:
        settings = load_settings(args.config)
        code = _dispatch(args, settings)
    except ConfigError as exc:
        print(f"feeds: {exc}", file=sys.stderr)
        code = 2
    except FeedsError as exc:
        print(f"feeds: {exc}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    sys.exit(code)


def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    command = args.command or "run"
    if command == "run":
        from feeds.serve.scheduler import run_service

        run_service(settings)
        return 0
    if command == "serve":
        from feeds.serve.server import serve
        from feeds.serve.web import make_app

        serve(make_app(settings.output_dir), settings.server_host, settings.server_port)
        return 0
    if command == "parse":
        return _parse(settings, args.path, args.source)
    from feeds.serve.jobs import build, ingest
    from feeds.store import Store

    with Store.open(settings.database_url) as store:
        if command == "ingest":
            unknown = sorted(set(args.source or ()) - {s.id for s in settings.sources})
            if unknown:
                raise ConfigError(f"unknown source id(s): {', '.join(unknown)}", file="sources.toml")
            report = ingest(settings, store, source_ids=args.source)
            for r in report.sources:
                line = f"{r.source_id}: {r.new} new, {r.updated} updated, {r.unchanged} unchanged, {r.failed} failed"
                print(line + (f" ({r.note})" if r.note else "") + (f" — error: {r.error}" if r.error else ""))
            written = build(settings, store)
            print(f"published: {len(written)} file(s) rewritten in {settings.output_dir}")
            return 0 if report.ok else 1
        if command == "build":
            written = build(settings, store)
            print(f"published: {len(written)} file(s) rewritten in {settings.output_dir}")
            return 0
        if command == "status":
            states = {s.id: store.source_state(s.id) for s in settings.sources}
            _status(settings, store.category_stats(), store.count_articles(), states)
            return 0
    raise ConfigError(f"unknown command {command!r}")


def _status(settings: Settings, stats: dict[str, tuple[int, Any]], total: int, states: dict[str, SourceState]) -> None:
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


def _parse(settings: Settings, target: str, source_id: str | None) -> int:
    from feeds.serve.jobs import parse_document

    if source_id is not None:
        source = settings.source(source_id)
    else:
        source = Source(
            id="parse",
            kind=SourceKind.CAPTURE,
            category=settings.default_category.slug,
            timezone=settings.timezone,
        )
    articles = parse_document(settings, target, source)
    json.dump([article_json(a) for a in articles], sys.stdout, ensure_ascii=False, indent=2)
    sys.stdout.write("\n")
    return 0


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
