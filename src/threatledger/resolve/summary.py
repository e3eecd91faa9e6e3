"""Derived incident records: what many sources say about one incident, side by side, with the rule that chose each
summary value visible.

Inputs are the stored reports (each source's own version of the incident) and claims; nothing here writes.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from typing import Any

__all__ = ["RULES", "claim_ledger", "summarise"]

RULES = {
    "compromised": "earliest date any source gives for the start of the compromise (the most precise source "
    "when several give the same period)",
    "discovered": "earliest discovery date any source gives (most precise within the same period)",
    "disclosed": "first date the victim or an authority disclosed the incident (most precise within the same period)",
    "reported": "publication date of the first report in the ledger",
    "dwell_days": "discovered minus compromised from the summary dates, else the duration a source states",
    "claims": "one row per (claimant, actor, stance); repeats by other outlets are sightings, and count as "
    "corroboration only when they cite different sources",
}
_FOLD = re.compile(r"[^\w]+")


def _sort_key(value: str) -> str:
    return value.split("/")[0]


def _start(value: str) -> dt.date | None:
    head = value.split("/")[0]
    for fmt, size in (("%Y-%m-%d", 10), ("%Y-%m", 7), ("%Y", 4)):
        try:
            return dt.datetime.strptime(head[:size], fmt).date()
        except ValueError:
            continue
    return None


def _interval(value: str) -> tuple[dt.date, dt.date] | None:
    """The days a value covers: 2023 -> the year, 2023-08 -> the month, ranges -> start of first to end of last."""
    first, _, last = value.partition("/")
    start = _start(first)
    if start is None:
        return None
    tail = last if last and last != ".." else first
    end_start = _start(tail) or start
    size = len(tail.split("T")[0])
    if size >= 10:
        end = end_start
    elif size == 7:
        nxt = dt.date(end_start.year + end_start.month // 12, end_start.month % 12 + 1, 1)
        end = nxt - dt.timedelta(days=1)
    else:
        end = dt.date(end_start.year, 12, 31)
    return start, max(start, end)


def _earliest_precise(points: list[dict[str, Any]]) -> dict[str, Any]:
    """The earliest point; among points inside the same period as it, the most precise one."""
    known = [(p, _interval(p["value"])) for p in points]
    dated = [(p, span) for p, span in known if span is not None]
    if not dated:
        return min(points, key=lambda p: _sort_key(p["value"]))
    first, span = min(dated, key=lambda item: (item[1][0], item[1][1] - item[1][0]))
    inside = [(p, s) for p, s in dated if span[0] <= s[0] and s[1] <= span[1]]
    return min(inside, key=lambda item: (item[1][1] - item[1][0], item[1][0]))[0] if inside else first


def summarise(reports: list[dict[str, Any]], claims: list[dict[str, Any]]) -> dict[str, Any]:
    """The derived record of one incident from its reports (``incident_reports`` rows with ``data``)."""
    by_field: dict[str, list[dict[str, Any]]] = defaultdict(list)
    victims: dict[str, dict[str, Any]] = {}
    attackers: set[str] = set()
    data_items: set[str] = set()
    stated_dwell: list[dict[str, Any]] = []
    ordered = sorted(reports, key=lambda r: (r.get("published") or "9999", r.get("doc_id", "")))
    for report in ordered:
        data = report.get("data", {})
        source = {
            "doc_id": report.get("doc_id"),
            "publisher": report.get("publisher"),
            "title": report.get("title"),
            "url": report.get("url"),
            "published": report.get("published"),
        }
        for name, point in data.get("timeline", {}).items():
            if point and point.get("value"):
                by_field[name].append({**point, "source": source})
        if report.get("published"):
            by_field.setdefault("reported_by", []).append({"value": report["published"], "source": source})
        for victim in data.get("victims", []):
            victims.setdefault(victim.get("name", "").casefold(), victim)
        attackers.update(str(a) for a in data.get("attackers", []))
        data_items.update(m.get("text", "") for m in data.get("compromised_data", []) if m.get("text"))
        if data.get("dwell_days") is not None:
            stated_dwell.append({"value": data["dwell_days"], "source": source})
    timeline: dict[str, Any] = {}
    disagreements: dict[str, list[dict[str, Any]]] = {}
    for name in ("compromised", "discovered", "disclosed"):
        points = by_field.get(name, [])
        if not points:
            continue
        chosen = _earliest_precise(points)
        timeline[name] = {**chosen, "rule": RULES[name], "sources": len(points)}
        values: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for p in points:
            values[p["value"]].append(p["source"])
        if len(values) > 1:
            disagreements[name] = [{"value": v, "sources": s} for v, s in sorted(values.items())]
    first = by_field.get("reported_by", [])
    if first:
        timeline["reported"] = {
            **first[0],
            "granularity": "day",
            "rule": RULES["reported"],
            "sources": len(first),
        }
    dwell: dict[str, Any] | None = None
    began, found = timeline.get("compromised"), timeline.get("discovered")
    if began and found and _start(began["value"]) and _start(found["value"]):
        days = (_start(found["value"]) - _start(began["value"])).days  # type: ignore[operator]
        if days >= 0:
            dwell = {"days": days, "rule": RULES["dwell_days"], "from": "timeline"}
    if dwell is None and stated_dwell:
        dwell = {
            "days": stated_dwell[0]["value"],
            "rule": RULES["dwell_days"],
            "from": "stated",
            "source": stated_dwell[0]["source"],
        }
    return {
        "timeline": timeline,
        "disagreements": disagreements,
        "dwell": dwell,
        "victims": list(victims.values()),
        "attackers": sorted(attackers),
        "compromised_data": sorted(data_items),
        "sources": [
            {
                "doc_id": r.get("doc_id"),
                "publisher": r.get("publisher"),
                "title": r.get("title"),
                "url": r.get("url"),
                "published": r.get("published"),
            }
            for r in ordered
        ],
        "claims": claim_ledger(claims),
        "rules": RULES,
    }


def _fold(text: str | None) -> str:
    return _FOLD.sub(" ", (text or "").casefold()).strip()


def claim_ledger(claims: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Claims merged across outlets: one row per (claimant, actor, stance), ordered by when first made."""
    rows: dict[tuple[str, str, str], dict[str, Any]] = {}
    for claim in sorted(claims, key=lambda c: (c.get("made_on") or "9999", c.get("id", ""))):
        data = claim.get("data", {})
        actor = data.get("actor", {})
        key = (
            _fold(claim.get("claimant")),
            _fold(actor.get("canonical") or actor.get("text")),
            claim["stance"],
        )
        row = rows.setdefault(
            key,
            {
                "claimant": claim.get("claimant"),
                "actor": actor.get("canonical") or actor.get("text"),
                "actor_kind": actor.get("kind"),
                "stance": claim["stance"],
                "first_made": claim.get("made_on"),
                "sightings": [],
            },
        )
        row["sightings"].append(
            {
                "claim_id": claim.get("id"),
                "doc_id": claim.get("doc_id"),
                "publisher": claim.get("publisher"),
                "title": claim.get("doc_title"),
                "url": claim.get("doc_url"),
                "made_on": claim.get("made_on"),
                "cites": (data.get("cites") or {}).get("text"),
                "evidence": (data.get("evidence") or {}).get("text"),
            }
        )
    for row in rows.values():
        cited = {_fold(s["cites"]) or _fold(s["publisher"]) or s["doc_id"] for s in row["sightings"]}
        row["independent_sources"] = len(cited)
    return sorted(rows.values(), key=lambda r: (r["first_made"] or "9999", r["claimant"] or ""))
