"""Ledger incidents as MISP events (MISP's JSON format, as ``/events/restSearch`` returns it).

One event per incident, its uuid the uuid of the incident id (the STIX incident has the same one):

    indicators      attributes of the matching MISP type; benign values kept with ``to_ids`` off and the reason
                    in the comment, CVEs as ``vulnerability`` (no IDS flag)
    actors          galaxy tags: misp-galaxy:threat-actor="BlackTech" (and mitre-intrusion-set with an ATT&CK id)
    malware, tools  misp-galaxy:mitre-malware / mitre-tool tags when ATT&CK knows them
    techniques      misp-galaxy:mitre-attack-pattern="Spearphishing Attachment - T1566.001"
    articles        a ``link`` attribute and an event report each (title, publisher, date, URL)
    claims          an event report with the timeline and the claim ledger, and one analyst-data Opinion per claim
                    (author: the claimant; 0-100: how firmly the claimant attributes; comment: stance, evidence,
                    citation, source)

Uuids and timestamps come from the ledger, so the same ledger exports the same events.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import TYPE_CHECKING, Any

from threatledger.errors import ExportError
from threatledger.export.vulnerabilities import affected
from threatledger.ids import NAMESPACE, canonical_json

if TYPE_CHECKING:
    from threatledger.store import SQLiteStore

__all__ = ["MISP_TYPES", "OPINION_SCORES", "ORG_UUID", "export_misp", "misp_event"]

MISP_TYPES = {
    "ipv4": ("ip-dst", "Network activity"),
    "ipv6": ("ip-dst", "Network activity"),
    "domain": ("domain", "Network activity"),
    "url": ("url", "Network activity"),
    "md5": ("md5", "Payload delivery"),
    "sha1": ("sha1", "Payload delivery"),
    "sha256": ("sha256", "Payload delivery"),
    "cve": ("vulnerability", "External analysis"),
    "btc": ("btc", "Financial fraud"),
    "email": ("email-src", "Payload delivery"),
    "filename": ("filename", "Payload delivery"),
}
_NO_IDS = {"vulnerability", "link"}
# how firmly the claimant attributes the incident to the actor, as a MISP opinion (0 = disagrees, 100 = agrees)
OPINION_SCORES = {
    "confirmed": 100,
    "claimed-responsibility": 100,
    "asserted": 80,
    "suspected": 60,
    "not-attributed": 50,
    "disputed": 20,
    "denied": 0,
}
_PAGE = 500
ORG_UUID = str(uuid.uuid5(NAMESPACE, "misp-organisation:threatledger"))


def _uuid(**identity: Any) -> str:
    return str(uuid.uuid5(NAMESPACE, canonical_json({"kind": "misp", **identity})))


def _epoch(value: str | None) -> str:
    """Seconds since the epoch (as MISP writes them) for a ledger date or datetime; 0 when unknown."""
    from threatledger.export.stix_vocabulary import stamp

    text = stamp(value, fallback="1970-01-01T00:00:00.000Z")
    moment = dt.datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)
    return str(int(moment.timestamp()))


def _day(value: str | None) -> str:
    from threatledger.export.stix_vocabulary import stamp

    return stamp(value, fallback="1970-01-01T00:00:00.000Z")[:10]


def export_misp(
    store: SQLiteStore, incident_id: str | None = None, *, with_text: bool = False
) -> dict[str, Any]:
    """``{"response": [{"Event": ...}, ...]}``: every incident, or the one given."""
    if incident_id:
        record = store.incident(incident_id)
        if record is None:
            raise ExportError(f"no incident {incident_id!r}; `threatledger incidents` lists the ids")
        ids = [record["id"]]
    else:
        ids, offset = [], 0
        while True:
            rows = store.incidents(limit=_PAGE, offset=offset)
            ids.extend(r["id"] for r in rows)
            if len(rows) < _PAGE:
                break
            offset += _PAGE
    events = [misp_event(store, i, with_text=with_text) for i in sorted(set(ids))]
    return {"response": [{"Event": e} for e in events]}


def _tags(extractions: list[dict[str, Any]], claims: list[dict[str, Any]]) -> list[dict[str, str]]:
    names: set[str] = set()
    known_actors = set()
    for data in extractions:
        for entity in data.get("entities", []):
            kb_ref, canonical = entity.get("kb_ref") or "", entity["canonical"]
            attack = kb_ref.removeprefix("attack:") if kb_ref.startswith("attack:") else None
            if entity.get("type") == "threat-actor" and kb_ref:
                known_actors.add(canonical.casefold())
                names.add(f'misp-galaxy:threat-actor="{canonical}"')
                if attack:
                    names.add(f'misp-galaxy:mitre-intrusion-set="{canonical} - {attack}"')
            elif entity.get("type") in {"malware", "tool"} and attack:
                names.add(f'misp-galaxy:mitre-{entity["type"]}="{canonical} - {attack}"')
        for technique in data.get("techniques", []):
            names.add(f'misp-galaxy:mitre-attack-pattern="{technique["name"]} - {technique["id"]}"')
    for claim in claims:
        stance = claim["stance"]
        names.add(f'threatledger:claim-stance="{stance}"')
    return [{"name": n} for n in sorted(names)]


def _attributes(
    event_uuid: str, reports: list[dict[str, Any]], extractions: dict[str, dict[str, Any]]
) -> list[dict[str, Any]]:
    attributes: dict[tuple[str, str], dict[str, Any]] = {}
    for report in reports:
        doc_id = report["doc_id"]
        source = report.get("publisher") or report.get("title") or doc_id
        stamp = _epoch(report.get("fetched") or report.get("published"))
        if report.get("url"):
            key = ("link", report["url"])
            attributes.setdefault(
                key,
                {
                    "uuid": _uuid(event=event_uuid, type="link", value=report["url"]),
                    "type": "link",
                    "category": "External analysis",
                    "value": report["url"],
                    "to_ids": False,
                    "comment": f"{source}: {report.get('title') or ''}".strip(),
                    "timestamp": stamp,
                },
            )
        for found in extractions[doc_id].get("indicators", []):
            mapped = MISP_TYPES.get(found["type"])
            if mapped is None:
                continue
            misp_type, category = mapped
            key = (misp_type, found["value"])
            if key in attributes:
                continue
            benign = bool(found.get("benign"))
            comment = f"reported by {source}, written as {found.get('text') or found['value']!r}"
            if benign:
                comment += f"; benign: {found.get('benign_reason') or 'on a warning list'}"
            product = affected(extractions[doc_id].get("vulnerabilities", []), found["value"])
            if found["type"] == "cve" and product:
                comment += f"; affects {product}"
            attributes[key] = {
                "uuid": _uuid(event=event_uuid, type=misp_type, value=found["value"]),
                "type": misp_type,
                "category": category,
                "value": found["value"],
                "to_ids": not benign and misp_type not in _NO_IDS,
                "comment": comment,
                "timestamp": stamp,
            }
    return sorted(attributes.values(), key=lambda a: (a["type"], a["value"]))


def _cell(text: Any) -> str:
    return str(text or "").replace("|", "\\|").replace("\n", " ")


def _claims_report(summary: dict[str, Any]) -> str:
    lines = ["# Timeline and attribution claims", "", "## Timeline", ""]
    for name in ("compromised", "discovered", "disclosed", "reported"):
        point = summary["timeline"].get(name)
        if point:
            source = point["source"].get("publisher") or point["source"].get("title") or ""
            quote = (point.get("evidence") or {}).get("text")
            said = f": \u201c{quote}\u201d" if quote else ""
            lines.append(
                f"- **{name}**: {point['value']} ({point.get('granularity', 'day')}) \u2014 {source}{said}"
            )
    if summary.get("dwell"):
        lines.append(f"- **dwell time**: {summary['dwell']['days']} days ({summary['dwell']['from']})")
    lines += [
        "",
        "## Claims",
        "",
        "Who attributes the incident to whom, in their words. Claims are not facts; the stance says how firmly.",
        "",
        "| Claimant | Actor | Stance | Evidence | Cites | Source |",
        "|---|---|---|---|---|---|",
    ]
    for row in summary["claims"]:
        for sighting in row["sightings"]:
            source = sighting.get("publisher") or sighting.get("title") or sighting.get("doc_id")
            if sighting.get("url"):
                source = f"[{_cell(source)}]({sighting['url']})"
            lines.append(
                f"| {_cell(row['claimant'])} | {_cell(row['actor'])} | {row['stance']} | "
                f"{_cell(sighting.get('evidence'))} | {_cell(sighting.get('cites'))} | {source} |"
            )
    return "\n".join(lines) + "\n"


def _article_report(event_uuid: str, report: dict[str, Any], text: str | None) -> dict[str, Any]:
    title = report.get("title") or report.get("url") or report["doc_id"]
    lines = [f"# {title}", ""]
    meta = [x for x in (report.get("publisher"), report.get("published")) if x]
    if meta:
        lines += [f"*{', '.join(meta)}*", ""]
    if report.get("url"):
        lines += [f"<{report['url']}>", ""]
    if text:
        lines += [text.strip(), ""]
    return {
        "uuid": _uuid(event=event_uuid, report=report["doc_id"]),
        "name": str(title)[:255],
        "content": "\n".join(lines),
        "distribution": "5",
        "timestamp": _epoch(report.get("fetched") or report.get("published")),
    }


def _opinions(event_uuid: str, claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    opinions = []
    for claim in claims:
        data = claim.get("data", {})
        actor = data.get("actor") or {}
        who = actor.get("canonical") or actor.get("text") or "?"
        evidence = (data.get("evidence") or {}).get("text", "")
        cites = (data.get("cites") or {}).get("text")
        source = claim.get("publisher") or claim.get("doc_title") or claim["doc_id"]
        comment = f"{claim.get('claimant')} \u2192 {who}: {claim['stance']}. \u201c{' '.join(evidence.split())}\u201d"
        if cites:
            comment += f" (citing {cites})"
        comment += f" \u2014 {source}"
        if claim.get("made_on"):
            comment += f", {claim['made_on']}"
        if claim.get("doc_url"):
            comment += f" <{claim['doc_url']}>"
        opinions.append(
            {
                "uuid": _uuid(claim=claim["id"]),
                "object_uuid": event_uuid,
                "object_type": "Event",
                "authors": str(claim.get("claimant") or source),
                "opinion": str(OPINION_SCORES.get(claim["stance"], 50)),
                "comment": comment,
            }
        )
    return opinions


def misp_event(store: SQLiteStore, incident_id: str, *, with_text: bool = False) -> dict[str, Any]:
    """The MISP event (the value of its ``Event`` key) for one ledger incident."""
    from threatledger.resolve.summary import summarise

    record = store.incident(incident_id)
    if record is None:
        raise ExportError(f"no incident {incident_id!r}")
    event_uuid = record["id"].partition("--")[2] or _uuid(incident=record["id"])
    documents = {r["doc_id"]: store.get_document(r["doc_id"]) for r in record["reports"]}
    reports = []
    for r in record["reports"]:
        document = documents[r["doc_id"]]
        reports.append({**r, "fetched": document.fetched if document else None})
    reports.sort(key=lambda r: (r.get("published") or "", r["doc_id"]))
    extractions = {r["doc_id"]: store.get_extraction(r["doc_id"]) or {} for r in reports}
    summary = summarise(record["reports"], record["claims"])
    first = summary["timeline"].get("disclosed") or summary["timeline"].get("reported")
    event: dict[str, Any] = {
        "uuid": event_uuid,
        "info": record["title"],
        "date": _day(first["value"] if first else record.get("first_reported")),
        "threat_level_id": "4",
        "analysis": "0",
        "distribution": "0",
        "published": False,
        "timestamp": _epoch(record.get("last_reported")),
        "Orgc": {"name": "threatledger", "uuid": ORG_UUID},
        "Attribute": _attributes(event_uuid, reports, extractions),
        "Tag": _tags(list(extractions.values()), record["claims"]),
        "EventReport": [
            *(
                _article_report(
                    event_uuid,
                    r,
                    documents[r["doc_id"]].text if with_text and documents[r["doc_id"]] else None,  # type: ignore[union-attr]
                )
                for r in reports
            ),
            {
                "uuid": _uuid(event=event_uuid, report="claims"),
                "name": "Timeline and attribution claims",
                "content": _claims_report(summary),
                "distribution": "5",
                "timestamp": _epoch(record.get("last_reported")),
            },
        ],
        "Opinion": _opinions(event_uuid, record["claims"]),
    }
    return event
