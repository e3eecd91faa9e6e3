"""Local files and folders as RawItems: text, Markdown, HTML, PDF, and JSON/JSONL article collections.

Folders are walked recursively in sorted order, hidden files and folders skipped. Problems with one file or one
JSON record are yielded as InputError values so that a batch goes on past them.

A JSON file holds one article object, a list of them, or an object with an ``articles`` or ``items`` list; a JSONL
file holds one article per line. An article is ``{"title", "url", "published", "text" | "html", "author"?,
"publisher"?}``; its locator is ``file.jsonl#N`` with N the 1-based line (JSONL) or position (JSON list).
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from threatledger.config import Settings
from threatledger.errors import InputError
from threatledger.model import RawItem

__all__ = ["SUFFIX_TYPES", "iter_items", "iter_paths", "read_path"]

log = logging.getLogger(__name__)

SUFFIX_TYPES: dict[str, str] = {
    ".txt": "text/plain",
    ".md": "text/markdown",
    ".html": "text/html",
    ".htm": "text/html",
    ".pdf": "application/pdf",
    ".json": "application/json",
    ".jsonl": "application/jsonl",
}
_HINTS = ("title", "url", "published", "author", "publisher")


def _hidden(name: str) -> bool:
    return name.startswith(".")


def iter_paths(paths: Iterable[str | os.PathLike[str]]) -> Iterator[Path | InputError]:
    """Files named in ``paths``, folders expanded recursively (sorted, hidden entries skipped).

    A path that does not exist is yielded as an InputError.
    """
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not _hidden(d))
                for name in sorted(files):
                    if not _hidden(name):
                        yield Path(root) / name
        elif path.is_file():
            yield path
        else:
            yield InputError("no such file or folder; check the path", locator=str(path))


def _read_capped(path: Path, settings: Settings) -> bytes:
    locator = str(path)
    try:
        size = path.stat().st_size
        if size > settings.max_bytes:
            raise InputError(
                f"file is {size} bytes, over the cap of {settings.max_bytes} bytes "
                "(raise Settings.max_bytes to read it)",
                locator=locator,
            )
        with path.open("rb") as handle:
            data = handle.read(settings.max_bytes + 1)
    except OSError as exc:
        raise InputError(f"cannot read file ({exc.strerror or exc})", locator=locator) from exc
    if len(data) > settings.max_bytes:  # grew between stat and read
        raise InputError(f"file is over the cap of {settings.max_bytes} bytes", locator=locator)
    return data


def _article(record: Any, locator: str) -> RawItem:
    if not isinstance(record, dict):
        raise InputError(
            f"expected an article object, found {type(record).__name__}; "
            'each record needs {"title", "url", "published", "text" or "html"}',
            locator=locator,
        )
    hints: dict[str, str | None] = {}
    for key in _HINTS:
        value = record.get(key)
        if value is not None and not isinstance(value, str):
            raise InputError(f"field {key!r} must be a string, not {type(value).__name__}", locator=locator)
        hints[key] = value
    text, html = record.get("text"), record.get("html")
    if isinstance(html, str) and html.strip():
        content, content_type = html, "text/html; charset=utf-8"
    elif isinstance(text, str) and text.strip():
        content, content_type = text, "text/plain; charset=utf-8"
    else:
        raise InputError('article has no "text" or "html" string; add the article body', locator=locator)
    return RawItem(
        locator=locator,
        content=content.encode("utf-8"),
        content_type=content_type,
        url=hints["url"],
        title=hints["title"],
        published=hints["published"],
        author=hints["author"],
        publisher=hints["publisher"],
        source_kind="json",
    )


def _json_records(data: bytes, locator: str) -> Iterator[RawItem | InputError]:
    try:
        document = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        yield InputError(f"not valid UTF-8 JSON ({exc})", locator=locator)
        return
    if isinstance(document, dict):
        listed = document.get("articles", document.get("items"))
        records = listed if isinstance(listed, list) else [document]
    elif isinstance(document, list):
        records = document
    else:
        yield InputError("JSON must hold an article object or a list of them", locator=locator)
        return
    for number, record in enumerate(records, start=1):
        try:
            yield _article(record, f"{locator}#{number}")
        except InputError as exc:
            yield exc


def _jsonl_records(data: bytes, locator: str) -> Iterator[RawItem | InputError]:
    for number, line in enumerate(data.split(b"\n"), start=1):
        if not line.strip():
            continue
        where = f"{locator}#{number}"
        try:
            record = json.loads(line.decode("utf-8-sig"))
            yield _article(record, where)
        except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
            yield InputError(f"line is not valid UTF-8 JSON ({exc})", locator=where)
        except InputError as exc:
            yield exc


def read_path(path: Path, settings: Settings) -> Iterator[RawItem | InputError]:
    """The RawItems of one file (several for JSON/JSONL), errors yielded as values."""
    suffix = path.suffix.lower()
    content_type = SUFFIX_TYPES.get(suffix)
    if content_type is None:
        yield InputError(
            f"unsupported file type {suffix or '(no suffix)'!r}; supported: {', '.join(sorted(SUFFIX_TYPES))}",
            locator=str(path),
        )
        return
    try:
        data = _read_capped(path, settings)
    except InputError as exc:
        yield exc
        return
    if suffix == ".json":
        yield from _json_records(data, str(path))
    elif suffix == ".jsonl":
        yield from _jsonl_records(data, str(path))
    else:
        yield RawItem(locator=str(path), content=data, content_type=content_type, source_kind="file")


def iter_items(paths: Iterable[str | os.PathLike[str]], settings: Settings) -> Iterator[RawItem | InputError]:
    """Every RawItem under ``paths``; unreadable, oversized or unsupported inputs come out as InputError values."""
    for path in iter_paths(paths):
        if isinstance(path, InputError):
            yield path
            continue
        log.debug("reading %s", path)
        yield from read_path(path, settings)
