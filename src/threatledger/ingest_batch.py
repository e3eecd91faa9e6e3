"""Ingesting many items at once: extraction in batches (over several processes), writes in input order.

:func:`threatledger.pipeline.ingest` hands file items here a chunk at a time. A chunk is normalised first; the
documents new to the ledger and to the chunk are extracted together (``Extractors.run_many``: one spaCy ``pipe``
and one batched pass of each model, in ``processes`` worker processes); then each item is admitted and written in
input order exactly as a one-at-a-time ingest would: the duplicate and near-duplicate checks run just before each
write, against a ledger that already holds the chunk's earlier items, so a near-duplicate within a chunk is still
caught (and its extraction, made ahead, is dropped). The ledger is the one a one-at-a-time ingest builds.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

from threatledger.errors import ThreatledgerError
from threatledger.model import Document, Extraction, RawItem

if TYPE_CHECKING:
    from threatledger.pipeline import Clock, Extractors, Outcome
    from threatledger.store import SQLiteStore

__all__ = ["chunks", "ingest_chunk"]

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class _Ready:
    """An item normalised, waiting for its write."""

    item: RawItem
    document: Document
    now: str


def ingest_chunk(
    entries: Sequence[RawItem | ThreatledgerError],
    store: SQLiteStore,
    extractors: Extractors,
    clock: Clock,
    processes: int = 1,
) -> Iterator[Outcome]:
    """Outcomes of the chunk's items, in input order, each yielded once its item is written (or failed)."""
    from threatledger.pipeline import _guarded

    staged: list[_Ready | Outcome] = [_prepare(entry, extractors, clock) for entry in entries]
    ahead = _extract_ahead([s for s in staged if isinstance(s, _Ready)], store, extractors, processes)
    for entry in staged:
        if isinstance(entry, _Ready):
            yield _guarded(entry.item.locator, partial(_write, entry, ahead, store, extractors))
        else:
            yield entry


def _prepare(entry: RawItem | ThreatledgerError, extractors: Extractors, clock: Clock) -> _Ready | Outcome:
    from threatledger.normalise import normalise
    from threatledger.pipeline import Outcome, _guarded

    if isinstance(entry, ThreatledgerError):
        return Outcome(entry.locator or "?", "failed", message=str(entry))
    now = clock().isoformat()
    ready: list[_Ready] = []

    def work() -> Outcome:
        document = normalise(entry, fetched=now)
        ready.append(_Ready(entry, document, now))
        return Outcome(entry.locator, "added")  # a placeholder: the write decides

    outcome = _guarded(entry.locator, work)
    return ready[0] if ready else outcome


def _extract_ahead(
    ready: list[_Ready], store: SQLiteStore, extractors: Extractors, processes: int
) -> dict[str, Extraction]:
    """Findings of the chunk's documents that are new to the ledger and to the chunk, by document id.

    When the batch fails as a whole (an unexpected error in one document), nothing is extracted ahead and each
    document is extracted at its write instead, so the failure stays with its own item.
    """
    todo: dict[str, Document] = {}
    for r in ready:
        # a document too long to extract fails at its write, after the duplicate checks, as one at a time
        if (
            r.document.id not in todo
            and extractors.accepts(r.document)
            and store.find_duplicate(r.document) is None
        ):
            todo[r.document.id] = r.document
    if not todo:
        return {}
    try:
        found = extractors.run_many(list(todo.values()), n_process=processes)
        return {e.doc_id: e for e in found}
    except Exception:  # isolated per item below (STYLE rule 5)
        log.warning(
            "batched extraction failed; extracting the %d documents one at a time", len(todo), exc_info=True
        )
        return {}


def _write(
    ready: _Ready, ahead: dict[str, Extraction], store: SQLiteStore, extractors: Extractors
) -> Outcome:
    from threatledger.pipeline import admit, write_new

    document = ready.document
    skipped, sig = admit(document, ready.item.locator, ready.item.url, store, ready.now)
    if skipped is not None:
        return skipped
    extractors.check(document)
    extraction = ahead.get(document.id) or extractors.run(document)
    return write_new(document, extraction, sig, ready.item.locator, store, ready.now)


def chunks(
    items: Iterator[RawItem | ThreatledgerError], size: int, max_bytes: int = 64 * 1024 * 1024
) -> Iterator[list[RawItem | ThreatledgerError]]:
    """The items in lists of at most ``size`` items and about ``max_bytes`` of content (a list closes once it
    reaches either), so a folder of large files is not all held in memory at once."""
    chunk: list[RawItem | ThreatledgerError] = []
    held = 0
    for item in items:
        chunk.append(item)
        held += len(item.content) if isinstance(item, RawItem) else 0
        if len(chunk) >= size or held >= max_bytes:
            yield chunk
            chunk, held = [], 0
    if chunk:
        yield chunk
