"""Publication dates as ISO dates (YYYY-MM-DD), from the many forms feeds, pages and PDFs write them in."""

from __future__ import annotations

import logging
import re
from datetime import date, datetime
from email.utils import parsedate_to_datetime

__all__ = ["iso_date", "pdf_date"]

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
