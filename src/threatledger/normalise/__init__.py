"""RawItem -> Document: pure functions, no I/O.

The kind of content is decided by, in order: the ``%PDF-`` signature, the declared content type, the suffix of the
locator or URL, and a look at the first bytes (``<html``, ``<!doctype html``, ``<?xml``). HTML goes through
trafilatura, PDF through pypdf, everything else is decoded as plain text.

Metadata found in the content (HTML meta tags, PDF info) wins; hints carried by the RawItem (feed or JSON title,
date, author, publisher) fill the gaps. ``language`` is the page's declared ``lang`` when there is one, else a
function-word heuristic for a few European languages, else None (undetermined, not assumed English).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import PurePosixPath
from urllib.parse import urlsplit

from threatledger.errors import InputError
from threatledger.ids import make_id, text_sha256
from threatledger.model import Document, RawItem
from threatledger.normalise.dates import dateline_date, iso_date
from threatledger.normalise.html import extract_html
from threatledger.normalise.pdf import extract_pdf
from threatledger.normalise.text import clean_text, declared_charset, decode_bytes, guess_language
from threatledger.normalise.urls import canonical_url

__all__ = ["canonical_url", "content_kind", "normalise"]

log = logging.getLogger(__name__)

_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_XML_TYPES = {
    "application/xml",
    "text/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/rdf+xml",
}
_PDF_TYPES = {"application/pdf", "application/x-pdf"}
_TEXT_TYPES = {"text/plain", "text/markdown", "text/x-markdown"}
_SUFFIXES = {
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".pdf": "pdf",
    ".txt": "text",
    ".md": "text",
    ".markdown": "text",
}
_HTML_START = re.compile(rb"<!doctype\s+html|<html[\s>]|<head[\s>]|<body[\s>]", re.IGNORECASE)
_FEED_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF)[\s>]", re.IGNORECASE)
_MAX_TITLE = 200
_TITLE_LINES = 5
_CAPTION = re.compile(r"(?:image|photo|picture|credit|source|illustration)s?\s*:", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class _Content:
    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None
    canonical_url: str | None = None
    publisher: str | None = None
    language: str | None = None


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _suffix(item: RawItem) -> str | None:
    for where in (item.locator.split("#", 1)[0], urlsplit(item.url).path if item.url else ""):
        kind = _SUFFIXES.get(PurePosixPath(where).suffix.lower())
        if kind:
            return kind
    return None


def _head(content: bytes) -> bytes:
    """The first 2 KB as ASCII-compatible bytes (UTF-16 NULs dropped), for sniffing."""
    head = content[:2048]
    return head.replace(b"\x00", b"") if head.count(0) > len(head) // 4 else head


def content_kind(item: RawItem) -> str:
    """'pdf', 'html', 'feed' or 'text': how ``item.content`` will be read."""
    head = _head(item.content)
    if b"%PDF-" in head[:1024]:
        return "pdf"
    media = _media_type(item.content_type)
    if media in _PDF_TYPES:
        return "pdf"
    if media in _HTML_TYPES:
        return "html"
    if media in _XML_TYPES:
        return "html" if _HTML_START.search(head) else "feed"
    by_suffix = _suffix(item)
    if by_suffix:
        return by_suffix
    if media in _TEXT_TYPES:
        return "text"
    if _HTML_START.search(head[:1024]):
        return "html"
    if head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<?xml"):
        return "feed" if _FEED_ROOT.search(head) else "html"
    return "text"


def _text_title(text: str) -> str | None:
    """A headline guess for plain text: the first of the opening lines that reads like one.

    Scraped articles often open with page debris (an image alt text, a photo credit), so lines of fewer than
    four words and caption lines are passed over.
    """
    lines = [line.strip().lstrip("#").strip() for line in text[:4000].split("\n")]
    for line in [line for line in lines if line][:_TITLE_LINES]:
        if len(line) <= _MAX_TITLE and len(line.split()) >= 4 and not _CAPTION.match(line):
            return line
    return None


def _read(item: RawItem, kind: str) -> _Content:
    if kind == "pdf":
        pdf = extract_pdf(item.content, item.locator)
        text = clean_text(pdf.text)
        return _Content(text=text, title=pdf.title, author=pdf.author, published=pdf.published)
    if kind == "feed":
        raise InputError(
            "this is an RSS/Atom feed, not an article; add it as a feed so that its entries are fetched",
            locator=item.locator,
        )
    charset = declared_charset(item.content_type, item.content if kind == "html" else None)
    decoded = clean_text(decode_bytes(item.content, item.locator, charset))
    if kind == "html":
        page = extract_html(decoded, item.locator, item.url)
        return _Content(
            text=clean_text(page.text),
            title=page.title,
            author=page.author,
            published=page.published,
            canonical_url=page.canonical_url,
            publisher=page.publisher,
            language=page.language,
        )
    return _Content(text=decoded)


def normalise(item: RawItem, fetched: str) -> Document:
    """A Document from one RawItem; ``fetched`` is the ISO-8601 time of reading, from the injected clock.

    Raises InputError for binary, empty, encrypted, broken or article-less content.
    """
    kind = content_kind(item)
    log.debug("%s: reading as %s", item.locator, kind)
    content = _read(item, kind)
    if not content.text.strip():
        raise InputError("empty document: no text after normalisation", locator=item.locator)
    sha = text_sha256(content.text)
    canonical_source = content.canonical_url or item.url
    return Document(
        id=make_id("document", sha256=sha),
        text=content.text,
        sha256=sha,
        url=item.url,
        canonical_url=canonical_url(canonical_source) if canonical_source else None,
        # A plain-text file's first line is only a guess at its headline: any declared title beats it.
        title=content.title
        or _clean_hint(item.title)
        or (_text_title(content.text) if kind == "text" else None),
        publisher=_publisher(content.publisher, item),
        author=content.author or _clean_hint(item.author),
        published=content.published
        or iso_date(item.published)
        or (dateline_date(content.text) if kind in {"text", "pdf"} else None),
        fetched=fetched,
        language=content.language or guess_language(content.text),
        source=item.locator,
        source_kind=item.source_kind,
    )


def _publisher(found: str | None, item: RawItem) -> str | None:
    """The page's site name, unless it is only the host name guessed from the URL and a hint names the source."""
    hint = _clean_hint(item.publisher)
    if found and hint and item.url:
        host = (urlsplit(item.url).hostname or "").removeprefix("www.")
        if found.lower().removeprefix("www.") == host:
            return hint
    return found or hint


def _clean_hint(value: str | None) -> str | None:
    return value.strip() or None if value else None
