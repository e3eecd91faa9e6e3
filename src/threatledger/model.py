"""Domain records: frozen dataclasses along the data flow.

    RawItem  (sources)  ->  Document  (normalise)  ->  Extraction  (extract: findings with spans)
                                                     ->  Incident / Claim (resolve, store)

Every offset anywhere indexes into ``Document.text``. Records serialise to plain JSON with :func:`to_json`;
fields that are ``None`` are left out so optional keys (``kb_ref``, ``entity``...) appear only when known.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "Argument",
    "Claim",
    "ClaimActor",
    "DatePoint",
    "Document",
    "Entity",
    "Event",
    "Extraction",
    "Incident",
    "Indicator",
    "Mention",
    "RawItem",
    "Span",
    "Technique",
    "TimeExpression",
    "Victim",
    "Vulnerability",
    "to_json",
]


@dataclass(frozen=True, slots=True)
class RawItem:
    """Bytes as a source delivered them, before normalisation."""

    locator: str  # path or URL the bytes came from (used in every error message)
    content: bytes
    content_type: str | None = None  # MIME type when the source knows it (HTTP header, file suffix)
    url: str | None = None  # public URL of the article when known
    title: str | None = None  # hints from a feed or JSON record
    published: str | None = None
    author: str | None = None
    publisher: str | None = None
    source_kind: str = "file"  # file | url | feed | json


@dataclass(frozen=True, slots=True)
class Document:
    id: str
    text: str
    sha256: str
    url: str | None = None
    canonical_url: str | None = None
    title: str | None = None
    publisher: str | None = None
    author: str | None = None
    published: str | None = None  # ISO-8601 date or datetime
    fetched: str | None = None  # ISO-8601 datetime (from the injected clock)
    language: str | None = None
    source: str | None = None  # locator it was read from
    source_kind: str = "file"


@dataclass(frozen=True, slots=True)
class Span:
    """The evidence behind a fact: a character range of one document."""

    doc_id: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Mention:
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Entity:
    id: str  # deterministic: type + canonical
    type: str  # threat-actor, malware, tool, organization, person, country, location, sector, ...
    name: str  # most frequent surface form in the document
    canonical: str  # knowledge-base name, or the name itself when unknown
    mentions: tuple[Mention, ...]
    kb_ref: str | None = None  # e.g. "misp:threat-actor:<uuid>", "iso:JP", "attack:G0045"
    country: str | None = None  # ISO alpha-2 for countries, or the state sponsor of an actor
    aliases: tuple[str, ...] = ()  # other names seen for it in this document (e.g. acronym)


@dataclass(frozen=True, slots=True)
class Indicator:
    type: str  # ipv4, ipv6, domain, url, email, md5, sha1, sha256, cve, btc, filename
    value: str  # refanged, normalised value
    start: int
    end: int
    text: str  # as written (possibly defanged)
    benign: bool = False
    benign_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Vulnerability:
    """A CVE id the document names, with the product and the vendor its sentences tie it to, where that is clear."""

    id: str  # CVE-YYYY-NNNN, upper case
    mentions: tuple[Mention, ...]
    product: Mention | None = None  # "FortiOS", "Outlook for Windows", "the Citrix ADC"
    vendor: Mention | None = None  # "Fortinet", "Microsoft"
    vendor_entity: str | None = None  # the id of the organisation entity the vendor mention belongs to


@dataclass(frozen=True, slots=True)
class TimeExpression:
    text: str
    start: int
    end: int
    value: str  # ISO-8601 at its granularity: 2022-10, 2023, 2023-08-29, P9M, 2020/2021
    granularity: str  # day | month | year | range | duration | ...
    kind: str = "date"  # date | duration | range


@dataclass(frozen=True, slots=True)
class Technique:
    id: str  # T1566.001
    name: str
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class Argument:
    role: str
    start: int
    end: int
    text: str
    entity: str | None = None


@dataclass(frozen=True, slots=True)
class Event:
    type: str
    realis: str
    trigger: Mention
    arguments: tuple[Argument, ...] = ()


@dataclass(frozen=True, slots=True)
class DatePoint:
    value: str
    granularity: str
    evidence: Mention


@dataclass(frozen=True, slots=True)
class Victim:
    name: str
    entity: str | None = None
    country: str | None = None
    sector: str | None = None


@dataclass(frozen=True, slots=True)
class ClaimActor:
    text: str
    start: int
    end: int
    kind: str  # group | state | person | criminal-org | other
    canonical: str | None = None


@dataclass(frozen=True, slots=True)
class Claim:
    id: str
    incident: str | None
    claimant: Mention | None  # None: the article itself
    actor: ClaimActor
    stance: str  # asserted|suspected|confirmed|denied|disputed|claimed-responsibility|not-attributed
    evidence: Mention
    cites: Mention | None = None
    claimant_entity: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    id: str
    type: str
    title: str
    victims: tuple[Victim, ...] = ()
    attackers: tuple[str, ...] = ()
    timeline: dict[str, DatePoint] = field(default_factory=dict)  # compromised|discovered|disclosed|reported
    dwell_days: int | None = None
    compromised_data: tuple[Mention, ...] = ()
    statements: tuple[dict[str, Any], ...] = ()  # disputed scope and similar statements with claimant


@dataclass(frozen=True, slots=True)
class Extraction:
    """Everything the extractors found in one document."""

    doc_id: str
    entities: tuple[Entity, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    dates: tuple[TimeExpression, ...] = ()
    techniques: tuple[Technique, ...] = ()
    events: tuple[Event, ...] = ()
    incidents: tuple[Incident, ...] = ()
    claims: tuple[Claim, ...] = ()
    vulnerabilities: tuple[Vulnerability, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. "events: model not installed"
    versions: dict[str, str] = field(default_factory=dict)  # extractor name -> version that produced this


def _plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            f.name: _plain(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if getattr(value, f.name) is not None
        }
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def to_json(record: Any) -> Any:
    """A record as plain JSON-able data (None fields omitted)."""
    return _plain(record)
