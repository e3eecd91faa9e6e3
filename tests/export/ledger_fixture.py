"""A small ledger for the export tests, written straight through the store (no extractors).

One incident reported by three sources: the breach of Japan's cyber agency (NISC-like): compromised in October
2022, discovered in June 2023, disclosed on 4 August 2023, reported in November 2023. Claims of several stances
by different claimants (an outlet citing unnamed officials, a security vendor, China's foreign ministry, the
victim), actors with knowledge-base references, malware, a tool, countries, organisations, indicators (one of
them benign), a CVE and ATT&CK techniques. A second, unrelated document carries a ransomware incident.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from threatledger.ids import make_id, text_sha256
from threatledger.model import (
    Claim,
    ClaimActor,
    DatePoint,
    Document,
    Entity,
    Extraction,
    Incident,
    Indicator,
    Mention,
    Technique,
    Victim,
    Vulnerability,
)
from threatledger.store import open_store
from threatledger.store.base import Resolution

__all__ = ["INCIDENT", "PORT_INCIDENT", "Ledger", "build_ledger"]

INCIDENT = make_id("incident", victim="NISC", type="intrusion", first="2022-10")
PORT_INCIDENT = make_id("incident", victim="Port of Nagoya", type="ransomware", first="2023-07")
SEEN = "2023-12-01T09:00:00+00:00"

NISC_TEXT = (
    "Possible leak of personal information from NISC email system\n\n"
    "On 4 August 2023 the National Center of Incident Readiness and Strategy for Cybersecurity (NISC) announced "
    "that personal information in email exchanged between October 2022 and June 2023 may have leaked after "
    "unauthorised access through a vulnerability in email-related equipment (CVE-2023-2868), discovered in "
    "June 2023. NISC has not attributed the unauthorised access to any actor.\n"
)
FT_TEXT = (
    "Chinese state hackers breached Japan's cyber defence agency\n\n"
    "State-backed Chinese hackers breached the network of Japan's National Center of Incident Readiness and "
    "Strategy for Cybersecurity in October 2022, according to three people familiar with the matter. The "
    "intrusion went undetected until June 2023. The people said Chinese state hackers were behind the attack. "
    "NISC said the intrusion was limited to its email system.\n"
)
VENDOR_TEXT = (
    "BlackTech targets Japanese government email with PlugX\n\n"
    "Kestrel Labs attributes the intrusion at NISC to BlackTech with moderate confidence, citing code overlaps "
    "in the PlugX loader and infrastructure reuse. The operators sent spearphishing attachments (T1566.001) "
    "from hr-notice@mail-sync.example.org and later used Cobalt Strike. The loader contacted 198.51.100.23 and "
    "mail-sync.example.org, fetched hxxp://mail-sync[.]example[.]org/owa/update.php and dropped invoice.doc "
    "(sha256 5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8, "
    "md5 098f6bcd4621d373cade4e832627b4f6). Connectivity checks to www.microsoft.com are routine and benign. "
    "China's foreign ministry denied any involvement and called the accusation groundless.\n"
)
PORT_TEXT = (
    "Port of Nagoya hit by ransomware\n\n"
    "The LockBit ransomware gang claimed responsibility for the attack on the Port of Nagoya in July 2023, "
    "which halted container terminals for two days.\n"
)


@dataclass(frozen=True, slots=True)
class Ledger:
    path: Path
    incident: str
    port_incident: str
    nisc_doc: str
    ft_doc: str
    vendor_doc: str
    port_doc: str


def _doc(text: str, title: str, url: str, publisher: str, published: str, fetched: str) -> Document:
    sha = text_sha256(text)
    return Document(
        id=make_id("document", sha256=sha),
        text=text,
        sha256=sha,
        url=url,
        canonical_url=url,
        title=title,
        publisher=publisher,
        published=published,
        fetched=fetched,
        language="en",
        source=url,
        source_kind="url",
    )


def _m(text: str, needle: str, nth: int = 0) -> Mention:
    start = -1
    for _ in range(nth + 1):
        start = text.index(needle, start + 1)
    return Mention(start, start + len(needle), needle)


def _entity(text: str, type_: str, canonical: str, surface: str, **extra: str) -> Entity:
    mentions = tuple(_m(text, surface, i) for i in range(text.count(surface)))
    return Entity(
        id=make_id("entity", type=type_, canonical=canonical),
        type=type_,
        name=surface,
        canonical=canonical,
        mentions=mentions,
        **extra,  # type: ignore[arg-type]
    )


def _actor(text: str, surface: str, canonical: str | None, kind: str) -> ClaimActor:
    m = _m(text, surface)
    return ClaimActor(surface, m.start, m.end, kind, canonical)


def _claim(
    doc: Document,
    report: str,
    stance: str,
    actor: ClaimActor,
    evidence: str,
    claimant: Mention | None,
    cites: str | None = None,
) -> Claim:
    return Claim(
        id=make_id("claim", doc=doc.id, stance=stance, evidence=evidence),
        incident=report,
        claimant=claimant,
        actor=actor,
        stance=stance,
        evidence=_m(doc.text, evidence),
        cites=_m(doc.text, cites) if cites else None,
    )


def _point(doc: Document, value: str, granularity: str, needle: str) -> DatePoint:
    return DatePoint(value, granularity, _m(doc.text, needle))


def _nisc_incident(doc: Document, timeline: dict[str, DatePoint], dwell: int | None = None) -> Incident:
    return Incident(
        id=make_id("incident-report", doc=doc.id),
        type="intrusion",
        title="NISC email system breach",
        victims=(
            Victim(
                "NISC",
                entity=make_id("entity", type="organization", canonical="NISC"),
                country="JP",
                sector="government",
            ),
        ),
        attackers=("China",),
        timeline=timeline,
        dwell_days=dwell,
        compromised_data=(_m(doc.text, "email"),),
    )


def _indicator(
    text: str, type_: str, value: str, written: str, benign_reason: str | None = None
) -> Indicator:
    m = _m(text, written)
    return Indicator(type_, value, m.start, m.end, written, benign_reason is not None, benign_reason)


def _technique(text: str, technique_id: str, name: str, written: str) -> Technique:
    m = _m(text, written)
    return Technique(technique_id, name, m.start, m.end, written)


def build_ledger(path: Path) -> Ledger:
    """Write the ledger to ``path`` (an SQLite file) and return the ids the tests look up."""
    nisc = _doc(
        NISC_TEXT,
        "Possible leak of personal information from NISC email system",
        "https://www.nisc.go.jp/news/20230804.html",
        "NISC",
        "2023-08-04",
        "2023-08-05T01:00:00+00:00",
    )
    ft = _doc(
        FT_TEXT,
        "Chinese state hackers breached Japan's cyber defence agency",
        "https://www.ft.com/content/nisc-breach",
        "Financial Times",
        "2023-11-27",
        "2023-11-27T12:00:00+00:00",
    )
    vendor = _doc(
        VENDOR_TEXT,
        "BlackTech targets Japanese government email with PlugX",
        "https://kestrel-labs.example/blog/blacktech-nisc",
        "Kestrel Labs",
        "2023-12-05",
        "2023-12-05T08:30:00+00:00",
    )
    port = _doc(
        PORT_TEXT,
        "Port of Nagoya hit by ransomware",
        "https://news.example/port-of-nagoya-ransomware",
        "Example News",
        "2023-07-06",
        "2023-07-06T10:00:00+00:00",
    )
    nisc_report = _nisc_incident(
        nisc,
        {
            "compromised": _point(nisc, "2022-10", "month", "October 2022"),
            "discovered": _point(nisc, "2023-06", "month", "discovered in June 2023"),
            "disclosed": _point(nisc, "2023-08-04", "day", "4 August 2023"),
        },
    )
    ft_report = _nisc_incident(
        ft,
        {
            "compromised": _point(ft, "2022-10", "month", "October 2022"),
            "discovered": _point(ft, "2023-06", "month", "June 2023"),
        },
        dwell=243,
    )
    vendor_report = _nisc_incident(vendor, {})
    port_report = Incident(
        id=make_id("incident-report", doc=port.id),
        type="ransomware",
        title="Port of Nagoya ransomware attack",
        victims=(Victim("Port of Nagoya", country="JP", sector="transport"),),
        attackers=("LockBit",),
        timeline={"compromised": _point(port, "2023-07", "month", "July 2023")},
    )
    org = "organization"
    extractions = {
        nisc.id: Extraction(
            doc_id=nisc.id,
            entities=(_entity(NISC_TEXT, org, "NISC", "NISC", country="JP"),),
            indicators=(_indicator(NISC_TEXT, "cve", "CVE-2023-2868", "CVE-2023-2868"),),
            vulnerabilities=(
                Vulnerability(
                    "CVE-2023-2868",
                    (_m(NISC_TEXT, "CVE-2023-2868"),),
                    product=_m(NISC_TEXT, "email-related equipment"),
                ),
            ),
            incidents=(nisc_report,),
            claims=(
                _claim(
                    nisc,
                    nisc_report.id,
                    "not-attributed",
                    _actor(NISC_TEXT, "any actor", None, "other"),
                    "NISC has not attributed the unauthorised access to any actor.",
                    claimant=_m(NISC_TEXT, "NISC", 2),
                ),
            ),
        ),
        ft.id: Extraction(
            doc_id=ft.id,
            entities=(
                _entity(
                    FT_TEXT,
                    "threat-actor",
                    "Chinese state-backed hackers",
                    "Chinese state hackers",
                    country="CN",
                ),
                _entity(FT_TEXT, org, "NISC", "NISC", country="JP"),
                _entity(FT_TEXT, "country", "Japan", "Japan", kb_ref="iso:JP", country="JP"),
                _entity(FT_TEXT, "country", "China", "Chinese", kb_ref="iso:CN", country="CN"),
            ),
            incidents=(ft_report,),
            claims=(
                _claim(
                    ft,
                    ft_report.id,
                    "asserted",
                    _actor(FT_TEXT, "Chinese state hackers", "China", "state"),
                    "The people said Chinese state hackers were behind the attack.",
                    claimant=_m(FT_TEXT, "three people familiar with the matter"),
                ),
            ),
        ),
        vendor.id: Extraction(
            doc_id=vendor.id,
            entities=(
                _entity(
                    VENDOR_TEXT, "threat-actor", "BlackTech", "BlackTech", kb_ref="attack:G0098", country="CN"
                ),
                _entity(VENDOR_TEXT, "malware", "PlugX", "PlugX", kb_ref="attack:S0013"),
                _entity(VENDOR_TEXT, "tool", "Cobalt Strike", "Cobalt Strike", kb_ref="attack:S0154"),
                _entity(VENDOR_TEXT, org, "Kestrel Labs", "Kestrel Labs"),
                _entity(VENDOR_TEXT, org, "NISC", "NISC", country="JP"),
                _entity(VENDOR_TEXT, "country", "China", "China", kb_ref="iso:CN", country="CN"),
            ),
            indicators=(
                _indicator(
                    VENDOR_TEXT, "email", "hr-notice@mail-sync.example.org", "hr-notice@mail-sync.example.org"
                ),
                _indicator(VENDOR_TEXT, "ipv4", "198.51.100.23", "198.51.100.23"),
                _indicator(VENDOR_TEXT, "domain", "mail-sync.example.org", "mail-sync.example.org and"),
                _indicator(
                    VENDOR_TEXT,
                    "url",
                    "http://mail-sync.example.org/owa/update.php",
                    "hxxp://mail-sync[.]example[.]org/owa/update.php",
                ),
                _indicator(VENDOR_TEXT, "filename", "invoice.doc", "invoice.doc"),
                _indicator(
                    VENDOR_TEXT,
                    "sha256",
                    "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
                    "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8",
                ),
                _indicator(
                    VENDOR_TEXT, "md5", "098f6bcd4621d373cade4e832627b4f6", "098f6bcd4621d373cade4e832627b4f6"
                ),
                _indicator(
                    VENDOR_TEXT,
                    "domain",
                    "www.microsoft.com",
                    "www.microsoft.com",
                    benign_reason="warninglist: top domains",
                ),
            ),
            techniques=(
                _technique(VENDOR_TEXT, "T1566.001", "Spearphishing Attachment", "spearphishing attachments"),
            ),
            incidents=(vendor_report,),
            claims=(
                _claim(
                    vendor,
                    vendor_report.id,
                    "suspected",
                    _actor(VENDOR_TEXT, "BlackTech", "BlackTech", "group"),
                    "Kestrel Labs attributes the intrusion at NISC to BlackTech with moderate confidence",
                    claimant=_m(VENDOR_TEXT, "Kestrel Labs"),
                    cites="code overlaps in the PlugX loader and infrastructure reuse",
                ),
                _claim(
                    vendor,
                    vendor_report.id,
                    "denied",
                    _actor(VENDOR_TEXT, "China's", "China", "state"),
                    "China's foreign ministry denied any involvement",
                    claimant=_m(VENDOR_TEXT, "China's foreign ministry"),
                ),
            ),
        ),
        port.id: Extraction(
            doc_id=port.id,
            entities=(
                _entity(PORT_TEXT, "threat-actor", "LockBit", "LockBit", kb_ref="misp:threat-actor:lockbit"),
                _entity(PORT_TEXT, org, "Port of Nagoya", "Port of Nagoya", country="JP"),
            ),
            incidents=(port_report,),
            claims=(
                _claim(
                    port,
                    port_report.id,
                    "claimed-responsibility",
                    _actor(PORT_TEXT, "LockBit ransomware gang", "LockBit", "criminal-org"),
                    "The LockBit ransomware gang claimed responsibility",
                    claimant=None,
                ),
            ),
        ),
    }
    store = open_store(str(path))
    try:
        for doc in (nisc, ft, vendor, port):
            extraction = extractions[doc.id]
            target = PORT_INCIDENT if doc is port else INCIDENT
            links = {report.id: target for report in extraction.incidents}
            store.save_document(doc, extraction, SEEN, Resolution(links=links))
    finally:
        store.close()
    return Ledger(path, INCIDENT, PORT_INCIDENT, nisc.id, ft.id, vendor.id, port.id)
