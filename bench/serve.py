"""Serving throughput: our server against nginx on the same 7 KB feed file, with wrk.

    .venv/bin/python bench/serve.py [--backend auto|granian|uvicorn] [--duration 5] [--runs 1]

Both servers run one process on a free loopback port; on a machine with two or
more CPUs the servers are pinned to CPU 0 and wrk to CPU 1. Each server is
measured for 200 (``Accept-Encoding: gzip``) and 304 (``If-None-Match`` of that
response), ``wrk -t1 -c64``. The last line printed is one JSON object with the
figures and the ratios ours/nginx. Needs ``wrk`` and ``nginx`` on PATH.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import importlib.metadata
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
FEED = "/feeds/all.rss"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_tree(base: Path, size: int = 7000) -> Path:
    root = base / "public"
    (root / "feeds").mkdir(parents=True)
    head = '<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>综合新闻</title>\n'
    items: list[str] = []
    i = 0
    while len((head + "".join(items)).encode()) < size - 200:
        i += 1
        items.append(
            f"<item><title>Article {i}: 国务院常务会议研究部署</title>"
            f"<link>https://news.example.org/2024/04/{i}.html</link>"
            f'<guid isPermaLink="false">urn:feeds:{i:08x}</guid>'
            f"<pubDate>Mon, 0{i % 9 + 1} Apr 2024 08:00:00 +0000</pubDate></item>\n"
        )
    body = (head + "".join(items) + "</channel></rss>\n").encode()
    (root / "feeds" / "all.rss").write_bytes(body)
    (root / "feeds" / "all.rss.gz").write_bytes(gzip.compress(body, 6))
    (root / "index.html").write_bytes(b"<!doctype html><title>bench</title>")
    for path in (base, root, root / "feeds"):
        path.chmod(0o755)
    return root


def machine() -> str:
    """CPU model and count, and the servers' versions: the figures only compare within one machine."""
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        model = found.group(1).strip() if found else model
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    version = subprocess.run([nginx, "-v"], capture_output=True, text=True).stderr.strip().rpartition("/")[2]
    servers = [f"nginx {version}"]
    for name in ("granian", "uvicorn"):
        with contextlib.suppress(importlib.metadata.PackageNotFoundError):
            servers.append(f"{name} {importlib.metadata.version(name)}")
    return f"{model}, {os.cpu_count()} CPUs; " + ", ".join(servers)


def pin(cpu: int) -> Callable[[], None] | None:
    if (os.cpu_count() or 1) < 2 or not hasattr(os, "sched_setaffinity"):
        return None
    return lambda: os.sched_setaffinity(0, {cpu})


def wait_http(url: str, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            time.sleep(0.05)
    raise SystemExit(f"{url} did not answer within {timeout:.0f} s")


def start_ours(root: Path, port: int, backend: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, __file__, "--child", str(root), str(port), backend],
        cwd=ROOT, preexec_fn=pin(0), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def start_nginx(base: Path, root: Path, port: int) -> subprocess.Popen[bytes]:
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    temp = base / "nginx"
    temp.mkdir()
    conf = temp / "nginx.conf"
    conf.write_text(f"""
worker_processes 1;
daemon off;
pid {temp}/nginx.pid;
error_log {temp}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    types {{ application/rss+xml rss; text/html html; }}
    default_type application/octet-stream;
    client_body_temp_path {temp}/body; proxy_temp_path {temp}/proxy; fastcgi_temp_path {temp}/fastcgi;
    uwsgi_temp_path {temp}/uwsgi; scgi_temp_path {temp}/scgi;
    sendfile on; tcp_nopush on; keepalive_requests 1000000;
    gzip_static on; gzip on; gzip_types application/rss+xml; gzip_vary on;
    server {{ listen 127.0.0.1:{port}; root {root}; }}
}}
""")
    return subprocess.Popen([nginx, "-p", str(temp), "-c", str(conf), "-e", str(temp / "error.log")],
                            preexec_fn=pin(0), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def stop(process: subprocess.Popen[bytes], sig: int) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


def wrk(url: str, headers: dict[str, str], duration: int) -> float:
    args = ["wrk", "-t1", "-c64", f"-d{duration}s", "--timeout", "5s"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, timeout=duration + 30,
                         preexec_fn=pin(1), check=True).stdout
    if bad := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        raise SystemExit(f"wrk saw {bad.group(1)} error responses from {url}")
    found = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if found is None:
        raise SystemExit(f"no figure in wrk output:\n{out}")
    return float(found.group(1))


def measure(name: str, base_url: str, duration: int, runs: int) -> tuple[float, float]:
    url = base_url + FEED
    wait_http(url)
    gz = {"Accept-Encoding": "gzip"}
    first = httpx.get(url, headers=gz, timeout=5)
    assert first.status_code == 200 and first.headers.get("content-encoding") == "gzip", (name, first.headers)
    etag = first.headers["etag"]
    conditional = {**gz, "If-None-Match": etag}
    assert httpx.get(url, headers=conditional, timeout=5).status_code == 304, name
    wrk(url, gz, 2)  # warm-up
    ok = max(wrk(url, gz, duration) for _ in range(runs))
    not_modified = max(wrk(url, conditional, duration) for _ in range(runs))
    print(f"{name:8} 200 gzip {ok:10,.0f} req/s   304 {not_modified:10,.0f} req/s", flush=True)
    return ok, not_modified


def child(root: str, port: str, backend: str) -> None:
    sys.path.insert(0, str(ROOT))
    from feeds.serve.server import serve
    from feeds.serve.web import make_app

    serve(make_app(Path(root)), "127.0.0.1", int(port), backend=backend)  # type: ignore[arg-type]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", default="auto", choices=["auto", "granian", "uvicorn"])
    parser.add_argument("--duration", type=int, default=5, help="seconds per wrk run (1-30)")
    parser.add_argument("--runs", type=int, default=1, help="wrk runs per figure, the best counts (1-5)")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    if shutil.which("wrk") is None or (shutil.which("nginx") is None and not Path("/usr/sbin/nginx").exists()):
        raise SystemExit("needs wrk and nginx (apt-get install -y wrk nginx)")
    duration = min(max(args.duration, 1), 30)
    runs = min(max(args.runs, 1), 5)
    print(machine(), flush=True)
    with tempfile.TemporaryDirectory(prefix="feeds-bench-") as tmp:
        base = Path(tmp)
        root = make_tree(base)
        port = free_port()
        ours = start_ours(root, port, args.backend)
        try:
            ours_200, ours_304 = measure(f"ours/{args.backend}", f"http://127.0.0.1:{port}", duration, runs)
        finally:
            stop(ours, signal.SIGINT)
        port = free_port()
        nginx = start_nginx(base, root, port)
        try:
            nginx_200, nginx_304 = measure("nginx", f"http://127.0.0.1:{port}", duration, runs)
        finally:
            stop(nginx, signal.SIGQUIT)
    print(json.dumps({
        "ours_304_rps": round(ours_304), "nginx_304_rps": round(nginx_304),
        "ratio_304": round(ours_304 / nginx_304, 3),
        "ours_200_rps": round(ours_200), "nginx_200_rps": round(nginx_200),
        "ratio_200": round(ours_200 / nginx_200, 3),
    }))


if __name__ == "__main__":
    main()
