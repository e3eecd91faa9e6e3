"""Incident resolution: attach a document's incident to an existing incident about the same event.

Pure functions over plain records (the store supplies candidates; this module reads, never writes). A match needs
the same victim, or shared hard evidence (indicators, CVEs) when the victim is unnamed; a compatible type; and
reports or timelines close in time. Every automatic decision carries its score and reasons so it can be reviewed
and undone (`threatledger incident split`).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "NAME",
    "THRESHOLD",
    "VERSION",
    "Candidate",
    "Match",
    "best_match",
    "compatible_types",
    "victim_key",
]

NAME = "incident-resolution"
VERSION = "1"
THRESHOLD = 0.6
WINDOW_DAYS = 180  # reports further apart than this need shared evidence to match
_ATTACKS = {
    "data-breach",
    "ransomware",
    "intrusion",
    "phishing",
    "malware-infection",
    "destructive",
    "ddos",
    "supply-chain",
    "fraud",
    "vulnerability-exploitation",
    "attack",
}
_VULNS = {"vulnerability-discovery", "vulnerability-patch", "vulnerability-exploitation"}
_SUFFIX = re.compile(
    r"\b(inc|corp|corporation|co|ltd|llc|plc|gmbh|ag|sa|group|the|company|authority|agency)\b\.?",
    re.IGNORECASE,
)
_NON_WORD = re.compile(r"[^\w]+")


def victim_key(name: str) -> str:
    """A victim name folded for comparison: case, punctuation, possessives and company suffixes removed."""
    folded = name.casefold().replace("’s", "").replace("'s", "")
    folded = _SUFFIX.sub(" ", folded)
    return _NON_WORD.sub(" ", folded).strip()


@dataclass(frozen=True, slots=True)
class Candidate:
    """What resolution knows about one incident (existing or new)."""

    id: str
    type: str
    victims: tuple[str, ...]  # victim names
    victim_entities: tuple[str, ...] = ()
    acronyms: tuple[str, ...] = ()  # other names of the victims (e.g. "NISC")
    actors: tuple[str, ...] = ()
    indicators: tuple[str, ...] = ()  # indicator values and CVE ids
    dates: tuple[str, ...] = ()  # report dates and timeline values (ISO, any granularity)
    title: str = ""


@dataclass(frozen=True, slots=True)
class Match:
    incident_id: str
    score: float
    reasons: tuple[str, ...] = field(default_factory=tuple)


def compatible_types(a: str, b: str) -> bool:
    if a == b:
        return True
    if a in _ATTACKS and b in _ATTACKS:
        return True
    return a in _VULNS and b in _VULNS


def _names(c: Candidate) -> set[str]:
    return {k for k in (victim_key(n) for n in (*c.victims, *c.acronyms)) if k}


def _same_victim(a: Candidate, b: Candidate) -> str | None:
    if set(a.victim_entities) & set(b.victim_entities):
        return "same victim entity"
    names_a, names_b = _names(a), _names(b)
    if names_a & names_b:
        return "same victim name"
    for x in names_a:
        for y in names_b:
            shorter, longer = sorted((x, y), key=len)
            if len(shorter) >= 5 and re.search(rf"\b{re.escape(shorter)}\b", longer):
                return f"victim names overlap ({shorter!r} in {longer!r})"
    return None


def _parse(value: str) -> dt.date | None:
    value = value.split("/")[0]
    for fmt, size in (("%Y-%m-%d", 10), ("%Y-%m", 7), ("%Y", 4)):
        try:
            return dt.datetime.strptime(value[:size], fmt).date()
        except ValueError:
            continue
    return None


def _closest_days(a: Iterable[str], b: Iterable[str]) -> int | None:
    da = [d for d in (_parse(v) for v in a) if d]
    db = [d for d in (_parse(v) for v in b) if d]
    if not da or not db:
        return None
    return min(abs((x - y).days) for x in da for y in db)


def _score(new: Candidate, old: Candidate) -> Match | None:
    reasons: list[str] = []
    score = 0.0
    victim = _same_victim(new, old)
    shared_iocs = sorted(set(new.indicators) & set(old.indicators))
    shared_actors = sorted({a.casefold() for a in new.actors} & {a.casefold() for a in old.actors})
    if victim:
        score += 0.5
        reasons.append(victim)
    elif not shared_iocs or (new.victims and old.victims):
        # never merge across different named victims without shared evidence
        return None
    if not compatible_types(new.type, old.type):
        return None
    score += 0.1
    reasons.append(f"compatible types ({new.type}, {old.type})")
    gap = _closest_days(new.dates, old.dates)
    if gap is not None and gap <= WINDOW_DAYS:
        score += 0.2 * (1 - gap / WINDOW_DAYS) + 0.1
        reasons.append(f"dates {gap} days apart")
    elif gap is not None and not shared_iocs:
        return None
    if shared_iocs:
        score += min(0.3, 0.15 * len(shared_iocs))
        reasons.append("shared indicators/CVEs: " + ", ".join(shared_iocs[:5]))
    if shared_actors:
        score += 0.1
        reasons.append("shared actors: " + ", ".join(shared_actors[:5]))
    return Match(old.id, round(min(score, 1.0), 3), tuple(reasons))


def best_match(new: Candidate, existing: Sequence[Candidate], threshold: float = THRESHOLD) -> Match | None:
    """The best existing incident for ``new``, or None when no candidate reaches the threshold."""
    scored = [m for m in (_score(new, old) for old in existing if old.id != new.id) if m is not None]
    scored = [m for m in scored if m.score >= threshold]
    return max(scored, key=lambda m: (m.score, m.incident_id), default=None)


def candidate_from_record(
    incident_id: str, data: dict[str, Any], extra_dates: Sequence[str] = ()
) -> Candidate:
    """A candidate from an incident's JSON record (as stored or as extracted)."""
    victims = data.get("victims", [])
    timeline = data.get("timeline", {})
    return Candidate(
        id=incident_id,
        type=str(data.get("type", "")),
        victims=tuple(v["name"] for v in victims if v.get("name")),
        victim_entities=tuple(v["entity"] for v in victims if v.get("entity")),
        acronyms=tuple(a for v in victims for a in v.get("aliases", [])),
        actors=tuple(str(a) for a in data.get("attackers", [])),
        indicators=tuple(str(i) for i in data.get("indicators", [])),
        dates=tuple([*(p["value"] for p in timeline.values() if p.get("value")), *extra_dates]),
        title=str(data.get("title", "")),
    )
