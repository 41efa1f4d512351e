"""`ingest --once` shows a progress bar over sources on a terminal, and nothing extra elsewhere."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys
from pathlib import Path

from feeds.console import Progress, progress_line
from feeds.serve.jobs import SourceReport
from tests.conftest import ROOT, make_instance


def test_progress_line_shows_the_bar_the_count_and_the_last_source() -> None:
    line = progress_line(SourceReport("inbox", new=4), 2, 8, 1.25, width=8)
    assert line == "[##......] 2/8 sources   1.2 s · inbox: 4 new"
    assert progress_line(SourceReport("up", error="fetch: 503"), 8, 8, 3.0, width=4).startswith("[####] 8/8")
    assert progress_line(SourceReport("up", ran=False, note="not due"), 1, 1, 0.0).endswith("up: not due")


def test_progress_is_silent_when_not_on_a_terminal() -> None:
    stream = io.StringIO()
    with Progress(stream) as progress:
        progress.update(SourceReport("inbox", new=1), 1, 1)
    assert stream.getvalue() == ""


def test_ingest_on_a_terminal_draws_the_bar_then_clears_it(tmp_path: Path) -> None:
    config = make_instance(tmp_path)
    primary, secondary = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("FEEDS_DATABASE_URL", "FEEDS_CONFIG")}
    try:
        done = subprocess.run(
            [sys.executable, str(ROOT / "run.py"), "--config", str(config), "ingest", "--once"],
            stdout=subprocess.PIPE, stderr=secondary, env=env, timeout=120, check=False,
        )  # fmt: skip
        os.close(secondary)
        chunks = []
        while True:
            try:
                chunk = os.read(primary, 65536)
            except OSError:  # the terminal's other side is closed: everything was read
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(primary)
    terminal = b"".join(chunks).decode()
    assert done.returncode == 0, terminal
    assert "[########################] 1/1 sources" in terminal
    assert "inbox: 4 new" in terminal
    # a log line clears the bar first, and the bar is cleared once the sources are done
    bar = terminal.index("[########################] 1/1 sources")
    assert terminal[bar - 4 : bar] == "\r\x1b[K" and "\r\x1b[K" in terminal[bar:]
    assert "inbox: 4 new, 0 updated" in done.stdout.decode()  # the summary goes to stdout as before


def test_every_command_has_help_with_examples() -> None:
    commands = ["run", "ingest", "build", "serve", "status", "parse", "import-opml", "export-opml"]
    commands += ["sources list", "sources add", "sources remove", "sources enable", "sources disable"]
    for command in commands:
        done = subprocess.run(
            [sys.executable, str(ROOT / "run.py"), *command.split(), "--help"],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        assert done.returncode == 0, (command, done.stderr)
        assert "examples:\n  python run.py" in done.stdout, command
