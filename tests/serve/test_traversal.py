"""No request path reaches a file outside the root, a dotfile or a temp file (raw requests, no normalizing)."""

from __future__ import annotations

import socket

import pytest

from tests.serve.conftest import SECRET, Running


def raw_get(server: Running, target: bytes) -> tuple[int, bytes]:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    data = b"".join(chunks)
    status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/") else 0
    return status, data


@pytest.mark.parametrize(
    "target",
    [
        b"/../secret.txt",
        b"/../../../../etc/passwd",
        b"/%2e%2e/secret.txt",
        b"/%2E%2E/%2e%2e/etc/passwd",
        b"/feeds/..%2f..%2fsecret.txt",
        b"/feeds/%2e%2e%2f%2e%2e%2fsecret.txt",
        b"/feeds/..%5c..%5csecret.txt",
        b"/feeds\\..\\..\\secret.txt",
        b"/..\\secret.txt",
        b"//etc/passwd",
        b"/%2fetc%2fpasswd",
        b"/feeds/leak.rss",
        b"/outside/secret.txt",
        b"/.hidden",
        b"/feeds/.all.rss.tmp",
        b"/feeds/%2eall.rss.tmp",
        b"/./index.html",
        b"/feeds/./all.rss",
        b"/index.html%00.rss",
        b"/secret.txt",
    ],
)
def test_traversal_is_404_and_leaks_nothing(server: Running, target: bytes) -> None:
    status, data = raw_get(server, target)
    assert status in (400, 404), data[:200]
    assert SECRET not in data


def test_symlink_inside_the_root_is_served(server: Running) -> None:
    status, data = raw_get(server, b"/inside.rss")
    assert status == 200
    assert b"<rss" in data


def test_plain_path_still_works_raw(server: Running) -> None:
    status, data = raw_get(server, b"/feeds/all.rss")
    assert status == 200
    assert data.rstrip().endswith(b"</rss>")
