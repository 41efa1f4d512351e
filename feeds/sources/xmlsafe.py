"""XML feed bytes made safe to hand to a parser: which charset to try, and a defused DOCTYPE.

``declared_charset`` picks the label to decode with first: the transport's
charset when the bytes follow it, else the document's own (a UTF-16/32 layout
of ``<?``, or the XML declaration's ``encoding``). ``defuse`` keeps only
harmless entity declarations in a DOCTYPE: external and parameter entities
are dropped, entities referring to entities are dropped, and a document whose
entities would expand beyond ``MAX_EXPANSION`` characters is refused.
"""

from __future__ import annotations

import re
from collections import Counter

from feeds.errors import ParseError
from feeds.extract.encoding import charset_name

__all__ = ["declared_charset", "defuse"]

MAX_EXPANSION = 1_000_000  # characters all declared entities may add to a document
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_ROOT = re.compile(r"<[A-Za-z_]")
_DOCTYPE = re.compile(r"(<!DOCTYPE\s[^\[>]*)(?:\[(.*?)\]\s*)?>", re.DOTALL | re.IGNORECASE)
_ENTITY = re.compile(r"""<!ENTITY\s+(%\s+)?([^\s"'>]+)\s+(?:"([^"]*)"|'([^']*)'|([^>]*))\s*>""", re.DOTALL)
_CHAR_REF = re.compile(r"^&#(?:\d+|x[0-9A-Fa-f]+);$")
_ENTITY_REF = re.compile(r"&([A-Za-z_][\w.-]*);")
# UTF-16 and UTF-32 documents without a byte order mark, told by how "<?" is written (XML 1.0 appendix F).
_WIDE = (
    (b"\x00\x00\x00<", "utf-32-be"),
    (b"<\x00\x00\x00", "utf-32-le"),
    (b"\x00<\x00?", "utf-16-be"),
    (b"<\x00?\x00", "utf-16-le"),
)


def declared_charset(content: bytes, charset: str | None) -> str | None:
    """The charset label to try first: the transport's, when the bytes follow it, else the document's own."""
    own: str | None = None
    for mark, codec in _WIDE:
        if content.startswith(mark):
            own = codec
    if own is None and (match := _XML_ENCODING.match(content[:1024])) is not None:
        own = match.group(1).decode("ascii")
    for label in (charset, own):
        name = charset_name(label)
        if name is None:
            continue
        try:
            content.decode(name)
        except (UnicodeDecodeError, LookupError):
            continue
        return label
    return charset or own


def defuse(text: str, where: str) -> str:
    """``text`` with a DOCTYPE that holds only harmless entity declarations, or none."""
    root = _ROOT.search(text)
    prolog_end = root.start() if root else len(text)
    doctype = _DOCTYPE.search(text, 0, prolog_end)
    if doctype is not None and doctype.group(2) is None:
        return text  # no internal subset, nothing declared here; external DTDs are never read
    if doctype is None:
        if "<!ENTITY" in text[:prolog_end]:
            raise ParseError(f"{where}: an entity declaration outside a well-formed DOCTYPE")
        return text
    kept: dict[str, str] = {}
    for match in _ENTITY.finditer(doctype.group(2) or ""):
        parameter, name, double, single, other = match.groups()
        value = double if double is not None else single
        if parameter or value is None or other:
            continue  # parameter or external entity: never expanded
        if "&" in value and not _CHAR_REF.match(value):
            continue  # refers to other entities: the shape of every expansion bomb
        kept[name] = value
    body = text[doctype.end() :]
    if kept:
        uses = Counter(m.group(1) for m in _ENTITY_REF.finditer(body) if m.group(1) in kept)
        growth = sum(len(kept[name]) * count for name, count in uses.items())
        if growth > MAX_EXPANSION:
            raise ParseError(
                f"{where}: refused, the DOCTYPE's entities would add {growth} characters "
                f"(over the {MAX_EXPANSION} limit)"
            )
    # One declaration a line, the layout feedparser's own DOCTYPE rewriting expects.
    declarations = "".join(f'\n<!ENTITY {name} "{value}">' for name, value in kept.items())
    replacement = doctype.group(1).rstrip() + (f" [{declarations}\n]>" if declarations else ">")
    return text[: doctype.start()] + replacement + body
