"""PDF to text with pypdf: encrypted, broken and image-only PDFs become InputError, long ones are capped."""

from __future__ import annotations

import io
import logging
import zlib
from dataclasses import dataclass
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, PyPdfError

from threatledger.errors import InputError
from threatledger.normalise.dates import pdf_date

__all__ = ["MAX_PAGES", "PdfText", "extract_pdf"]

log = logging.getLogger(__name__)

MAX_PAGES = 2000
# pypdf raises its own errors for most damage, and plain ones from deep inside for the rest.
_PDF_ERRORS: tuple[type[BaseException], ...] = (
    PyPdfError,
    DependencyError,
    ValueError,
    TypeError,
    LookupError,
    AttributeError,
    RecursionError,
    AssertionError,
    zlib.error,
    OSError,
)


@dataclass(frozen=True, slots=True)
class PdfText:
    """The text of a PDF, its metadata, and how many pages were read."""

    text: str
    pages: int  # pages in the file
    pages_read: int  # at most the page cap
    title: str | None = None
    author: str | None = None
    published: str | None = None  # YYYY-MM-DD from the creation date

    @property
    def truncated(self) -> bool:
        return self.pages_read < self.pages


def _open(data: bytes, locator: str) -> PdfReader:
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            try:
                outcome = reader.decrypt("")
            except DependencyError as exc:
                raise InputError(
                    "PDF is AES-encrypted and decrypting it needs the 'cryptography' package; "
                    "install it (pip install cryptography) or supply an unencrypted copy",
                    locator=locator,
                ) from exc
            if outcome == PasswordType.NOT_DECRYPTED:
                raise InputError(
                    "PDF is encrypted with a password; supply an unencrypted copy", locator=locator
                )
        len(reader.pages)  # reads the page tree now, so damage there is reported as a broken PDF
    except _PDF_ERRORS as exc:
        raise InputError(
            f"broken PDF ({type(exc).__name__}: {exc}); check the file is complete", locator=locator
        ) from exc
    return reader


def _metadata(reader: PdfReader, locator: str) -> tuple[str | None, str | None, str | None]:
    try:
        info: Any = reader.metadata
        if info is None:
            return None, None, None
        title = str(info.get("/Title") or "").strip() or None
        author = str(info.get("/Author") or "").strip() or None
        created = pdf_date(str(info.get("/CreationDate") or ""))
    except _PDF_ERRORS as exc:
        log.warning("%s: PDF metadata unreadable (%s); text kept without it", locator, exc)
        return None, None, None
    return title, author, created


def extract_pdf(data: bytes, locator: str, max_pages: int = MAX_PAGES) -> PdfText:
    """Text of the first ``max_pages`` pages, pages separated by a blank line.

    Raises InputError for encrypted PDFs that the empty password does not open, damaged files, and PDFs with no
    extractable text (scans without OCR).
    """
    reader = _open(data, locator)
    total = len(reader.pages)
    count = min(total, max_pages)
    if total > max_pages:
        log.warning("%s: PDF has %d pages; only the first %d are read", locator, total, max_pages)
    texts: list[str] = []
    failed = 0
    for number in range(count):
        try:
            page_text = reader.pages[number].extract_text()
        except _PDF_ERRORS as exc:
            failed += 1
            log.warning("%s: page %d unreadable (%s); skipped", locator, number + 1, exc)
            continue
        if page_text and page_text.strip():
            texts.append(page_text.strip())
    if not texts:
        reason = f"{failed} of {count} pages unreadable" if failed else "it may be a scan without OCR"
        raise InputError(
            f"PDF has no extractable text ({reason}); run OCR on it or supply a text version",
            locator=locator,
        )
    title, author, published = _metadata(reader, locator)
    return PdfText(
        text="\n\n".join(texts),
        pages=total,
        pages_read=count,
        title=title,
        author=author,
        published=published,
    )
