"""What the JSON API and the HTML pages show, assembled once from the store so the two never disagree.

Every function takes an open store and plain arguments and returns JSON-able data; the web layer renders the same
dicts the API serialises.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from threatledger.errors import InputError
from threatledger.extract.vulnerabilities import stored_product_and_vendor
from threatledger.model import to_json
from threatledger.store import SQLiteStore

__all__ = [
    "INCIDENT_FILTERS",
    "STANCE_ORDER",
    "TIMELINE_ORDER",
    "Page",
    "date_interval",
    "defang",
    "document_detail",
    "entity_detail",
    "incident_detail",
    "incident_filters",
    "indicator_view",
    "merged_timeline",
    "page_args",
]

INCIDENT_FILTERS = ("country", "sector", "actor", "type", "since", "until", "stance")
TIMELINE_ORDER = ("compromised", "discovered", "disclosed", "reported")
STANCE_ORDER = (
    "confirmed",
    "asserted",
    "claimed-responsibility",
    "suspected",
    "disputed",
    "denied",
    "not-attributed",
)
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
MAX_LIMIT = 500


@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    offset: int


def _int(params: Mapping[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise InputError(f"{name} must be a whole number, not {raw!r}") from exc
    if not low <= value <= high:
        raise InputError(f"{name} must be between {low} and {high}, not {value}")
    return value


def page_args(params: Mapping[str, str], default_limit: int = 50) -> Page:
    return Page(_int(params, "limit", default_limit, 1, MAX_LIMIT), _int(params, "offset", 0, 0, 10**9))


def _check_date(name: str, value: str) -> str:
    if not _DATE.match(value):
        raise InputError(f"{name} must be an ISO date (YYYY, YYYY-MM or YYYY-MM-DD), not {value!r}")
    return value


def incident_filters(params: Mapping[str, str]) -> dict[str, str]:
    """The incident filters present in a query string, checked."""
    filters = {k: params[k].strip() for k in INCIDENT_FILTERS if params.get(k, "").strip()}
    for key in ("since", "until"):
        if key in filters:
            _check_date(key, filters[key])
    if "stance" in filters and filters["stance"] not in STANCE_ORDER:
        raise InputError(f"unknown stance {filters['stance']!r}; valid: {', '.join(STANCE_ORDER)}")
    return filters


# -- indicators -----------------------------------------------------------------------------------------------------
def _defang_host(host: str) -> str:
    head, dot, tail = host.rpartition(".")
    return f"{head}[.]{tail}" if dot else host


def defang(type_: str, value: str) -> str:
    """A display form that no client turns into a link: 1.2.3[.]4, evil[.]com, hxxps://evil[.]com/x."""
    if type_ in ("ipv4", "domain"):
        return _defang_host(value)
    if type_ == "ipv6":
        head, sep, tail = value.rpartition(":")
        return f"{head}[:]{tail}" if sep else value
    if type_ == "email":
        user, at, host = value.rpartition("@")
        return f"{user}[@]{_defang_host(host)}" if at else value
    if type_ == "url":
        match = re.match(r"^(https?|ftp)(://)([^/?#]+)(.*)$", value, re.IGNORECASE)
        if not match:
            return value.replace(".", "[.]")
        scheme = {"http": "hxxp", "https": "hxxps", "ftp": "fxp"}[match.group(1).lower()]
        return f"{scheme}{match.group(2)}{_defang_host(match.group(3))}{match.group(4)}"
    return value


def indicator_view(row: Mapping[str, Any]) -> dict[str, Any]:
    return {**row, "defanged": defang(str(row["type"]), str(row["value"]))}


# -- dates and timelines --------------------------------------------------------------------------------------------
def _month_end(year: int, month: int) -> dt.date:
    return (dt.date(year + month // 12, month % 12 + 1, 1)) - dt.timedelta(days=1)


def date_interval(value: str) -> tuple[dt.date, dt.date] | None:
    """The first and last day an ISO value at its granularity covers (2022-10 -> Oct 1..31); None if not a date."""
    if "/" in value:
        first, _, last = value.partition("/")
        a, b = date_interval(first), date_interval(last)
        return (a[0], b[1]) if a and b else None
    match = _DATE.match(value)
    if not match:
        return None
    year, month, day = match.group(1), match.group(2), match.group(3)
    try:
        if day:
            point = dt.date(int(year), int(month), int(day))
            return point, point
        if month:
            return dt.date(int(year), int(month), 1), _month_end(int(year), int(month))
        return dt.date(int(year), 1, 1), dt.date(int(year), 12, 31)
    except ValueError:
        return None


def _interval_fields(value: str | None) -> tuple[str | None, str | None]:
    interval = date_interval(str(value or ""))
    return (interval[0].isoformat(), interval[1].isoformat()) if interval else (None, None)


def merged_timeline(summary: Mapping[str, Any], record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One entry per timeline stage as the derived summary chose it (with its rule), then every report."""
    given: dict[str, set[str]] = {}
    for report in record.get("reports", []):
        for stage in (report.get("data") or {}).get("timeline") or {}:
            given.setdefault(stage, set()).add(str(report.get("doc_id")))
    chosen = summary.get("timeline", {})
    out: list[dict[str, Any]] = []
    for stage in [s for s in TIMELINE_ORDER if s in chosen] + sorted(set(chosen) - set(TIMELINE_ORDER)):
        point = chosen[stage]
        source = point.get("source") or {}
        start, end = _interval_fields(point.get("value"))
        out.append(
            {
                "event": stage,
                "value": point.get("value"),
                "granularity": point.get("granularity"),
                "evidence": (point.get("evidence") or {}).get("text") or source.get("title"),
                "doc_id": source.get("doc_id"),
                "source": source.get("publisher") or source.get("title"),
                "sources": sorted(
                    given.get(stage, set()) | ({source["doc_id"]} if source.get("doc_id") else set())
                ),
                "rule": point.get("rule"),
                "start": start,
                "end": end,
            }
        )
    for report in record.get("reports", []):
        start, end = _interval_fields(report.get("published"))
        out.append(
            {
                "event": "report",
                "value": report.get("published"),
                "granularity": "day",
                "evidence": report.get("title"),
                "doc_id": report.get("doc_id"),
                "source": report.get("publisher"),
                "sources": [report.get("doc_id")],
                "start": start,
                "end": end,
            }
        )
    return out


# -- detail views ---------------------------------------------------------------------------------------------------
def _claim_view(claim: Mapping[str, Any]) -> dict[str, Any]:
    data = claim.get("data") or {}
    return {
        "id": claim["id"],
        "stance": claim["stance"],
        "claimant": claim.get("claimant"),
        "actor": claim.get("actor"),
        "actor_canonical": claim.get("actor_canonical"),
        "actor_kind": claim.get("actor_kind"),
        "made_on": claim.get("made_on"),
        "evidence": (data.get("evidence") or {}).get("text"),
        "cites": (data.get("cites") or {}).get("text"),
        "doc_id": claim.get("doc_id"),
        "doc_title": claim.get("doc_title"),
        "doc_url": claim.get("doc_url"),
        "publisher": claim.get("publisher"),
    }


def _grouped(claims: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    groups: dict[str, list[dict[str, Any]]] = {}
    for claim in claims:
        groups.setdefault(claim["stance"], []).append(claim)
    order = {s: i for i, s in enumerate(STANCE_ORDER)}
    return {s: groups[s] for s in sorted(groups, key=lambda s: (order.get(s, 99), s))}


def incident_detail(store: SQLiteStore, incident_id: str) -> dict[str, Any] | None:
    record = store.incident(incident_id)
    if record is None:
        return None
    from threatledger.resolve.summary import summarise

    summary = summarise(record.get("reports", []), record.get("claims", []))
    timeline = merged_timeline(summary, record)
    claims = [_claim_view(c) for c in record.get("claims", [])]
    reports = [
        {k: r.get(k) for k in ("report_id", "doc_id", "title", "url", "publisher", "published")}
        for r in record.get("reports", [])
    ]
    indicators: list[dict[str, Any]] = []
    for report in reports:
        extraction = store.get_extraction(str(report["doc_id"])) or {}
        for found in extraction.get("indicators", []):
            row = {k: found.get(k) for k in ("type", "value", "text", "benign")}
            indicators.append(indicator_view({**row, "doc_id": report["doc_id"]}))
    data = record.get("data") or {}
    return {
        "incident": {
            k: record.get(k)
            for k in ("id", "type", "title", "victim", "country", "sector", "first_reported", "last_reported")
        },
        "victims": data.get("victims", []),
        "attackers": data.get("attackers", []),
        "dwell_days": (summary.get("dwell") or {}).get("days"),
        "dwell": summary.get("dwell"),
        "timeline": timeline,
        "disagreements": summary.get("disagreements", {}),
        "claim_ledger": summary.get("claims", []),
        "rules": summary.get("rules", {}),
        "claims_by_stance": _grouped(claims),
        "reports": reports,
        "indicators": indicators,
    }


def document_detail(store: SQLiteStore, doc_id: str) -> dict[str, Any] | None:
    document = store.get_document(doc_id)
    if document is None:
        return None
    extraction = store.get_extraction(doc_id) or {}
    return {
        "document": to_json(document),
        "sightings": store.sightings(doc_id),
        "claims": [_claim_view(c) for c in store.claims(doc_id=doc_id)],
        "indicators": [
            indicator_view({k: i.get(k) for k in ("type", "value", "text", "benign")})
            for i in extraction.get("indicators", [])
        ],
        "entities": [
            {k: e.get(k) for k in ("id", "type", "name", "canonical", "kb_ref", "country")}
            for e in extraction.get("entities", [])
        ],
        "vulnerabilities": [_vulnerability_view(v) for v in extraction.get("vulnerabilities", [])],
        "versions": extraction.get("versions", {}),
    }


def _vulnerability_view(record: dict[str, Any]) -> dict[str, Any]:
    product, vendor = stored_product_and_vendor(record)
    return {
        "id": record.get("id"),
        "product": product,
        "vendor": vendor,
        "mentions": len(record.get("mentions", [])),
    }


def _context(text: str, start: int, end: int, width: int = 80) -> dict[str, str]:
    return {
        "before": text[max(0, start - width) : start],
        "match": text[start:end],
        "after": text[end : end + width],
    }


def entity_detail(store: SQLiteStore, name: str, limit: int = 50) -> dict[str, Any] | None:
    found = store.entities(name=name, limit=20)
    if not found:
        return None
    entities: list[dict[str, Any]] = []
    incident_ids: dict[str, dict[str, Any]] = {}
    texts: dict[str, str] = {}
    for entity in found:
        mentions = []
        for mention in store.entity_mentions(entity["id"], limit=limit):
            doc_id = mention["doc_id"]
            if doc_id not in texts:
                document = store.get_document(doc_id)
                texts[doc_id] = document.text if document else ""
            mentions.append({**mention, "context": _context(texts[doc_id], mention["start"], mention["end"])})
        entities.append({**entity, "mentions": mentions})
        for incident in store.incidents({"actor": entity["canonical"]}, limit=limit):
            incident_ids.setdefault(incident["id"], incident)
        for victim_name in {entity["canonical"], *entity.get("names", [])}:
            for incident in store.incidents({"victim": victim_name}, limit=limit):
                incident_ids.setdefault(incident["id"], incident)
    names = {name.casefold()} | {n.casefold() for e in found for n in [e["canonical"], *e.get("names", [])]}
    every_claim = store.claims()
    claims = [
        _claim_view(c)
        for c in every_claim
        if names & {(c.get("actor_canonical") or "").casefold(), (c.get("actor") or "").casefold()}
    ]
    made_by = [_claim_view(c) for c in every_claim if (c.get("claimant") or "").casefold() in names]
    return {
        "name": name,
        "entities": entities,
        "incidents": list(incident_ids.values()),
        "claims_about": _grouped(claims),
        "claims_made": _grouped(made_by),
    }
