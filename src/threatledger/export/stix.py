"""The ledger as a STIX 2.1 bundle, built with the ``stix2`` library.

    export_stix(store)                          # everything
    export_stix(store, incident_id="incident--...")   # one incident and the documents that report it
    export_stix(store, since="2024-01-01")     # documents published (or fetched) on or after a date

What becomes what:

    document            report (external reference with its URL, ``published``), object_refs = what it yields
    ledger incident     incident + property-extension with the derived timeline and dwell time
    victim              identity (organization) --located-at--> location;  incident --targets--> identity
    claimant, publisher identity
    country             location (ISO 3166-1 alpha-2)
    threat actor        intrusion-set when the knowledge base knows it, else threat-actor
    malware, tool       malware, tool;  incident --uses--> malware / tool / attack-pattern
    technique           attack-pattern with its ATT&CK id
    CVE                 vulnerability (cve external reference);  incident --related-to--> vulnerability
    indicator           observable + indicator (STIX pattern) --based-on--> observable, --indicates--> incident;
                        benign values are left out (see :mod:`threatledger.export.stix_indicators`)
    attribution claim   incident --attributed-to--> actor, and per claim an opinion on that relationship (author:
                        the claimant; opinion: the stance) or, without a named actor, a note on the incident;
                        both carry the claim extension (claimant, stance, evidence, cites, source report)

Ids are uuid5 over identity properties and timestamps come from the ledger, so the same ledger exports the same
bundle byte for byte (:func:`bundle_json`). Who claims what is never flattened: the ``attributed-to`` relationship
only says that somebody made the attribution; the opinions say who, how firmly, and where.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from stix2 import v21

from threatledger.errors import ExportError
from threatledger.export.stix_claims import ClaimContext, add_claim
from threatledger.export.stix_collector import Collector
from threatledger.export.stix_indicators import indicator_shape
from threatledger.export.stix_vocabulary import (
    TIMELINE_EXTENSION,
    fold,
    kb_reference,
    stamp,
    stix_id,
    stix_sector,
)
from threatledger.export.vulnerabilities import affected
from threatledger.model import Document

if TYPE_CHECKING:
    from threatledger.store import SQLiteStore

__all__ = ["StixExport", "bundle_json", "collect_stix", "export_stix"]

log = logging.getLogger(__name__)
_PAGE = 500


@dataclass(frozen=True, slots=True)
class StixExport:
    """Serialised STIX objects in a stable order, and when each entered the ledger (for TAXII ``date_added``)."""

    objects: tuple[dict[str, Any], ...]
    date_added: dict[str, str]

    def bundle(self) -> dict[str, Any]:
        versions = [[o["id"], o.get("modified", "")] for o in self.objects]
        bundle = v21.Bundle(id=stix_id("bundle", objects=versions), objects=list(self.objects))
        data: dict[str, Any] = json.loads(bundle.serialize())
        return data


def bundle_json(bundle: dict[str, Any]) -> str:
    """The bundle as written to a file: pretty, keys sorted, one trailing newline."""
    return json.dumps(bundle, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def export_stix(
    store: SQLiteStore, incident_id: str | None = None, since: str | None = None, *, with_text: bool = False
) -> dict[str, Any]:
    """A STIX 2.1 bundle (as a dict) of the whole ledger, one incident, or the documents since a date.

    ``with_text`` puts each document's text in its report's ``description`` (off by default: articles are
    usually copyrighted, and the URL is in the report's external reference).
    """
    return collect_stix(store, incident_id, since, with_text=with_text).bundle()


def _documents(
    store: SQLiteStore, incident_id: str | None, since: str | None
) -> tuple[list[Document], str | None]:
    if incident_id:
        record = store.incident(incident_id)
        if record is None:
            raise ExportError(f"no incident {incident_id!r}; `threatledger incidents` lists the ids")
        ids = sorted({r["doc_id"] for r in record["reports"]})
        chosen: str | None = record["id"]
    else:
        ids, offset, chosen = [], 0, None
        while True:
            rows = store.list_documents(since=since, limit=_PAGE, offset=offset)
            ids.extend(r.id for r in rows)
            if len(rows) < _PAGE:
                break
            offset += _PAGE
    documents = [d for d in (store.get_document(i) for i in ids) if d is not None]
    documents.sort(key=lambda d: (d.published or d.fetched or "", d.id))
    return documents, chosen


def collect_stix(
    store: SQLiteStore, incident_id: str | None = None, since: str | None = None, *, with_text: bool = False
) -> StixExport:
    """The objects of :func:`export_stix` before they are wrapped in a bundle."""
    documents, only = _documents(store, incident_id, since)
    extractions = {d.id: store.get_extraction(d.id) or {} for d in documents}
    out = Collector()
    actors = _actor_index(extractions)
    incidents: dict[str, dict[str, Any]] = {}  # ledger incident id -> store record
    report_of: dict[str, str | None] = {}  # document incident (report) id -> ledger incident id
    for document in documents:
        data = extractions[document.id]
        for report in data.get("incidents", []):
            if report["id"] in report_of:
                continue
            record = store.incident(report["id"])
            ledger_id = record["id"] if record else None
            if only is not None and ledger_id != only:
                ledger_id = None
            report_of[report["id"]] = ledger_id
            if record is not None and ledger_id is not None:
                incidents.setdefault(ledger_id, record)
    for document in documents:
        _add_document(out, document, extractions[document.id], actors, report_of, with_text)
    for ledger_id in sorted(incidents):
        _add_incident(out, incidents[ledger_id])
    return out.finish()


def _actor_index(extractions: dict[str, dict[str, Any]]) -> dict[str, tuple[str, str, str | None]]:
    """Every name of every threat actor in scope -> (STIX type, canonical name, country).

    An actor the knowledge base knows (it has a ``kb_ref``) is an intrusion-set; a description such as "Chinese
    state-backed hackers" is a threat-actor. Built before any object so the choice does not depend on order.
    """
    known: dict[str, bool] = {}
    names: dict[str, str] = {}
    countries: dict[str, str | None] = {}
    for data in extractions.values():
        for entity in data.get("entities", []):
            if entity.get("type") != "threat-actor":
                continue
            canonical = entity["canonical"]
            key = fold(canonical)
            known[key] = known.get(key, False) or bool(entity.get("kb_ref"))
            countries[key] = countries.get(key) or entity.get("country")
            for name in (canonical, entity.get("name", ""), *entity.get("aliases", [])):
                if name:
                    names.setdefault(fold(name), canonical)
    return {
        name: (
            "intrusion-set" if known[fold(canonical)] else "threat-actor",
            canonical,
            countries[fold(canonical)],
        )
        for name, canonical in names.items()
    }


def actor_object(
    out: Collector,
    name: str,
    stix_type: str,
    *,
    country: str | None,
    kinds: list[str],
    kb_ref: str | None,
    when: str,
    added: str,
    report: str,
) -> str:
    """An intrusion-set or threat-actor, located in (or originating from) its country when one is known."""
    object_id = stix_id(stix_type, name=fold(name))
    props: dict[str, Any] = {"name": name}
    if stix_type == "threat-actor":
        props["threat_actor_types"] = kinds or ["unknown"]
    reference = kb_reference(kb_ref)
    if reference:
        props["external_references"] = [reference]
    out.put(stix_type, object_id, props, when, added, report)
    if country:
        place = location(out, country, when, added, report)
        kind = "located-at" if stix_type == "threat-actor" else "originates-from"
        out.relate(object_id, kind, place, when, added, report)
    return object_id


def location(out: Collector, code: str, when: str, added: str, report: str) -> str:
    from threatledger.knowledge.countries import country_name

    code = code.upper()
    object_id = stix_id("location", country=code)
    out.put("location", object_id, {"name": country_name(code), "country": code}, when, added, report)
    return object_id


def identity(
    out: Collector,
    name: str,
    identity_class: str,
    when: str,
    added: str,
    report: str,
    *,
    sector: str | None = None,
    country: str | None = None,
) -> str:
    """One identity per name (folded): a victim that is also a claimant and a publisher is one object."""
    object_id = stix_id("identity", name=fold(name))
    props: dict[str, Any] = {"name": name, "identity_class": identity_class}
    mapped = stix_sector(sector)
    if mapped:
        props["sectors"] = [mapped]
    out.put("identity", object_id, props, when, added, report)
    if country and len(country) == 2:
        out.relate(object_id, "located-at", location(out, country, when, added, report), when, added, report)
    return object_id


def _add_document(
    out: Collector,
    document: Document,
    data: dict[str, Any],
    actors: dict[str, tuple[str, str, str | None]],
    report_of: dict[str, str | None],
    with_text: bool,
) -> None:
    when = stamp(document.published or document.fetched)
    added = stamp(document.fetched or document.published)
    report = stix_id("report", document=document.id)
    incidents = sorted({i for r in data.get("incidents", []) if (i := report_of.get(r["id"]))})
    for incident in incidents:
        out.touch(incident, added, report)
    organisations: set[str] = set()
    if document.publisher:
        identity(out, document.publisher, "organization", when, added, report)
        organisations.add(fold(document.publisher))
    used: list[str] = []
    for entity in data.get("entities", []):
        kind, canonical = entity.get("type"), entity["canonical"]
        if kind == "threat-actor":
            stix_type, _, country = actors[fold(canonical)]
            actor_object(
                out,
                canonical,
                stix_type,
                country=country,
                kinds=[],
                kb_ref=entity.get("kb_ref"),
                when=when,
                added=added,
                report=report,
            )
        elif kind in {"malware", "tool"}:
            object_id = stix_id(kind, name=fold(canonical))
            props: dict[str, Any] = {"name": canonical}
            if kind == "malware":
                props |= {"is_family": True, "malware_types": ["unknown"]}
            else:
                props["tool_types"] = ["unknown"]
            reference = kb_reference(entity.get("kb_ref"))
            if reference:
                props["external_references"] = [reference]
            out.put(kind, object_id, props, when, added, report)
            used.append(object_id)
        elif kind == "country":
            code = entity.get("country") or (entity.get("kb_ref") or "").removeprefix("iso:")
            if len(code) == 2:
                location(out, code, when, added, report)
        elif kind == "organization":
            identity(out, canonical, "organization", when, added, report, country=entity.get("country"))
            organisations.add(fold(canonical))
    for technique in data.get("techniques", []):
        object_id = stix_id("attack-pattern", attack_id=technique["id"])
        reference = kb_reference(f"attack:{technique['id']}")
        props = {"name": technique["name"], "external_references": [reference]}
        out.put("attack-pattern", object_id, props, when, added, report)
        used.append(object_id)
    for object_id in used:
        for incident in incidents:
            out.relate(incident, "uses", object_id, when, added, report)
    _add_indicators(out, data, incidents, document.publisher, when, added, report)
    context = ClaimContext(document, report, when, added, incidents, frozenset(organisations), report_of)
    for claim in data.get("claims", []):
        add_claim(out, context, claim, actors)
    out.put(
        "report",
        report,
        {
            "name": document.title or document.url or document.id,
            "published": when,
            "report_types": ["threat-report"],
            "description": document.text if with_text else None,
            "lang": document.language,
            "external_references": _references(document),
        },
        when,
        added,
        None,
    )


def _references(document: Document) -> list[dict[str, str]]:
    refs: list[dict[str, str]] = []
    if document.url:
        ref = {"source_name": document.publisher or "source", "url": document.url}
        if document.title:
            ref["description"] = document.title
        refs.append(ref)
    refs.append({"source_name": "threatledger", "external_id": document.id})
    return refs


def _add_indicators(
    out: Collector,
    data: dict[str, Any],
    incidents: list[str],
    publisher: str | None,
    when: str,
    added: str,
    report: str,
) -> None:
    for found in data.get("indicators", []):
        type_, value = found["type"], found["value"]
        if found.get("benign"):
            continue
        if type_ == "cve":
            cve = value.upper()
            object_id = stix_id("vulnerability", name=cve)
            props = {"name": cve, "external_references": [{"source_name": "cve", "external_id": cve}]}
            product = affected(data.get("vulnerabilities", []), cve)
            if product:
                props["description"] = f"Affects {product}, as {publisher or 'the source'} reports"
            out.put("vulnerability", object_id, props, when, added, report)
            for incident in incidents:
                out.relate(incident, "related-to", object_id, when, added, report)
            continue
        shape = indicator_shape(type_, value)
        if shape is None:
            log.debug("no STIX form for %s indicator %r", type_, value)
            continue
        observable = out.observable(shape.observable, added, report)
        object_id = stix_id("indicator", pattern=shape.pattern)
        source = publisher or "the source"
        props = {
            "name": value,
            "description": f"{type_} reported by {source}, written as {found.get('text') or value!r}",
            "pattern": shape.pattern,
            "pattern_type": "stix",
            "valid_from": when,
            "indicator_types": ["malicious-activity"],
        }
        out.put("indicator", object_id, props, when, added, report)
        out.relate(object_id, "based-on", observable, when, added, report)
        for incident in incidents:
            out.relate(object_id, "indicates", incident, when, added, report)


def _add_incident(out: Collector, record: dict[str, Any]) -> None:
    from threatledger.resolve.summary import summarise

    summary = summarise(record["reports"], record["claims"])
    created = stamp(record.get("first_reported"))
    modified = max(created, stamp(record.get("last_reported")))
    incident = record["id"]
    timeline: dict[str, Any] = {}
    for name in ("compromised", "discovered", "disclosed", "reported"):
        point = summary["timeline"].get(name)
        if not point:
            continue
        entry = {
            "value": point["value"],
            "granularity": point.get("granularity") or "day",
            "evidence": (point.get("evidence") or {}).get("text"),
            "source_ref": stix_id("report", document=point["source"]["doc_id"]),
            "sources": point.get("sources"),
        }
        timeline[name] = {k: v for k, v in entry.items() if v is not None}
    extension: dict[str, Any] = {
        "extension_type": "property-extension",
        "incident_type": record["type"],
        "timeline": timeline,
    }
    if summary["dwell"]:
        extension["dwell_days"] = int(summary["dwell"]["days"])
        extension["dwell_basis"] = summary["dwell"]["from"]
    if summary["disagreements"]:
        extension["disagreements"] = {
            name: [v["value"] for v in values] for name, values in sorted(summary["disagreements"].items())
        }
    victims = summary["victims"]
    described = "; ".join(
        f"{v['name']} ({', '.join(x for x in (v.get('country'), v.get('sector')) if x)})" for v in victims
    )
    props = {
        "name": record["title"],
        "description": f"Victims: {described}." if described else None,
        "extensions": {TIMELINE_EXTENSION: extension},
    }
    added = out.added_of(incident) or created
    out.put("incident", incident, props, created, added, None, exact=(created, modified))
    for report in out.reports_of(incident):
        for victim in victims:
            target = identity(
                out,
                victim["name"],
                "organization",
                created,
                added,
                report,
                sector=victim.get("sector"),
                country=victim.get("country"),
            )
            out.relate(incident, "targets", target, created, added, report)
