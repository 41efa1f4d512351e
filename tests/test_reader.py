"""A real feed reader subscribes to the served feeds: newsboat fetches them over HTTP from the
running service (`python run.py --config DIR`), and what it stores matches feedparser and the samples."""

from __future__ import annotations

import calendar
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import feedparser
import httpx

from tests.conftest import ROOT, free_port, make_instance, require

# The four bundled sample captures, as `parse --json` reads them: title and publication time (UTC).
EXPECTED = {
    "县政协召开“有事好商量”协商议事会 聚焦老旧小区改造": "2024-11-18T07:30:00+00:00",
    "City Council Approves Budget for Flood Defences": "2024-03-03T06:20:00+00:00",
    "我区扎实推动医保便民利民服务落地见效": "2024-12-18T01:42:00+00:00",
    "坚持和加强党的全面领导 展现新时代人民政协责任担当": "2024-03-31T16:00:00+00:00",
}
FEEDS = ("all.rss", "all.atom")
PROXY_VARS = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")


def _wait_for(client: httpx.Client, url: str, deadline: float) -> httpx.Response:
    last: object = None
    while time.monotonic() < deadline:
        try:
            response = client.get(url, timeout=2)
            if response.status_code == 200:
                return response
            last = response.status_code
        except httpx.TransportError as exc:
            last = exc
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer 200 in time ({last})")


def _newsboat_reload(url: str, home: Path) -> tuple[list[tuple[str, int, str]], list[str]]:
    """Subscribe a fresh newsboat to ``url`` alone, reload once, and read back its cache:
    (title, pubDate as unix time, link) per stored item, and the feed URLs it recorded."""
    home.mkdir()
    urls = home / "urls"
    urls.write_text(url + "\n", encoding="utf-8")
    config = home / "config"
    config.write_text("download-timeout 10\ndownload-retries 1\nreload-threads 1\n", encoding="utf-8")
    cache = home / "cache.db"
    log = home / "newsboat.log"
    env = {k: v for k, v in os.environ.items() if k not in PROXY_VARS}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "xdg-config"),
        XDG_DATA_HOME=str(home / "xdg-data"),
        LC_ALL="C.UTF-8",
        no_proxy="127.0.0.1,localhost",
        NO_PROXY="127.0.0.1,localhost",
    )
    result = subprocess.run(
        ["newsboat", "-u", str(urls), "-c", str(cache), "-C", str(config), "-l", "4", "-d", str(log), "-x", "reload"],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        env=env,
        timeout=60,
        check=False,
    )
    diagnostics = (
        f"newsboat exited {result.returncode}\nstdout: {result.stdout.decode(errors='replace')}\n"
        f"stderr: {result.stderr.decode(errors='replace')}\n"
        f"log tail: {log.read_text(errors='replace')[-3000:] if log.exists() else '(none)'}"
    )
    assert result.returncode == 0, diagnostics
    assert cache.is_file(), diagnostics
    with sqlite3.connect(cache) as db:
        items = db.execute(
            "SELECT title, pubDate, url FROM rss_item WHERE feedurl = ? AND deleted = 0 ORDER BY title",
            (url,),
        ).fetchall()
        feeds = [row[0] for row in db.execute("SELECT rssurl FROM rss_feed")]
    db.close()
    assert items, f"newsboat stored no item for {url}\n{diagnostics}"
    return sorted((str(t), int(d), str(u)) for t, d, u in items), feeds


def _feedparser_items(document: bytes) -> list[tuple[str, int, str]]:
    parsed = feedparser.parse(document)
    assert not parsed.bozo, parsed.get("bozo_exception")
    items = []
    for entry in parsed.entries:
        when = entry.get("published_parsed") or entry.get("updated_parsed")
        assert when is not None, f"no date on {entry.get('title')!r}"
        # feedparser falls back to the entry id when there is no link; a reader shows only a declared link.
        links = [link.href for link in entry.get("links", []) if link.get("rel", "alternate") == "alternate"]
        items.append((str(entry.title), calendar.timegm(when), str(links[0]) if links else ""))
    return sorted(items)


def test_newsboat_reads_the_served_rss_and_atom_feeds(tmp_path: Path) -> None:
    require(shutil.which("newsboat") is not None, "newsboat is not installed (the real feed reader test)")
    port = free_port()
    config = make_instance(tmp_path / "instance", port=port, cycle_seconds=1)
    env = {k: v for k, v in os.environ.items() if k not in ("FEEDS_DATABASE_URL", "FEEDS_CONFIG")}
    process = subprocess.Popen(
        [sys.executable, str(ROOT / "run.py"), "--config", str(config)],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        expected = {title: int(datetime.fromisoformat(when).timestamp()) for title, when in EXPECTED.items()}
        with httpx.Client(trust_env=False) as client:
            deadline = time.monotonic() + 30
            for name in FEEDS:
                _wait_for(client, f"{base}/feeds/{name}", deadline)
            for name in FEEDS:
                url = f"{base}/feeds/{name}"
                reader, subscribed = _newsboat_reload(url, tmp_path / f"newsboat-{name}")
                document = client.get(url, timeout=5)
                assert document.status_code == 200
                reference = _feedparser_items(document.content)

                assert subscribed == [url]
                assert reader == reference, f"{name}: newsboat {reader} != feedparser {reference}"
                assert {title: when for title, when, _ in reader} == expected, name
                assert len(reader) == 4
                assert all(title.strip() == title and title for title, _, _ in reader)

        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
