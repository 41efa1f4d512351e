"""Command line: ``python run.py [--config DIR] COMMAND``.

Exit codes: 0 success, 1 a run that failed, 2 a usage or configuration error.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from feeds.config import LOG_LEVELS, Settings, load_settings
from feeds.console import Progress, article_json, print_dry_run, print_sources, print_status
from feeds.errors import ConfigError, FeedsError
from feeds.models import Source, SourceKind

if TYPE_CHECKING:
    pass

EXAMPLES = """\
examples:
  python run.py                          scheduler + HTTP server (same as 'run')
  python run.py ingest --once            read the sources that are due (and capture folders), then publish
  python run.py ingest --once --source inbox
  python run.py build                    regenerate feeds from the database
  python run.py serve                    serve the output tree only
  python run.py status                   articles per category and per source
  python run.py parse page.txt --json    print the normalized article
  python run.py parse feed.xml --json    print every entry of a feed, normalized
  python run.py sources list             configured sources: id, kind, category, enabled, location
  python run.py sources add https://example.org/feed.xml --category economy
  python run.py sources disable example-org-feed-xml
  python run.py sources test cppcc-list  dry run of a page source: what its first articles give
  python run.py import-opml subscriptions.opml --category news
  python run.py export-opml > sources.opml
  python run.py --config /etc/feeds run  use another configuration directory
"""

SOURCES_EXAMPLES = """\
examples:
  python run.py sources list
  python run.py sources add https://example.org/feed.xml --category economy
  python run.py sources add https://example.org/rss --category cppcc --id cppcc-news --name "政协新闻"
  python run.py sources disable cppcc-news
  python run.py sources enable cppcc-news
  python run.py sources remove cppcc-news
  python run.py sources test cppcc-list             dry run: list page and first 3 articles
  python run.py sources test cppcc-list --limit 5

sources.toml is edited as text: comments and the other blocks stay as they are,
and an edit that would leave the configuration invalid is not written.
"""

IMPORT_EXAMPLES = """\
examples:
  python run.py import-opml subscriptions.opml
  python run.py import-opml subscriptions.opml --category economy

Every outline with an xmlUrl becomes a feed source. Its category is the innermost
enclosing outline whose text is a category slug or title (case-insensitive), else
--category, else the default category. URLs already configured, or repeated in
the file, are skipped and reported.
"""

EXPORT_EXAMPLES = """\
examples:
  python run.py export-opml > sources.opml
  python run.py --config /etc/feeds export-opml
"""


def _examples(*lines: str) -> str:
    return "examples:\n" + "".join(f"  {line}\n" for line in lines)


def _command(parent: Any, name: str, help_: str, description: str, epilog: str) -> argparse.ArgumentParser:
    """A subcommand of ``parent`` whose description and examples are printed as written."""
    parser: argparse.ArgumentParser = parent.add_parser(
        name, help=help_, description=description, epilog=epilog, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    return parser


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
    parser.add_argument(
        "--log-level", choices=LOG_LEVELS, help="what to log (default: [log] level, else info)"
    )
    parser.add_argument(
        "--log-json", action="store_true", help="log JSON lines instead of key=value (default: [log] format)"
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")

    _command(
        commands,
        "run",
        "run the scheduler and the HTTP server (default)",
        "Run the sources when due and publish what changed, and serve the output tree over HTTP. "
        "Stops cleanly on Ctrl-C or SIGTERM.",
        _examples("python run.py", "python run.py --config /etc/feeds run --log-json"),
    )
    ingest = _command(
        commands,
        "ingest",
        "read sources and store new or changed articles, then publish",
        "Read the sources that are due (every capture folder, and the feed and page sources whose\n"
        "next check has come), store what is new or changed, and rebuild the feeds that changed.\n"
        "With --source, the sources named run whether due or not.\n"
        "On a terminal, a progress bar shows the sources as they finish.",
        _examples("python run.py ingest --once", "python run.py ingest --once --source inbox --source gov"),
    )
    ingest.add_argument("--once", action="store_true", help="run a single pass and exit (the only mode here)")
    ingest.add_argument("--source", action="append", metavar="ID", help="only this source (repeatable)")
    _command(
        commands,
        "build",
        "regenerate the feeds and index from the database",
        "Write every feed (RSS, Atom, JSON Feed), archive page, index.html and opml.xml from the "
        "database; files whose bytes would not change are not touched.",
        _examples("python run.py build", "python run.py --config /etc/feeds build"),
    )
    _command(
        commands,
        "serve",
        "serve the output tree over HTTP without ingesting",
        "Serve the output directory with ETag, Last-Modified, 304 and gzip.",
        _examples("python run.py serve", "FEEDS_CONFIG=/etc/feeds python run.py serve"),
    )
    _command(
        commands,
        "status",
        "print articles per category and sources",
        "Show configured sources and the stored articles per category.",
        _examples("python run.py status", "python run.py --config /etc/feeds status"),
    )
    parse = _command(
        commands,
        "parse",
        "extract and normalize a capture, a feed or a URL, print the articles",
        "Run extraction and normalization without storing anything: a capture file (.txt, .html), "
        "a feed file (.xml, .rss, .atom, .rdf, .json: every entry) or an http(s) URL of a page or a feed.",
        _examples(
            "python run.py parse config/samples/inbox/sdzx-party-leadership.txt --json",
            "python run.py parse feed.xml --source gov-feed",
            "python run.py parse https://www.example.gov.cn/art/2024/4/18/art_1.html",
        ),
    )
    parse.add_argument("path", metavar="PATH_OR_URL", help="a capture file, a feed file, or a URL")
    parse.add_argument("--json", action="store_true", help="print a JSON list of articles (the default)")
    parse.add_argument("--source", metavar="ID", help="read it as coming from this configured source")
    _source_parsers(commands)
    return parser


def _source_parsers(commands: Any) -> None:
    sources = _command(
        commands,
        "sources",
        "list, add, remove, enable, disable or test configured sources",
        "Show or edit the sources in sources.toml.",
        SOURCES_EXAMPLES,
    )
    actions = sources.add_subparsers(dest="action", metavar="ACTION", required=True)
    listing = "Print id, kind, category, enabled and URL or path."
    _command(actions, "list", "print the sources", listing, SOURCES_EXAMPLES)
    add = _command(
        actions,
        "add",
        "add a feed source",
        "Append a feed source to sources.toml. Its id derives from the URL's host and path unless --id is given.",
        SOURCES_EXAMPLES,
    )
    add.add_argument("url", metavar="URL", help="the feed's http(s) URL")
    add.add_argument("--category", required=True, metavar="SLUG", help="a category slug from categories.toml")
    add.add_argument("--id", metavar="ID", help="the source id (default: from the URL)")
    add.add_argument("--name", metavar="NAME", help="the source's display name")
    test = _command(
        actions,
        "test",
        "dry run: read a source's list page and first articles, store nothing",
        "Fetch a page source's list page (or a feed) and its first articles, and print what would be extracted: "
        "title, date, source, author, first body sentence, disclaimer. Nothing is stored. Exit code 1 when no "
        "article could be read.",
        SOURCES_EXAMPLES,
    )
    test.add_argument("id", metavar="ID", help="the source id")
    test.add_argument("--limit", type=int, default=3, metavar="N", help="articles to read (default 3)")
    for action, help_ in (
        ("remove", "remove a source's block from sources.toml"),
        ("disable", "set enabled = false on a source"),
        ("enable", "enable a disabled source"),
    ):
        _command(actions, action, help_, help_[0].upper() + help_[1:] + ".", SOURCES_EXAMPLES).add_argument(
            "id", metavar="ID", help="the source id"
        )
    imports = _command(
        commands,
        "import-opml",
        "add the feeds of an OPML subscription list as sources",
        "Add every feed of an OPML file as a feed source, with one check and one write of sources.toml.",
        IMPORT_EXAMPLES,
    )
    imports.add_argument("file", metavar="FILE", help="an OPML file")
    imports.add_argument("--category", metavar="SLUG", help="category of feeds outside any category outline")
    _command(
        commands,
        "export-opml",
        "print the feed sources as OPML",
        "Print an OPML 2.0 subscription list of the configured feed sources, one outline per category.",
        EXPORT_EXAMPLES,
    )


def main(argv: Sequence[str] | None = None) -> None:
    args = _parser().parse_args(argv)
    from feeds import logs

    logs.configure(args.log_level or "info", as_json=args.log_json)
    try:
        settings = load_settings(args.config)
        # the command line wins over [log]
        logs.configure(args.log_level or settings.log.level, as_json=args.log_json or settings.log.format == "json")
        code = _dispatch(args, settings)
    except ConfigError as exc:
        print(f"feeds: {exc}", file=sys.stderr)
        code = 2
    except FeedsError as exc:
        print(f"feeds: {exc}", file=sys.stderr)
        code = 1
    except KeyboardInterrupt:
        code = 130
    except BrokenPipeError:  # the reader of stdout went away (``| head``): nothing more to say
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        code = 1
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

        app = make_app(settings.output_dir, cache_control=settings.cache_control)
        serve(app, settings.server_host, settings.server_port)
        return 0
    if command == "parse":
        return _parse(settings, args.path, args.source)
    if command in ("sources", "import-opml", "export-opml"):
        return _sources_command(command, args, settings)
    from feeds.serve.jobs import build, ingest
    from feeds.store import Store

    with Store.open(settings.database_url) as store:
        if command == "ingest":
            unknown = sorted(set(args.source or ()) - {s.id for s in settings.sources})
            if unknown:
                raise ConfigError(f"unknown source id(s): {', '.join(unknown)}", file="sources.toml")
            with Progress(sys.stderr) as progress:
                report = ingest(settings, store, source_ids=args.source, on_source=progress.update)
            for r in report.sources:
                line = f"{r.source_id}: {r.new} new, {r.updated} updated, {r.unchanged} unchanged, {r.failed} failed"
                print(line + (f" ({r.note})" if r.note else "") + (f" — error: {r.error}" if r.error else ""))
            written = build(settings, store, only=report.dirty)
            print(f"published: {len(written)} file(s) rewritten in {settings.output_dir}")
            return 0 if report.ok else 1
        if command == "build":
            written = build(settings, store)
            print(f"published: {len(written)} file(s) rewritten in {settings.output_dir}")
            return 0
        if command == "status":
            states = {s.id: store.source_state(s.id) for s in settings.sources}
            print_status(settings, store.category_stats(), store.count_articles(), states)
            return 0
    raise ConfigError(f"unknown command {command!r}")


def _sources_command(command: str, args: argparse.Namespace, settings: Settings) -> int:
    from feeds import sourcefile
    from feeds.sources import opml

    if command == "export-opml":
        sys.stdout.flush()
        sys.stdout.buffer.write(opml.write_opml(settings.sources, settings.categories, title=settings.site_title))
        sys.stdout.buffer.flush()
        return 0
    if command == "import-opml":
        fallback = _category(settings, args.category) if args.category else settings.default_category.slug
        try:
            data = Path(args.file).read_bytes()
        except OSError as exc:
            raise ConfigError(f"cannot read the OPML file ({exc.strerror})", file=args.file) from None
        plan = opml.plan_import(
            opml.read_opml(data, where=args.file),
            sources=settings.sources,
            categories=settings.categories,
            fallback=fallback,
        )
        if plan.added:
            sourcefile.add_sources(settings.config_dir, plan.added)
        for new in plan.added:
            print(f"added {new.id} ({new.category}): {new.url}")
        print(plan.summary())
        return 0
    action = args.action
    if action == "list":
        print_sources(settings)
        return 0
    if action == "test":
        if args.limit < 1:
            raise ConfigError(f"--limit must be at least 1, got {args.limit}")
        from feeds.serve.jobs import dry_run

        report = dry_run(settings, args.id, limit=args.limit)
        print_dry_run(report)
        return 0 if any(p.article is not None for p in report.articles) else 1
    if action == "add":
        category = _category(settings, args.category)
        key = sourcefile.url_key(args.url)
        for source in settings.sources:
            if source.url and sourcefile.url_key(source.url) == key:
                raise ConfigError(f"{args.url} is already configured as source {source.id}", file="sources.toml")
        source_id = args.id or sourcefile.new_source_id(args.url, {s.id for s in settings.sources})
        sourcefile.add_source(
            settings.config_dir, id=source_id, kind="feed", url=args.url, category=category, name=args.name
        )
        print(f"added source {source_id} ({category}): {args.url}")
        return 0
    settings.source(args.id)
    if action == "remove":
        sourcefile.remove_source(settings.config_dir, args.id)
        print(f"removed source {args.id}")
    else:
        changed = sourcefile.set_enabled(settings.config_dir, args.id, action == "enable")
        print(f"source {args.id} {action}d" + ("" if changed else " already"))
    return 0


def _category(settings: Settings, slug: str) -> str:
    slugs = [c.slug for c in settings.categories]
    if slug not in slugs:
        raise ConfigError(f"unknown category {slug!r} (defined: {', '.join(slugs)})", file="categories.toml")
    return slug


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
