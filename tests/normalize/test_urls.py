from __future__ import annotations

import pytest

from feeds.errors import ParseError
from feeds.normalize.urls import canonical_url


@pytest.mark.parametrize(
    ("url", "base", "expected"),
    [
        ("HTTP://WWW.Example.COM", None, "http://www.example.com/"),
        ("http://example.com:80/a", None, "http://example.com/a"),
        ("https://example.com:443/a", None, "https://example.com/a"),
        ("http://example.com:8080/a", None, "http://example.com:8080/a"),
        ("https://example.com/a#comments", None, "https://example.com/a"),
        ("/news/1.html?id=2", "http://example.com/list/index.html", "http://example.com/news/1.html?id=2"),
        ("2.html", "http://example.com/list/index.html", "http://example.com/list/2.html"),
        ("../up.html", "http://example.com/a/b/c.html", "http://example.com/a/up.html"),
        ("//cdn.example.com/x.png", "https://example.com/", "https://cdn.example.com/x.png"),
        (
            "https://example.com/a?utm_source=rss&id=3&spm=a.b.c&utm_medium=feed&page=2",
            None,
            "https://example.com/a?id=3&page=2",
        ),
        (
            "https://mp.example.com/s?__biz=MzA&mid=1&idx=1&sn=abc&scene=21&srcid=0412&from=timeline&isappinstalled=0",
            None,
            "https://mp.example.com/s?__biz=MzA&mid=1&idx=1&sn=abc",
        ),
        ("https://example.com/p?fbclid=IwAR&gclid=Cj0&share_token=x&UTM_Campaign=y", None, "https://example.com/p"),
        ("https://example.com/p?b=2&a=1&b=1", None, "https://example.com/p?b=2&a=1&b=1"),  # order kept
        ("https://example.com/p?q=a%20b&x=", None, "https://example.com/p?q=a%20b&x="),  # spelling kept
        ("http://example.com/新闻/标题.html", None, "http://example.com/%E6%96%B0%E9%97%BB/%E6%A0%87%E9%A2%98.html"),
        ("  http://example.com/a \n", None, "http://example.com/a"),
        ("http://[::1]:80/x", None, "http://[::1]/x"),
    ],
)
def test_canonical_url(url: str, base: str | None, expected: str) -> None:
    assert canonical_url(url, base) == expected


def test_canonical_url_is_idempotent() -> None:
    once = canonical_url("HTTPS://Example.com:443/新闻?utm_source=x&a=1#top")
    assert canonical_url(once) == once


@pytest.mark.parametrize(
    "url",
    ["", "javascript:alert(1)", "mailto:a@example.com", "ftp://example.com/f", "data:text/html,x", "http://",
     "http:///path", "http://exa mple.com/", "http://example.com:99999/", "http://[not-ipv6]/", "/relative/only",
     "example.com/no-scheme"],
)
def test_canonical_url_rejects_what_is_not_an_http_url(url: str) -> None:
    with pytest.raises(ParseError) as caught:
        canonical_url(url)
    assert caught.value.code == "parse"
