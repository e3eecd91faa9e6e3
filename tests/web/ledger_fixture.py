"""A small realistic ledger built straight through the store, without the extractors.

Three reports of one incident (a NISC-like breach of Japan's cyber agency: compromised 2022-10, discovered about
nine months later, disclosed 2023-08, reported 2023-11) with claims of several stances from different outlets,
and a hostile article whose title, publisher, text and incident title carry script and event-handler markup.
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
    Victim,
    Vulnerability,
)
from threatledger.store import SQLiteStore
from threatledger.store.base import Resolution

SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"
INCIDENT = make_id("incident", victim="NISC", type="intrusion", first="2022-10")
PORT_INCIDENT = make_id("incident", victim="Port of Nagoya", type="ransomware", first="2023-07")

RECORD_TEXT = (
    "Japan's cybersecurity agency breached by suspected Chinese hackers: report\n\n"
    "Suspected Chinese hackers breached Japan's cybersecurity agency and potentially accessed sensitive data "
    "stored on its networks for nine months before being discovered, it was reported on Tuesday.\n\n"
    "Japan's National Center of Incident Readiness and Strategy for Cybersecurity (NISC) announced in August "
    "that personal data linked to email exchanges may have been compromised after it was hacked in October "
    "last year.\n\n"
    "NISC has not publicly attributed the incident. However, a report by the Financial Times, citing three "
    "government and private sector sources familiar with the situation, said that state-backed Chinese hackers "
    "were suspected of being behind the attack.\n\n"
    "In its statements to the Financial Times, NISC disputed the scale of access which the alleged hackers had "
    "managed to achieve, stressing that it was limited to the agency's email system.\n\n"
    "China's ministry of foreign affairs denied the country was behind the breach and instead blamed the "
    "United States.\n"
)
FT_TEXT = (
    "Chinese state hackers breached Japan's cyber defence agency\n\n"
    "State-backed Chinese hackers breached the network of Japan's National Center of Incident Readiness and "
    "Strategy for Cybersecurity in October 2022, according to three people familiar with the matter. The "
    "intrusion went undetected until June 2023. The people said Chinese state hackers were behind the attack. "
    "NISC said the intrusion was limited to its email system and did not comment on attribution.\n"
)
NISC_TEXT = (
    "Possible leak of personal information from NISC email system\n\n"
    "On 4 August 2023 the National Center of Incident Readiness and Strategy for Cybersecurity (NISC) announced "
    "that personal information in email exchanged between October 2022 and June 2023 may have leaked after "
    "unauthorised access through a vulnerability in email-related equipment, discovered in June 2023. NISC has "
    "not attributed the unauthorised access to any actor.\n"
)
HOSTILE_TITLE = f"{SCRIPT} Port of Nagoya ransomware {IMG}"
HOSTILE_TEXT = (
    f"{SCRIPT}\nPort of Nagoya ransomware {IMG}\n\n"
    "The LockBit ransomware gang claimed responsibility for the attack on the Port of Nagoya in July 2023. "
    "Responders linked the intrusion to CVE-2023-4966 in Citrix NetScaler and traffic to 203.0.113[.]7 and "
    "hxxp://malicious[.]example[.]net/payload.exe, sample sha256 "
    "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.\n"
    '<a href="javascript:alert(1)">click</a> "quoted" & <b>bold</b>\n'
)


@dataclass(frozen=True, slots=True)
class Ledger:
    path: Path
    incident: str
    port_incident: str
    record_doc: str
    ft_doc: str
    nisc_doc: str
    hostile_doc: str


def _doc(text: str, title: str, url: str, publisher: str, published: str) -> Document:
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
        fetched="2023-12-01T09:00:00+00:00",
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


def _actor(text: str, surface: str, canonical: str = "China", kind: str = "state") -> ClaimActor:
    m = _m(text, surface)
    return ClaimActor(surface, m.start, m.end, kind, canonical)


def _claim(doc: Document, report: str, stance: str, actor: ClaimActor, evidence: str, **kw: object) -> Claim:
    return Claim(
        id=make_id("claim", doc=doc.id, stance=stance, evidence=evidence),
        incident=report,
        actor=actor,
        stance=stance,
        evidence=_m(doc.text, evidence),
        **kw,  # type: ignore[arg-type]
    )


def _nisc_incident(doc: Document, timeline: dict[str, DatePoint], dwell: int | None = None) -> Incident:
    return Incident(
        id=make_id("incident-report", doc=doc.id),
        type="intrusion",
        title="NISC email system breach",
        victims=(Victim("NISC", country="JP", sector="government"),),
        attackers=("China",),
        timeline=timeline,
        dwell_days=dwell,
        compromised_data=(
            _m(doc.text, "personal") if "personal" in doc.text else Mention(0, 1, doc.text[0]),
        ),
    )


def build_ledger(path: Path) -> Ledger:
    """Write the ledger to ``path`` (an SQLite file) and return the ids the tests look up."""
    store = SQLiteStore(path)
    record = _doc(
        RECORD_TEXT,
        "Japan's cybersecurity agency breached by suspected Chinese hackers: report",
        "https://therecord.media/japan-cybersecurity-agency-breached",
        "The Record",
        "2023-11-28",
    )
    ft = _doc(
        FT_TEXT,
        "Chinese state hackers breached Japan's cyber defence agency",
        "https://www.ft.com/content/nisc-breach",
        "Financial Times",
        "2023-11-27",
    )
    nisc = _doc(
        NISC_TEXT,
        "Possible leak of personal information from NISC email system",
        "https://www.nisc.go.jp/news/20230804.html",
        "NISC",
        "2023-08-04",
    )
    hostile = _doc(
        HOSTILE_TEXT, HOSTILE_TITLE, "https://evil.example/story", f"Evil {IMG} Press", "2023-07-10"
    )

    def point(value: str, granularity: str, doc: Document, needle: str) -> DatePoint:
        return DatePoint(value, granularity, _m(doc.text, needle))

    # the NISC disclosure
    nisc_report = _nisc_incident(
        nisc,
        {
            "compromised": point("2022-10", "month", nisc, "October 2022"),
            "discovered": point("2023-06", "month", nisc, "discovered in June 2023"),
            "disclosed": point("2023-08-04", "day", nisc, "4 August 2023"),
        },
    )
    nisc_claim = _claim(
        nisc,
        nisc_report.id,
        "not-attributed",
        ClaimActor("any actor", *(lambda m: (m.start, m.end))(_m(NISC_TEXT, "any actor")), "other", None),
        "NISC has not attributed the unauthorised access to any actor.",
        claimant=_m(NISC_TEXT, "NISC", 1),
    )
    nisc_entities = (_entity(NISC_TEXT, "organization", "NISC", "NISC", country="JP"),)
    # the FT report
    ft_report = _nisc_incident(
        ft,
        {
            "compromised": point("2022-10", "month", ft, "October 2022"),
            "discovered": point("2023-06", "month", ft, "June 2023"),
            "reported": point("2023-11-27", "day", ft, "Chinese state hackers were behind"),
        },
        dwell=243,
    )
    ft_claim = _claim(
        ft,
        ft_report.id,
        "asserted",
        _actor(FT_TEXT, "Chinese state hackers"),
        "The people said Chinese state hackers were behind the attack.",
        claimant=_m(FT_TEXT, "three people familiar with the matter"),
    )
    # The Record's report
    record_report = _nisc_incident(
        record,
        {
            "compromised": point("2022-10", "month", record, "October last year"),
            "discovered": point("P9M", "duration", record, "nine months"),
            "disclosed": point("2023-08", "month", record, "August"),
            "reported": point("2023-11-28", "day", record, "reported on Tuesday"),
        },
        dwell=270,
    )
    suspected = _claim(
        record,
        record_report.id,
        "suspected",
        _actor(RECORD_TEXT, "state-backed Chinese hackers"),
        "state-backed Chinese hackers were suspected of being behind the attack",
        claimant=_m(RECORD_TEXT, "Financial Times"),
        cites=_m(RECORD_TEXT, "three government and private sector sources"),
    )
    denied = _claim(
        record,
        record_report.id,
        "denied",
        _actor(RECORD_TEXT, "the country", "China", "state"),
        "China's ministry of foreign affairs denied the country was behind the breach",
        claimant=_m(RECORD_TEXT, "China's ministry of foreign affairs"),
    )
    not_attributed = _claim(
        record,
        record_report.id,
        "not-attributed",
        ClaimActor(
            "the incident", *(lambda m: (m.start, m.end))(_m(RECORD_TEXT, "the incident")), "other", None
        ),
        "NISC has not publicly attributed the incident.",
        claimant=_m(RECORD_TEXT, "NISC has not", 0),
    )
    record_entities = (
        _entity(RECORD_TEXT, "organization", "NISC", "NISC", country="JP"),
        _entity(RECORD_TEXT, "organization", "Financial Times", "Financial Times"),
        _entity(RECORD_TEXT, "threat-actor", "Chinese state-backed hackers", "Chinese hackers", country="CN"),
        _entity(RECORD_TEXT, "country", "China", "China", kb_ref="iso:CN", country="CN"),
    )
    ft_entities = (
        _entity(
            FT_TEXT, "threat-actor", "Chinese state-backed hackers", "Chinese state hackers", country="CN"
        ),
        _entity(FT_TEXT, "organization", "NISC", "NISC", country="JP"),
    )
    # the hostile article
    port_report = Incident(
        id=make_id("incident-report", doc=hostile.id),
        type="ransomware",
        title=f"Port of Nagoya ransomware {SCRIPT}",
        victims=(Victim(f"Port of Nagoya {IMG}", country="JP", sector="transport"),),
        attackers=("LockBit",),
        timeline={"compromised": point("2023-07", "month", hostile, "July 2023")},
    )
    lockbit = _claim(
        hostile,
        port_report.id,
        "claimed-responsibility",
        _actor(HOSTILE_TEXT, "LockBit ransomware gang", "LockBit", "criminal-org"),
        "The LockBit ransomware gang claimed responsibility",
        claimant=None,
    )

    def indicator(type_: str, value: str, written: str) -> Indicator:
        m = _m(HOSTILE_TEXT, written)
        return Indicator(type_, value, m.start, m.end, written)

    indicators = (
        indicator("cve", "CVE-2023-4966", "CVE-2023-4966"),
        indicator("ipv4", "203.0.113.7", "203.0.113[.]7"),
        indicator(
            "url",
            "http://malicious.example.net/payload.exe",
            "hxxp://malicious[.]example[.]net/payload.exe",
        ),
        indicator(
            "sha256",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
            "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
        ),
    )
    netscaler = _m(HOSTILE_TEXT, "Citrix NetScaler")
    vulnerabilities = (
        Vulnerability(
            "CVE-2023-4966",
            (_m(HOSTILE_TEXT, "CVE-2023-4966"),),
            product=netscaler,
        ),
    )
    hostile_entities = (
        _entity(HOSTILE_TEXT, "threat-actor", "LockBit", "LockBit", kb_ref="misp:threat-actor:lockbit"),
        _entity(HOSTILE_TEXT, "organization", f"Port of Nagoya {IMG}", "Port of Nagoya"),
    )

    seen = "2023-12-01T09:00:00+00:00"
    for doc, report, claims, entities, found in (
        (nisc, nisc_report, (nisc_claim,), nisc_entities, ()),
        (ft, ft_report, (ft_claim,), ft_entities, ()),
        (record, record_report, (suspected, denied, not_attributed), record_entities, ()),
        (hostile, port_report, (lockbit,), hostile_entities, indicators),
    ):
        links = {report.id: PORT_INCIDENT if doc is hostile else INCIDENT}
        extraction = Extraction(
            doc_id=doc.id,
            entities=entities,
            indicators=found,
            incidents=(report,),
            claims=claims,
            vulnerabilities=vulnerabilities if doc is hostile else (),
            versions={"fixture": "1"},
        )
        store.save_document(doc, extraction, seen, Resolution(links=links))
    store.close()
    return Ledger(path, INCIDENT, PORT_INCIDENT, record.id, ft.id, nisc.id, hostile.id)
