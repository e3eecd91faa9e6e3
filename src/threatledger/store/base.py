"""The store contract: what every backend (SQLite, PostgreSQL) provides.

The store is the only code that speaks SQL. Writes of one document's results happen in one transaction, so a
crash leaves either all of a document or none of it. Backends pass the same contract tests
(``tests/store/test_contract.py``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

from threatledger.model import Document, Extraction

__all__ = ["DocumentRow", "FeedRow", "Resolution", "SaveResult", "SearchHit", "Store"]


@dataclass(frozen=True, slots=True)
class SaveResult:
    status: str  # added | duplicate | near-duplicate
    doc_id: str
    duplicate_of: str | None = None
    reason: str | None = None  # same-content | same-url


@dataclass(frozen=True, slots=True)
class Resolution:
    """How a new document relates to the ledger, decided before it is written (see ``threatledger.resolve``)."""

    signature: bytes | None = None  # MinHash signature of the text
    band_keys: tuple[str, ...] = ()  # LSH keys for near-duplicate lookups
    near_duplicate_of: str | None = None  # set: stored as a sighting of that document, not as new reporting
    links: dict[str, str] = field(default_factory=dict)  # document incident id -> ledger incident id
    decisions: dict[str, tuple[float, tuple[str, ...]]] = field(
        default_factory=dict
    )  # auto-merge score, reasons
    keys: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # incident id -> lookup keys (victims, IOCs)


@dataclass(frozen=True, slots=True)
class DocumentRow:
    id: str
    title: str | None
    url: str | None
    canonical_url: str | None
    publisher: str | None
    published: str | None
    fetched: str | None
    source: str | None
    sightings: int


@dataclass(frozen=True, slots=True)
class SearchHit:
    doc_id: str
    title: str | None
    url: str | None
    published: str | None
    snippet: str
    rank: float


@dataclass(frozen=True, slots=True)
class FeedRow:
    url: str
    title: str | None
    etag: str | None
    modified: str | None
    added: str
    last_polled: str | None
    last_status: str | None
    items: int


class Store(Protocol):
    """A ledger backend."""

    def close(self) -> None: ...

    # documents
    def find_duplicate(self, document: Document) -> SaveResult | None: ...
    def save_document(
        self, document: Document, extraction: Extraction | None, seen_at: str
    ) -> SaveResult: ...
    def add_sighting(self, doc_id: str, locator: str, url: str | None, seen_at: str, kind: str) -> None: ...
    def get_document(self, doc_id: str) -> Document | None: ...
    def get_extraction(self, doc_id: str) -> dict[str, Any] | None: ...
    def list_documents(
        self, since: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[DocumentRow]: ...
    def count_documents(self) -> int: ...
    def search(self, query: str, limit: int = 20, offset: int = 0) -> list[SearchHit]: ...
    def sightings(self, doc_id: str) -> list[dict[str, Any]]: ...

    # feeds
    def add_feed(self, url: str, added: str) -> bool: ...
    def list_feeds(self) -> list[FeedRow]: ...
    def update_feed(
        self, url: str, *, polled: str, status: str, etag: str | None, modified: str | None, title: str | None
    ) -> None: ...
    def feed_seen(self, feed_url: str, guid: str) -> bool: ...
    def mark_feed_item(self, feed_url: str, guid: str, doc_id: str | None, seen_at: str) -> None: ...

    # knowledge found in documents
    def entities(
        self, type: str | None = None, name: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]: ...
    def entity_mentions(self, entity_id: str, limit: int = 100) -> list[dict[str, Any]]: ...
    def incidents(
        self, filters: dict[str, Any] | None = None, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]: ...
    def incident(self, incident_id: str) -> dict[str, Any] | None: ...
    def claims(self, incident_id: str | None = None, doc_id: str | None = None) -> list[dict[str, Any]]: ...
    def indicators(
        self, value: str | None = None, type: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]: ...
