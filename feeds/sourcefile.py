"""Edit ``sources.toml`` as text, so its comments and layout survive.

Every edit works on the file's text: ``add_sources`` appends ``[[source]]``
blocks, ``remove_source`` cuts out one block, ``set_enabled`` changes or
inserts one ``enabled`` line; every other byte stays as it was. The new text
is written to a temporary file beside ``sources.toml``, checked (the parsed
result must be exactly the intended change, and ``load_settings`` must accept
the whole configuration, read from a copy of the directory), and only then
moved over ``sources.toml`` in one rename. A refused edit leaves the file
untouched and raises ``ConfigError`` with the reason.

A block is its ``[[source]]`` header, the lines up to the next table header
that is not one of its own sub-tables (``[source.rules]``), and the comment
lines directly above the header; comment lines after a blank line at its end
belong to what follows. The source's own keys are those before its first
sub-table: ``enabled`` goes there.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import tomllib
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from feeds.config import SLUG_RE, load_settings
from feeds.errors import ConfigError

FILE = "sources.toml"
_HEADER = re.compile(r"^\s*\[")
_SOURCE_HEADER = re.compile(r"^\s*\[\[\s*source\s*\]\]\s*(#.*)?$")
_SUB_HEADER = re.compile(r"^\s*\[\[?\s*source\s*\.")  # [source.rules], [[source.x]]: the last source's
_ENABLED = re.compile(r"^(\s*enabled\s*=\s*)(true|false)(\s*(?:#.*)?)$")
_MAX_ID = 60


@dataclass(frozen=True)
class NewSource:
    """A ``[[source]]`` block to append."""

    id: str
    kind: str
    category: str
    url: str | None = None
    path: str | None = None
    name: str | None = None


# --------------------------------------------------------------------------- ids and URLs


def url_key(url: str) -> str:
    """``url`` compared loosely: scheme and host lowercased, default port, fragment and trailing slash dropped."""
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:
        port = None
    if port == {"http": 80, "https": 443}.get(scheme):
        port = None
    netloc = (parts.hostname or "").lower() + (f":{port}" if port else "")
    path = parts.path.rstrip("/") or ""
    return f"{scheme}://{netloc}{path}" + (f"?{parts.query}" if parts.query else "")


def new_source_id(url: str, taken: Collection[str]) -> str:
    """A source id from the host and path of ``url``, made unique against ``taken`` with -2, -3, …"""
    parts = urlsplit(url.strip())
    host = (parts.hostname or "").lower().removeprefix("www.")
    with contextlib.suppress(UnicodeError):
        host = host.encode("idna").decode("ascii")
    raw = f"{host}/{parts.path}".lower()
    base = re.sub(r"[^a-z0-9]+", "-", raw).strip("-")[:_MAX_ID].strip("-") or "feed"
    candidate, n = base, 2
    while candidate in taken:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


# --------------------------------------------------------------------------- edits


def add_source(
    config_dir: str | os.PathLike[str],
    *,
    id: str | None = None,
    kind: str,
    category: str,
    url: str | None = None,
    path: str | None = None,
    name: str | None = None,
) -> None:
    """Append one ``[[source]]`` block; ``id`` derives from ``url`` when not given."""
    if id is None:
        if url is None:
            raise ConfigError("a source without a URL needs an id", file=FILE, key="id")
        id = new_source_id(url, _ids(_parse(_read(Path(config_dir)))))
    add_sources(config_dir, [NewSource(id=id, kind=kind, category=category, url=url, path=path, name=name)])


def add_sources(config_dir: str | os.PathLike[str], sources: Sequence[NewSource]) -> None:
    """Append a block for each of ``sources``, with one check and one write for all of them."""
    directory = Path(config_dir)
    text = _read(directory)
    old = _parse(text)
    taken = _ids(old)
    for source in sources:
        if not SLUG_RE.match(source.id):
            raise ConfigError(f"expected a slug of a-z, 0-9, '-', '_', got {source.id!r}", file=FILE, key="id")
        if source.id in taken:
            raise ConfigError(f"a source with id {source.id!r} is already configured", file=FILE, key="id")
        taken.add(source.id)
    newline = _newline(text)
    new = text
    if new and not new.endswith(("\n", "\r")):
        new += newline
    for source in sources:
        if new.strip() and not new.endswith(newline * 2):
            new += newline
        new += _block(source, newline)
    expected = [*old.get("source", []), *(_table(s) for s in sources)]
    _commit(directory, text, new, lambda doc: doc.get("source", []) == expected)


def remove_source(config_dir: str | os.PathLike[str], id: str) -> None:
    """Remove the block of source ``id``, keeping every other line as it was."""
    directory = Path(config_dir)
    text = _read(directory)
    old = _parse(text)
    index = _index(old, id)
    lines = text.splitlines(keepends=True)
    start, end = _span(lines, index)
    before = lines[:start]
    after = lines[end:]
    if (not before or _blank(before[-1])) and after and _blank(after[0]):
        after = after[1:]
    elif before and _blank(before[-1]) and not after:
        while before and _blank(before[-1]):
            before.pop()
    new = "".join(before + after)
    expected = [s for s in old.get("source", []) if s.get("id") != id]
    _commit(directory, text, new, lambda doc: doc.get("source", []) == expected)


def set_enabled(config_dir: str | os.PathLike[str], id: str, enabled: bool) -> bool:
    """Set ``enabled`` of source ``id``; returns False when it already had that value (nothing written).

    Disabling inserts ``enabled = false`` after the block's last key; enabling
    removes that line again, or sets an annotated one to ``true``.
    """
    directory = Path(config_dir)
    text = _read(directory)
    old = _parse(text)
    index = _index(old, id)
    table = old["source"][index]
    if table.get("enabled", True) is enabled:
        return False
    lines = text.splitlines(keepends=True)
    start, end = _span(lines, index)
    end = _own_keys_end(lines, start, end)
    newline = _newline(text)
    found = next((i for i in range(start, end) if _ENABLED.match(lines[i].rstrip("\r\n"))), None)
    if found is not None:
        body = lines[found].rstrip("\r\n")
        ending = lines[found][len(body) :]
        match = _ENABLED.match(body)
        assert match is not None
        if enabled and body.strip() == "enabled = false":
            del lines[found]
        else:
            lines[found] = match.group(1) + ("true" if enabled else "false") + match.group(3) + ending
    else:
        last = max(i for i in range(start, end) if not _blank(lines[i]) and not _comment(lines[i]))
        if not lines[last].endswith(("\n", "\r")):
            lines[last] += newline
        lines.insert(last + 1, f"enabled = {'true' if enabled else 'false'}{newline}")
    expected = [dict(s) for s in old["source"]]
    if enabled:
        expected[index].pop("enabled", None)
    else:
        expected[index]["enabled"] = False

    def check(doc: dict[str, Any]) -> bool:
        got = [dict(s) for s in doc.get("source", [])]
        if enabled and got[index].get("enabled") is True:
            got[index].pop("enabled")
        return got == expected

    _commit(directory, text, "".join(lines), check)
    return True


# --------------------------------------------------------------------------- text


def _read(directory: Path) -> str:
    path = directory / FILE
    try:
        return path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", file=str(path)) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 ({exc.reason} at byte {exc.start})", file=str(path)) from None


def _parse(text: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"not valid TOML ({exc})", file=FILE) from None


def _ids(doc: dict[str, Any]) -> set[str]:
    return {str(s.get("id")) for s in doc.get("source", []) if isinstance(s, dict)}


def _index(doc: dict[str, Any], source_id: str) -> int:
    sources = doc.get("source", [])
    for i, table in enumerate(sources):
        if isinstance(table, dict) and table.get("id") == source_id:
            return i
    known = ", ".join(str(s.get("id")) for s in sources if isinstance(s, dict)) or "none"
    raise ConfigError(f"no source with id {source_id!r} (configured: {known})", file=FILE)


def _span(lines: list[str], index: int) -> tuple[int, int]:
    """The line range of the ``index``-th ``[[source]]`` block."""
    headers = [i for i, line in enumerate(lines) if _SOURCE_HEADER.match(line.rstrip("\r\n"))]
    if index >= len(headers):
        raise ConfigError("cannot find the [[source]] headers; edit the file by hand", file=FILE)
    header = headers[index]
    after = range(header + 1, len(lines))
    end = next((i for i in after if _HEADER.match(lines[i]) and not _SUB_HEADER.match(lines[i])), len(lines))
    last = max((i for i in range(header, end) if not _blank(lines[i]) and not _comment(lines[i])), default=header)
    stop = last + 1
    while stop < end and _comment(lines[stop]):
        stop += 1
    start = header
    while start > 0 and _comment(lines[start - 1]):
        start -= 1
    if start == 0 and start != header:
        start = header  # comments at the top of the file describe the file
    return start, stop


def _own_keys_end(lines: list[str], start: int, end: int) -> int:
    """Where the source's own keys end in its block ``lines[start:end]``: at its first sub-table, if any."""
    header = next(i for i in range(start, end) if _SOURCE_HEADER.match(lines[i].rstrip("\r\n")))
    return next((i for i in range(header + 1, end) if _HEADER.match(lines[i])), end)


def _blank(line: str) -> bool:
    return not line.strip()


def _comment(line: str) -> bool:
    return line.lstrip().startswith("#")


def _newline(text: str) -> str:
    return "\r\n" if "\r\n" in text else "\n"


def _block(source: NewSource, newline: str) -> str:
    rows = [("id", source.id), ("kind", source.kind)]
    if source.name:
        rows.append(("name", source.name))
    if source.url is not None:
        rows.append(("url", source.url))
    if source.path is not None:
        rows.append(("path", source.path))
    rows.append(("category", source.category))
    return "[[source]]" + newline + "".join(f"{key} = {_string(value)}{newline}" for key, value in rows)


def _table(source: NewSource) -> dict[str, Any]:
    table = {"id": source.id, "kind": source.kind}
    if source.name:
        table["name"] = source.name
    if source.url is not None:
        table["url"] = source.url
    if source.path is not None:
        table["path"] = source.path
    table["category"] = source.category
    return table


def _string(value: str) -> str:
    """A TOML basic string."""
    escapes = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
    out = []
    for char in value:
        if char in escapes:
            out.append(escapes[char])
        elif ord(char) < 0x20 or ord(char) == 0x7F:
            out.append(f"\\u{ord(char):04x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


# --------------------------------------------------------------------------- commit


def _commit(directory: Path, old: str, new: str, intended: Callable[[dict[str, Any]], bool]) -> None:
    """Check ``new`` and move it over ``sources.toml``; on any refusal the file is left as it was."""
    target = directory / FILE
    try:
        parsed = tomllib.loads(new)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the edit would not be valid TOML ({exc}); not written", file=str(target)) from None
    if not intended(parsed):
        raise ConfigError(
            "the layout of the file did not allow a text edit with the intended result; not written, edit it by hand",
            file=str(target),
        )
    fd, temp_name = tempfile.mkstemp(prefix=f".{FILE}.", suffix=".tmp", dir=directory)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(new.encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        _validate(directory, temp)
        if target.read_bytes() != old.encode("utf-8"):
            raise ConfigError("changed by someone else during the edit; not written, try again", file=str(target))
        shutil.copymode(target, temp)
        os.replace(temp, target)
    finally:
        temp.unlink(missing_ok=True)


def _validate(directory: Path, candidate: Path) -> None:
    """``load_settings`` on a copy of ``directory`` whose ``sources.toml`` is ``candidate``."""
    with tempfile.TemporaryDirectory(prefix="feeds-config-") as scratch:
        copy = Path(scratch) / directory.name
        copy.mkdir()
        for entry in directory.iterdir():
            if entry.is_file() and entry.suffix == ".toml" and entry.name != FILE:
                shutil.copy2(entry, copy / entry.name)
        shutil.copy2(candidate, copy / FILE)
        try:
            load_settings(copy)
        except ConfigError as exc:
            message = exc.message.replace(str(copy), str(directory))
            refused = ConfigError(f"{message} (the edit was refused; {FILE} is unchanged)")
            refused.file = exc.file.replace(str(copy), str(directory)) if exc.file else exc.file
            refused.key = exc.key
            raise refused from None
