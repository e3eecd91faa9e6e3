"""The fixed parts of a threatledger STIX bundle: its identity, the extension definitions, and the mappings from
ledger values to STIX vocabularies, ids and timestamps.

Ids are uuid5 over the identity properties of each object (:func:`stix_id`), and every timestamp comes from the
ledger (:func:`stamp`), so one ledger always exports the same bundle.
"""

from __future__ import annotations

import re
from typing import Any

from stix2.v21 import ExtensionDefinition, Identity

from threatledger.ids import make_id

__all__ = [
    "CLAIM_EXTENSION",
    "CLAIM_SCHEMA_URL",
    "EPOCH",
    "OPINIONS",
    "SCHEMA_BASE",
    "THREATLEDGER_IDENTITY",
    "TIMELINE_EXTENSION",
    "TIMELINE_SCHEMA_URL",
    "extension_definitions",
    "fold",
    "kb_reference",
    "stamp",
    "stix_id",
    "stix_sector",
    "threatledger_identity",
]

# Objects that describe threatledger itself carry this fixed date, not the time of the export.
EPOCH = "2024-01-01T00:00:00.000Z"
SCHEMA_BASE = "https://raw.githubusercontent.com/threatledger/threatledger/main/src/threatledger/data/stix/"
TIMELINE_SCHEMA_URL = SCHEMA_BASE + "incident-timeline-v1.json"
CLAIM_SCHEMA_URL = SCHEMA_BASE + "attribution-claim-v1.json"

THREATLEDGER_IDENTITY = make_id("identity", name="threatledger", identity_class="system")
TIMELINE_EXTENSION = make_id("extension-definition", name="threatledger incident timeline", version="1.0.0")
CLAIM_EXTENSION = make_id("extension-definition", name="threatledger attribution claim", version="1.0.0")

# claim stance -> STIX opinion (how far the claimant agrees that the actor did it)
OPINIONS = {
    "confirmed": "strongly-agree",
    "claimed-responsibility": "strongly-agree",
    "asserted": "agree",
    "suspected": "agree",
    "disputed": "disagree",
    "denied": "strongly-disagree",
}

# ledger sector (MISP sector cluster names and plain words) -> STIX industry-sector-ov
_SECTORS = {
    "academia - university": "education",
    "aerospace": "aerospace",
    "agriculture": "agriculture",
    "automotive": "automotive",
    "chemical": "chemical",
    "construction": "construction",
    "defense": "defense",
    "education": "education",
    "energy": "energy",
    "entertainment": "entertainment",
    "finance": "financial-services",
    "financial": "financial-services",
    "government": "government",
    "government, administrations": "government",
    "health": "healthcare",
    "healthcare": "healthcare",
    "hospitality": "hospitality-leisure",
    "infrastructure": "infrastructure",
    "insurance": "insurance",
    "logistics": "transportation",
    "manufacturing": "manufacturing",
    "mining": "mining",
    "ngo": "non-profit",
    "non-profit": "non-profit",
    "oil": "energy",
    "pharmacy": "pharmaceuticals",
    "retail": "retail",
    "ecommerce": "retail",
    "technology": "technology",
    "telecoms": "telecommunications",
    "telecommunications": "telecommunications",
    "transport": "transportation",
    "transportation": "transportation",
    "utilities": "utilities",
    "water": "infrastructure-water",
}
_FOLD = re.compile(r"\s+")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")


def fold(name: str) -> str:
    """A name as compared when deciding whether two mentions are one object."""
    return _FOLD.sub(" ", name).strip().casefold()


def stix_id(stix_type: str, **identity: Any) -> str:
    """``<type>--uuid5`` over the identity properties (threatledger's namespace)."""
    return make_id(stix_type, **identity)


def stamp(value: str | None, fallback: str = EPOCH) -> str:
    """A ledger date or datetime as a STIX UTC timestamp with millisecond precision.

    Partial dates take their first day ("2023-08" -> 2023-08-01T00:00:00.000Z); datetimes with an offset are
    converted to UTC; an empty or unreadable value gives ``fallback``.
    """
    import datetime as dt

    if not value:
        return fallback
    text = value.strip()
    if len(text) > 10 and text[10] in "T ":
        try:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            moment = None
        if moment is not None:
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.UTC)
            moment = moment.astimezone(dt.UTC)
            return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"
    match = _DATE.match(text)
    if not match:
        return fallback
    year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
    try:
        dt.date(int(year), int(month), int(day))
    except ValueError:
        return fallback
    return f"{year}-{month}-{day}T00:00:00.000Z"


def stix_sector(sector: str | None) -> str | None:
    """The STIX industry-sector-ov value for a ledger sector, or None when the vocabulary has no match."""
    if not sector:
        return None
    return _SECTORS.get(fold(sector))


def kb_reference(kb_ref: str | None) -> dict[str, str] | None:
    """An external reference for a knowledge-base id: ATT&CK ids get their source name and URL."""
    if not kb_ref:
        return None
    source, _, rest = kb_ref.partition(":")
    if source == "attack" and rest:
        kind = {"G": "groups", "S": "software", "T": "techniques", "C": "campaigns"}.get(rest[:1])
        ref = {"source_name": "mitre-attack", "external_id": rest}
        if kind:
            ref["url"] = f"https://attack.mitre.org/{kind}/{rest.replace('.', '/')}/"
        return ref
    if source == "misp" and rest:
        return {"source_name": "misp-galaxy", "external_id": rest}
    if source == "iso" and rest:
        return {"source_name": "iso-3166-1", "external_id": rest}
    return {"source_name": source or "threatledger", "external_id": rest or kb_ref}


def threatledger_identity() -> Identity:
    """The system that produced the bundle; every object it writes names it in ``created_by_ref``."""
    return Identity(
        id=THREATLEDGER_IDENTITY,
        name="threatledger",
        identity_class="system",
        description="Source-attributed knowledge base of cyber incidents built from news and threat reports.",
        created=EPOCH,
        modified=EPOCH,
    )


def extension_definitions() -> list[ExtensionDefinition]:
    """The two property-extensions threatledger uses, with the URLs of their JSON schemas."""
    return [
        ExtensionDefinition(
            id=TIMELINE_EXTENSION,
            created_by_ref=THREATLEDGER_IDENTITY,
            created=EPOCH,
            modified=EPOCH,
            name="threatledger incident timeline",
            description=(
                "Property-extension on incident: the timeline derived from every source (compromised, discovered, "
                "disclosed, reported; each a value with its granularity and source report) and the dwell time."
            ),
            schema=TIMELINE_SCHEMA_URL,
            version="1.0.0",
            extension_types=["property-extension"],
        ),
        ExtensionDefinition(
            id=CLAIM_EXTENSION,
            created_by_ref=THREATLEDGER_IDENTITY,
            created=EPOCH,
            modified=EPOCH,
            name="threatledger attribution claim",
            description=(
                "Property-extension on opinion and note: one attribution claim with its claimant, actor, stance, "
                "evidence sentence, citation and source report."
            ),
            schema=CLAIM_SCHEMA_URL,
            version="1.0.0",
            extension_types=["property-extension"],
        ),
    ]
