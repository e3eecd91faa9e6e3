"""The exception tree of threatledger.

    ThreatledgerError            base of everything the library raises on purpose
    ├── InputError               a document, file or item is bad (unreadable, empty, too large, wrong type)
    │   └── ExtractionError      an extractor could not process a document
    ├── SourceError              a source could not be fetched (timeout, HTTP status, refused address)
    │   └── UnsafeURLError       a URL points at a loopback, private or link-local address
    ├── StoreError               the ledger could not be opened, migrated or written
    ├── KnowledgeError           the knowledge base could not be loaded or updated
    ├── ExportError              an export or import could not be produced or read
    └── ConfigError              a setting is missing or invalid

Every message names the thing that failed and, where one exists, the fix.
"""

from __future__ import annotations

__all__ = [
    "ConfigError",
    "ExportError",
    "ExtractionError",
    "InputError",
    "KnowledgeError",
    "SourceError",
    "StoreError",
    "ThreatledgerError",
    "UnsafeURLError",
]


class ThreatledgerError(Exception):
    """Base class: carries the offending locator (file, URL, id) when there is one."""

    def __init__(self, message: str, *, locator: str | None = None) -> None:
        super().__init__(message)
        self.locator = locator

    def __str__(self) -> str:
        message = super().__str__()
        return f"{self.locator}: {message}" if self.locator else message


class InputError(ThreatledgerError):
    """A document or input item is unusable."""


class ExtractionError(InputError):
    """An extractor failed on one document."""


class SourceError(ThreatledgerError):
    """A source could not be fetched."""


class UnsafeURLError(SourceError):
    """A URL resolves to an address threatledger refuses to fetch without --allow-private."""


class StoreError(ThreatledgerError):
    """The ledger could not be opened, migrated or written."""


class KnowledgeError(ThreatledgerError):
    """The knowledge base could not be loaded or refreshed."""


class ExportError(ThreatledgerError):
    """An export or import failed."""


class ConfigError(ThreatledgerError):
    """A setting is missing or invalid."""
