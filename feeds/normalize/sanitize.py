"""The last step before storing: article HTML reduced to a safe allowlist (nh3).

Only structural and inline tags survive; links and images are made absolute
against the page URL, links get ``rel="noopener noreferrer"``, ``javascript:``
and ``data:`` URLs are removed (a link left without an address becomes its
text), 1×1 tracking pixels and iframes are dropped.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin, urlsplit

import nh3

__all__ = ["sanitize_html"]

TAGS = frozenset({
    "p", "br", "a", "strong", "em", "b", "i", "u", "blockquote", "ul", "ol", "li", "h2", "h3", "h4", "pre",
    "code", "img", "figure", "figcaption", "table", "thead", "tbody", "tr", "th", "td",
})
ATTRIBUTES = {
    "a": {"href", "title"},
    "img": {"src", "alt", "title", "width", "height"},
}
# Elements removed together with everything inside them.
DROPPED = frozenset({
    "script", "style", "iframe", "frame", "frameset", "object", "embed", "noscript", "template", "svg", "math",
    "form", "select", "textarea", "button", "audio", "video", "canvas", "head", "title",
})
URL_SCHEMES = frozenset({"http", "https", "mailto"})
_URL_ATTRIBUTES = {("a", "href"), ("img", "src")}
_IGNORED_IN_URLS = re.compile(r"[\x00-\x20\x7f]")
_IMG = re.compile(r"<img\b[^>]*>")
_ATTR = re.compile(r'([a-z-]+)="([^"]*)"')
# A link whose address was removed (``javascript:``, ``data:``) or never given: only its text is kept.
_DEAD_LINK = re.compile(r"<a(?![^>]*\shref=)(?:\s[^>]*)?>(.*?)</a>", re.DOTALL)


def sanitize_html(html_text: str, base_url: str | None) -> str:
    """``html_text`` reduced to the allowlist, with absolute link and image URLs."""

    def attribute_filter(tag: str, attribute: str, value: str) -> str | None:
        if (tag, attribute) in _URL_ATTRIBUTES:
            return _safe_url(value, base_url)
        if attribute in ("width", "height"):
            return value if re.fullmatch(r"\d{1,5}(?:px)?", value.strip()) else None
        return value

    cleaned = nh3.clean(
        html_text,
        tags=set(TAGS),
        clean_content_tags=set(DROPPED),
        attributes={tag: set(names) for tag, names in ATTRIBUTES.items()},
        attribute_filter=attribute_filter,
        strip_comments=True,
        link_rel="noopener noreferrer",
        url_schemes=set(URL_SCHEMES),
    )
    cleaned = _IMG.sub(_keep_image, cleaned)
    cleaned = _DEAD_LINK.sub(r"\1", cleaned)
    return cleaned.strip()


def _safe_url(value: str, base_url: str | None) -> str | None:
    """The URL made absolute, or None when it is not an http(s)/mailto URL."""
    url = _IGNORED_IN_URLS.sub("", value)
    if not url:
        return None
    try:
        absolute = urljoin(base_url, url) if base_url else url
        scheme = urlsplit(absolute).scheme.lower()
    except ValueError:
        return None
    if scheme in URL_SCHEMES:
        return absolute
    if not scheme and not base_url and not url.startswith("//"):
        return absolute  # relative, and nothing to resolve it against
    return None


def _keep_image(match: re.Match[str]) -> str:
    """An ``<img>`` as it is, or nothing for a tracking pixel or an image without a source."""
    attributes = dict(_ATTR.findall(match.group(0)))
    if not attributes.get("src"):
        return ""
    width, height = (attributes.get(name, "").removesuffix("px") for name in ("width", "height"))
    if width in ("0", "1") and height in ("0", "1", ""):
        return ""
    if height in ("0", "1") and width == "":
        return ""
    return match.group(0)
