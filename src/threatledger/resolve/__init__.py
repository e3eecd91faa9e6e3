"""Resolution: how a new document relates to what the ledger already holds. Reads the store, never writes.

``plan(document, extraction, store)`` decides, before the write, whether the document is a near-duplicate of a
stored one and which ledger incident each of its incidents belongs to; the store applies the plan in the same
transaction as the document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from threatledger.model import Document, Extraction, Incident
from threatledger.resolve.incidents import Candidate, best_match, candidate_from_record, victim_key
from threatledger.resolve.near_duplicates import THRESHOLD, Signature, band_keys, signature, similarity
from threatledger.store.base import Resolution

if TYPE_CHECKING:
    from threatledger.store import SQLiteStore

__all__ = ["near_duplicate", "plan"]


def near_duplicate(document: Document, store: SQLiteStore) -> tuple[Signature, str | None]:
    """The document's signature, and the stored document it nearly duplicates (best match), if any."""
    sig = signature(document.text)
    best: tuple[float, str] | None = None
    for doc_id, blob in store.near_duplicate_candidates(band_keys(sig)):
        score = similarity(sig, Signature.from_bytes(blob))
        if score >= THRESHOLD and (best is None or (score, doc_id) > best):
            best = (score, doc_id)
    return sig, best[1] if best else None


def _names_of(entity_id: str | None, extraction: Extraction) -> tuple[str, ...]:
    for entity in extraction.entities:
        if entity.id == entity_id:
            return (entity.name, entity.canonical, *entity.aliases, *(m.text for m in entity.mentions))
    return ()


def _iocs(extraction: Extraction) -> tuple[str, ...]:
    values = {i.value for i in extraction.indicators if not i.benign}
    return tuple(sorted(values))


def _new_candidate(document: Document, incident: Incident, extraction: Extraction) -> Candidate:
    names = tuple(n for v in incident.victims for n in _names_of(v.entity, extraction))
    actors = {a for a in incident.attackers}
    actors.update(
        c.actor.canonical or c.actor.text
        for c in extraction.claims
        if c.incident == incident.id and c.stance not in {"denied", "not-attributed"}
    )
    dates = [p.value for p in incident.timeline.values()]
    if document.published:
        dates.append(document.published[:10])
    return Candidate(
        id=incident.id,
        type=incident.type,
        victims=tuple(v.name for v in incident.victims),
        victim_entities=tuple(v.entity for v in incident.victims if v.entity),
        acronyms=names,
        actors=tuple(sorted(actors)),
        indicators=_iocs(extraction),
        dates=tuple(dates),
        title=incident.title,
    )


def _stored_candidate(record: dict[str, Any]) -> Candidate:
    victims: list[str] = []
    entities: list[str] = []
    actors: list[str] = []
    dates: list[str] = []
    types: list[str] = []
    for report in record["reports"]:
        c = candidate_from_record(report["report_id"], report["data"], [report["published"] or ""])
        victims += c.victims
        entities += c.victim_entities
        actors += c.actors
        dates += [d for d in c.dates if d]
        types.append(c.type)
    keys = record.get("keys", [])
    return Candidate(
        id=record["id"],
        type=record.get("type") or (types[0] if types else ""),
        victims=tuple(victims),
        victim_entities=tuple(entities),
        acronyms=tuple(k for k in keys if not k.startswith("ioc:")),
        actors=tuple(actors),
        indicators=tuple(k[4:] for k in keys if k.startswith("ioc:")),
        dates=tuple(dates),
        title=record.get("title", ""),
    )


def _name_keys(name: str) -> set[str]:
    """Lookup keys of a victim name: the folded name and its runs of words, so "Harbor Valley" finds
    "Harbor Valley Water Authority" as a candidate (the matcher then decides)."""
    words = victim_key(name).split()
    keys = {" ".join(words)} if words else set()
    for size in range(1, len(words)):
        for i in range(len(words) - size + 1):
            run = " ".join(words[i : i + size])
            if len(run) >= 5:
                keys.add(run)
    return keys


def plan(
    document: Document, extraction: Extraction, store: SQLiteStore, sig: Signature | None = None
) -> Resolution:
    """Links of the document's incidents to ledger incidents, with lookup keys and the signature to store."""
    sig = sig or signature(document.text)
    links: dict[str, str] = {}
    decisions: dict[str, tuple[float, tuple[str, ...]]] = {}
    keys: dict[str, tuple[str, ...]] = {}
    for incident in extraction.incidents:
        new = _new_candidate(document, incident, extraction)
        incident_keys = {k for n in (*new.victims, *new.acronyms) for k in _name_keys(n)}
        incident_keys |= {f"ioc:{v}" for v in new.indicators}
        keys[incident.id] = tuple(sorted(incident_keys))
        existing = [_stored_candidate(r) for r in store.incident_candidates(keys[incident.id])]
        match = best_match(new, existing)
        if match is not None:
            links[incident.id] = match.incident_id
            decisions[incident.id] = (match.score, match.reasons)
    return Resolution(
        signature=sig.to_bytes(),
        band_keys=tuple(band_keys(sig)),
        links=links,
        decisions=decisions,
        keys=keys,
    )
