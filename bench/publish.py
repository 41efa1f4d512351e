"""Publishing time: a full publish of 200 categories × 100 articles, then an incremental one.

    .venv/bin/python bench/publish.py [--categories 200] [--items 100] [--archived 0]

Articles are built in memory (no store): zh bodies of about 2 KB of UTF-8
made of sentences of the seed capture in a seeded random order. The full run
publishes every feed into an empty temporary directory; then one new article
lands in one category and ``publish(only={that slug, "all"})`` runs. Wall and
CPU times are printed (CPU includes the worker processes); the last line is
one JSON object with both wall times and their ratio.

With ``--archived N`` each category has N older articles besides its
``--items`` newest, published in RFC 5005 / JSON Feed archive pages (the
"all" feed archives every article of every category), as ``build`` does.
"""

from __future__ import annotations

import argparse
import html
import json
import random
import re
import resource
import sys
import tempfile
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from feeds.models import Article, Feed, Precision  # noqa: E402
from feeds.publish import publish  # noqa: E402
from feeds.publish.entries import archive_pages  # noqa: E402

SEED = ROOT / "tests" / "fixtures" / "seed" / "000_3f7fc0ed3a60827e.txt"
BASE_URL = "http://127.0.0.1:8080/"
START = datetime(2024, 1, 1, tzinfo=UTC)
BODY_BYTES = 2048


def sentences() -> list[str]:
    text = SEED.read_text(encoding="utf-8")
    found = [s.strip() for s in re.findall(r"[^。！？\n]+[。！？]", text)]
    return [s for s in found if len(s) >= 8]


def body(rng: random.Random, pool: list[str]) -> str:
    paragraphs: list[str] = []
    size = 0
    while size < BODY_BYTES:
        paragraph = "".join(rng.sample(pool, 3))
        paragraphs.append(f"<p>{html.escape(paragraph)}</p>")
        size += len(paragraphs[-1].encode())
    return "".join(paragraphs)


def make_article(n: int, slug: str, rng: random.Random, pool: list[str]) -> Article:
    content = body(rng, pool)
    text = re.sub(r"<[^>]+>", "", content)
    when = START + timedelta(minutes=17 * n)
    return Article(
        id=f"{n:08x}",
        source_id="bench",
        title=rng.choice(pool)[:30],
        link=f"http://www.example.gov.cn/{slug}/{n}.html",
        origin_url=f"http://www.example.gov.cn/{slug}/{n}.html",
        source_name="某某政协",
        author=rng.choice(["张三", "李四", None]),
        published=when,
        updated=None,
        published_precision=Precision.MINUTE,
        language="zh-CN",
        summary=text[:120],
        content_html=content,
        content_text=text,
        categories=(slug,),
        disclaimer=None,
        rights="© 某某政协" if n % 3 == 0 else None,
        content_hash=f"h{n}",
        first_seen=when,
    )


def newest_first(articles: list[Article]) -> list[Article]:
    return sorted(articles, key=lambda a: (a.published or START, a.id), reverse=True)


def feed(slug: str, title: str, articles: list[Article], items: int, *, archives: bool = False) -> Feed:
    newest = newest_first(articles)[:items]
    return Feed(
        slug=slug,
        title=title,
        description=f"{title}的文章",
        language="zh-CN",
        articles=tuple(newest),
        updated=max((a.published for a in newest if a.published is not None), default=None),
        archived=len(articles) - len(newest) if archives else 0,
    )


def footer(article: Article) -> str | None:
    return f'<hr/><p class="rights">{html.escape(article.rights)}</p>' if article.rights else None


def cpu_seconds() -> float:
    """User + system time of this process and its finished children (the worker processes)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--categories", type=int, default=200)
    parser.add_argument("--items", type=int, default=100)
    parser.add_argument("--archived", type=int, default=0, help="older articles per category, in archive pages")
    args = parser.parse_args()
    archives = args.archived > 0
    rng = random.Random(20241220)
    pool = sentences()
    per_category: dict[str, list[Article]] = {}
    n = 0
    for c in range(args.categories):
        slug = f"cat-{c:03d}"
        per_category[slug] = [make_article(n + i, slug, rng, pool) for i in range(args.items + args.archived)]
        n += args.items + args.archived
    titles = {slug: f"分类{i}" for i, slug in enumerate(per_category)}
    everything = [a for articles in per_category.values() for a in articles]

    def all_feeds() -> list[Feed]:
        feeds = [feed(slug, titles[slug], items, args.items, archives=archives) for slug, items in per_category.items()]
        return [*feeds, feed("all", "全部文章", everything, args.items, archives=archives)]

    oldest_first: dict[tuple[str, int], list[Article]] = {}

    def load(slug: str, offset: int, limit: int) -> list[Article]:
        """The store's archive query: ``limit`` articles from ``offset``, counted from the oldest."""
        stored = everything if slug == "all" else per_category[slug]
        key = (slug, len(stored))
        if key not in oldest_first:
            oldest_first[key] = newest_first(stored)[::-1]
        return oldest_first[key][offset : offset + limit]

    archive = load if archives else None

    feeds = all_feeds()
    size = sum(len(a.content_html.encode()) for f in feeds for a in f.articles) / sum(len(f.articles) for f in feeds)
    print(f"{len(feeds)} feeds, {sum(len(f.articles) for f in feeds)} items, body {size:.0f} bytes on average")
    if archives:
        print(f"{sum(f.archived for f in feeds)} archived items in {sum(archive_pages(f) for f in feeds)} pages")
    with tempfile.TemporaryDirectory(prefix="feeds-bench-") as temp:
        output = Path(temp)
        started, cpu = time.perf_counter(), cpu_seconds()
        written = publish(
            feeds, output_dir=output, base_url=BASE_URL, site_title="feeds", footer=footer, archive=archive
        )
        full = time.perf_counter() - started
        cpu = cpu_seconds() - cpu
        total = sum(p.stat().st_size for p in written)
        print(f"full publish: {full:.3f} s ({cpu:.2f} s CPU), {len(written)} files, {total / 1e6:.1f} MB")

        slug = "cat-007"
        new = replace(make_article(n, slug, rng, pool), published=START + timedelta(days=3650))
        per_category[slug].append(new)
        everything.append(new)
        feeds = all_feeds()
        started, cpu = time.perf_counter(), cpu_seconds()
        written = publish(
            feeds,
            output_dir=output,
            base_url=BASE_URL,
            site_title="feeds",
            footer=footer,
            only={slug, "all"},
            archive=archive,
        )
        incremental = time.perf_counter() - started
        cpu = cpu_seconds() - cpu
        print(
            f"incremental publish (one new article in {slug}): {incremental:.3f} s ({cpu:.2f} s CPU),"
            f" {len(written)} files"
        )
    ratio = incremental / full
    print(f"ratio incremental/full: {ratio:.3f}")
    print(json.dumps({"full_s": round(full, 3), "incremental_s": round(incremental, 3), "ratio": round(ratio, 4)}))


if __name__ == "__main__":
    main()
