"""Publication dates as ISO dates (YYYY-MM-DD), from the many forms feeds, pages and PDFs write them in."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime

__all__ = ["dateline_date", "iso_date", "pdf_date"]

log = logging.getLogger(__name__)

_ISO_PREFIX = re.compile(r"^(\d{4})-(\d{2})-(\d{2})")
_PDF_DATE = re.compile(r"^D?:?(\d{4})(\d{2})?(\d{2})?")
_EARLIEST, _LATEST = 1970, 2100


def _plausible(day: date) -> str | None:
    return day.isoformat() if _EARLIEST <= day.year <= _LATEST else None


def iso_date(value: str | None) -> str | None:
    """``YYYY-MM-DD`` for a parseable date string (ISO-8601, RFC 2822, "March 3, 2024"...), else None."""
    if not value or not value.strip():
        return None
    value = value.strip()
    match = _ISO_PREFIX.match(value)
    if match:
        try:
            return _plausible(date(int(match[1]), int(match[2]), int(match[3])))
        except ValueError:
            return None
    try:
        return _plausible(parsedate_to_datetime(value).date())
    except (TypeError, ValueError, IndexError):
        pass
    # dateparser is slow to import and to warm up: only strings the cheap parsers refused pay for it.
    import dateparser  # type: ignore[import-untyped]

    try:
        parsed: datetime | None = dateparser.parse(
            value, settings={"STRICT_PARSING": True, "RETURN_AS_TIMEZONE_AWARE": False}
        )
    except (ValueError, TypeError, OverflowError, LookupError) as exc:
        log.debug("date %r not parseable: %s", value, exc)
        return None
    return _plausible(parsed.date()) if parsed else None


def pdf_date(value: str | None) -> str | None:
    """``YYYY-MM-DD`` from a PDF date string such as ``D:20240131120000+01'00'``, else None."""
    if not value:
        return None
    match = _PDF_DATE.match(value.strip())
    if not match or not match[2] or not match[3]:
        return None
    try:
        return _plausible(date(int(match[1]), int(match[2]), int(match[3])))
    except ValueError:
        return None


_MONTHS = (
    "January|February|March|April|May|June|July|August|September|October|November|December"
    "|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec"
)
_DATELINE = re.compile(
    rf"\b(?:(\d{{4}}-\d{{2}}-\d{{2}})|((?:{_MONTHS})\.? \d{{1,2}}, \d{{4}})|(\d{{1,2}} (?:{_MONTHS})\.? \d{{4}}))\b"
)
_DATELINE_CUE = re.compile(r"(?i)(?:\b(?:published|posted|updated|dated?)\s*(?:on)?\s*:?|[|,•·—–-])\s*$")


def dateline_date(text: str, head_lines: int = 4) -> str | None:
    """The publication date of a plain-text article from its dateline, when one of its first short lines
    consists of a byline or outlet and a full date ("By Dana Ortiz, Coastal Ledger, published 2024-03-14",
    "*Baltic Cyber Review, 2024-05-02*"). Dates inside the article's sentences are not publication dates."""
    lines = [line.strip() for line in text.splitlines() if line.strip()][:head_lines]
    for line in lines:
        if len(line) > 120:
            continue
        match = _DATELINE.search(line)
        if match is None:
            continue
        before = line[: match.start()]
        if before and not _DATELINE_CUE.search(before):
            continue
        return iso_date(match.group(0))
    return None
