"""Attribution claims as STIX: an ``attributed-to`` relationship per (incident, actor), and per claim an opinion
on it, or a note when the claim names no actor ("NISC has not attributed the incident").

The opinion's ``authors`` and ``created_by_ref`` are the claimant (who holds the opinion), its ``opinion`` the
stance (:data:`~threatledger.export.stix_vocabulary.OPINIONS`), its ``explanation`` the evidence sentence, and its
``object_refs`` the relationship and the source report. The claim extension keeps the exact stance, the citation
and the character offsets, which the STIX vocabulary cannot hold.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from threatledger.export.stix_vocabulary import CLAIM_EXTENSION, OPINIONS, fold, stix_id
from threatledger.model import Document

if TYPE_CHECKING:
    from threatledger.export.stix_collector import Collector

__all__ = ["ClaimContext", "add_claim"]

_ACTOR_KINDS = {"state": ["nation-state"], "criminal-org": ["crime-syndicate"], "person": ["unknown"]}


@dataclass(frozen=True, slots=True)
class ClaimContext:
    """What every claim of one document shares."""

    document: Document
    report: str
    when: str
    added: str
    incidents: list[str]
    organisations: frozenset[str]  # folded names the document knows as organisations (and its publisher)
    report_of: dict[str, str | None]  # document incident id -> ledger incident id in scope


def _claimant(context: ClaimContext, claim: dict[str, Any]) -> tuple[str, str]:
    """The claimant's name and identity class; a claim without one is the article's (its publisher's)."""
    mention = claim.get("claimant") or {}
    name = mention.get("text") or context.document.publisher or "the article"
    if not mention.get("text") and context.document.publisher:
        return name, "organization"
    return name, "organization" if fold(name) in context.organisations else "unknown"


def _actor(
    out: Collector,
    context: ClaimContext,
    claim: dict[str, Any],
    actors: dict[str, tuple[str, str, str | None]],
) -> str | None:
    """The intrusion-set or threat-actor a claim names; None when it names nobody."""
    from threatledger.export.stix import actor_object
    from threatledger.knowledge.countries import country_code

    actor = claim.get("actor") or {}
    kind = actor.get("kind") or "other"
    name = actor.get("canonical") or (actor.get("text") if kind != "other" else None)
    if not name:
        return None
    # the claim's own resolution (canonical) wins over the surface words it was written with
    known = actors.get(fold(name))
    if known is not None:
        stix_type, canonical, country = known
    else:
        stix_type, canonical = "threat-actor", name
        country = country_code(name) if kind == "state" else None
    return actor_object(
        out,
        canonical,
        stix_type,
        country=country,
        kinds=_ACTOR_KINDS.get(kind, ["unknown"]),
        kb_ref=None,
        when=context.when,
        added=context.added,
        report=context.report,
    )


def add_claim(
    out: Collector,
    context: ClaimContext,
    claim: dict[str, Any],
    actors: dict[str, tuple[str, str, str | None]],
) -> None:
    from threatledger.export.stix import identity

    incident = context.report_of.get(claim.get("incident") or "")
    if claim.get("incident") and incident is None:
        return  # the claim is about an incident outside this export
    c = context
    claimant, claimant_class = _claimant(context, claim)
    claimant_ref = identity(out, claimant, claimant_class, c.when, c.added, c.report)
    actor = _actor(out, context, claim, actors)
    stance = claim["stance"]
    evidence = (claim.get("evidence") or {}).get("text", "")
    cites = (claim.get("cites") or {}).get("text")
    actor_data = claim.get("actor") or {}
    extension = {
        "extension_type": "property-extension",
        "claim_id": claim["id"],
        "claimant": claimant,
        "claimant_ref": claimant_ref,
        "actor": actor_data.get("text"),
        "actor_canonical": actor_data.get("canonical"),
        "actor_kind": actor_data.get("kind"),
        "stance": stance,
        "evidence": evidence,
        "evidence_start": (claim.get("evidence") or {}).get("start"),
        "evidence_end": (claim.get("evidence") or {}).get("end"),
        "cites": cites,
        "source_ref": c.report,
        "made_on": c.document.published,
    }
    extensions = {CLAIM_EXTENSION: {k: v for k, v in extension.items() if v is not None}}
    source = c.document.publisher or c.document.url or c.document.id
    citing = f" (citing {cites})" if cites else ""
    explanation = f"{claimant} ({stance}){citing}: \u201c{' '.join(evidence.split())}\u201d \u2014 {source}"
    if c.document.published:
        explanation += f", {c.document.published}"
    if actor is not None and incident is not None and stance in OPINIONS:
        relationship = out.relate(incident, "attributed-to", actor, c.when, c.added, c.report)
        props: dict[str, Any] = {
            "opinion": OPINIONS[stance],
            "explanation": explanation,
            "authors": [claimant],
            "object_refs": [relationship, c.report],
            "created_by_ref": claimant_ref,
            "extensions": extensions,
        }
        out.put("opinion", stix_id("opinion", claim=claim["id"]), props, c.when, c.added, c.report)
        return
    subject = incident or actor
    props = {
        "abstract": f"{claimant}: {stance}"
        + (f" ({actor_data.get('canonical') or actor_data.get('text')})" if actor is not None else ""),
        "content": explanation,
        "authors": [claimant],
        "object_refs": [ref for ref in (subject, c.report) if ref],
        "created_by_ref": claimant_ref,
        "extensions": extensions,
    }
    out.put("note", stix_id("note", claim=claim["id"]), props, c.when, c.added, c.report)
