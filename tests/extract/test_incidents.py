"""Incidents: segmentation by victim, timeline slots from the governing verbs, dwell time, statements, JSON."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from threatledger.extract.incidents import extract_incidents, incident_json
from threatledger.extract.timeline import duration_days, dwell_days
from threatledger.ids import make_id, text_sha256
from threatledger.model import DatePoint, Document, Extraction, Incident, Mention, TimeExpression
from threatledger.nlp import load_english


@pytest.fixture(scope="module")
def nlp() -> Any:
    return load_english()


def date(text: str, phrase: str, value: str, granularity: str, kind: str = "date") -> TimeExpression:
    start = text.index(phrase)
    return TimeExpression(phrase, start, start + len(phrase), value, granularity, kind)


def run(
    nlp: Any,
    text: str,
    dates: tuple[TimeExpression, ...],
    published: str | None = None,
    title: str | None = None,
) -> Any:
    document = Document(
        id=make_id("document", sha256=text_sha256(text)),
        text=text,
        sha256=text_sha256(text),
        published=published,
        title=title,
    )
    return extract_incidents(document, nlp(text), Extraction(doc_id=document.id, dates=dates))


def by_victim(incidents: tuple[Incident, ...], name: str) -> Incident:
    for incident in incidents:
        if any(name in v.name for v in incident.victims):
            return incident
    raise AssertionError([v.name for i in incidents for v in i.victims])


def test_timeline_slots_follow_verbs_and_dwell_is_computed(nlp: Any) -> None:
    text = (
        "Northwind Bank said on Friday that attackers breached its payment network in March 2021. "
        "The intrusion was discovered in June 2021 by an outside auditor."
    )
    dates = (date(text, "March 2021", "2021-03", "month"), date(text, "June 2021", "2021-06", "month"))
    incidents, _ = run(nlp, text, dates, published="2021-07-02")
    (incident,) = incidents
    assert incident.timeline["compromised"].value == "2021-03"
    assert incident.timeline["discovered"].value == "2021-06"
    assert incident.timeline["reported"] == DatePoint("2021-07-02", "day", Mention(0, 0, ""))
    assert incident.dwell_days == 90


def test_separate_victims_make_separate_incidents(nlp: Any) -> None:
    text = (
        "Hackers hit the Port of Oslo in May, halting container traffic for two days. "
        "In another incident, ransomware operators hit Bergen General Hospital last week."
    )
    incidents, _ = run(nlp, text, ())
    assert len(incidents) == 2
    port, hospital = by_victim(incidents, "Oslo"), by_victim(incidents, "Hospital")
    assert port.victims[0].sector == "transportation"
    assert hospital.victims[0].sector == "healthcare"
    assert hospital.type == "ransomware"
    assert port.id != hospital.id


def test_stated_duration_gives_dwell_with_one_dated_end(nlp: Any) -> None:
    text = (
        "Intruders compromised the hospital's network for six months before being detected, officials said."
    )
    incidents, _ = run(nlp, text, (date(text, "six months", "P6M", "duration", "duration"),))
    assert incidents[0].dwell_days == 180


def test_dwell_arithmetic() -> None:
    evidence = Mention(0, 0, "")
    assert duration_days("P9M") == 270
    assert duration_days("P1Y2W") == 379
    assert duration_days("2023") is None
    assert dwell_days(DatePoint("2022-10", "month", evidence), DatePoint("2023-07", "month", evidence)) == 270
    assert dwell_days(DatePoint("2020", "year", evidence), DatePoint("2021-05-01", "day", evidence)) == 365
    assert (
        dwell_days(DatePoint("2021-01-01", "day", evidence), DatePoint("2021-01-31", "day", evidence)) == 30
    )


def seed_dates(text: str) -> tuple[TimeExpression, ...]:
    return (
        date(text, "Tuesday", "2023-08-29", "day"),
        date(text, "nine months", "P9M", "duration", "duration"),
        date(text, "August", "2023-08", "month"),
        date(text, "October last year", "2022-10", "month"),
        date(text, "2020", "2020", "year"),
        date(text, "earlier this year", "2023", "year"),
    )


def test_seed_article_incidents(nlp: Any, seed_article: Path) -> None:
    text = seed_article.read_text(encoding="utf-8")
    incidents, claims = run(nlp, text, seed_dates(text), published="2023-08-29")
    assert len(incidents) == 3
    nisc = by_victim(incidents, "NISC")
    victim = nisc.victims[0]
    assert (victim.name, victim.country, victim.sector) == ("NISC", "JP", "government")
    assert nisc.timeline["compromised"].value == "2022-10"
    assert nisc.timeline["compromised"].evidence.text == "October last year"
    assert nisc.timeline["disclosed"].value == "2023-08"
    assert nisc.timeline["reported"].value == "2023-08-29"
    assert nisc.dwell_days == 270
    assert any("personal data linked to email exchanges" in m.text for m in nisc.compromised_data)
    (statement,) = nisc.statements
    assert statement["kind"] == "disputed-scope" and statement["claimant"]["text"] == "NISC"
    assert "China" in nisc.attackers

    defense = by_victim(incidents, "defense networks")
    assert defense.timeline["compromised"].value == "2020"
    port = by_victim(incidents, "Nagoya")
    assert port.timeline["compromised"].value == "2023"
    assert {"China", "LockBit"} <= set(port.attackers)

    incident_of = {c.actor.canonical: c.incident for c in claims if c.stance == "asserted"}
    assert incident_of["LockBit"] == port.id
    assert {c.incident for c in claims if c.stance == "denied"} == {nisc.id}
    assert all(c.incident in {i.id for i in incidents} for c in claims)


def test_incident_json_and_deterministic_ids(nlp: Any, seed_article: Path) -> None:
    text = seed_article.read_text(encoding="utf-8")
    first, _ = run(nlp, text, seed_dates(text), published="2023-08-29")
    second, _ = run(nlp, text, seed_dates(text), published="2023-08-29")
    assert [i.id for i in first] == [i.id for i in second]
    data = incident_json(by_victim(first, "NISC"))
    assert set(data) == {
        "id",
        "type",
        "title",
        "victims",
        "attackers",
        "timeline",
        "dwell_days",
        "compromised_data",
        "statements",
    }
    compromised = data["timeline"]["compromised"]
    assert compromised == {
        "value": "2022-10",
        "granularity": "month",
        "evidence": {
            "text": "October last year",
            "start": compromised["evidence"]["start"],
            "end": compromised["evidence"]["end"],
        },
    }
    assert data["victims"][0]["name"] == "NISC"


@pytest.mark.parametrize(
    ("text", "victim", "kind"),
    [
        (
            "Granite Motors halted production after a cyberattack hit its manufacturing systems on Saturday.",
            "Granite Motors",
            None,
        ),
        (
            "Attackers compromised the update server of Ionic Cloud, a maker of backup software, the company said.",
            "Ionic Cloud",
            None,
        ),
        (
            "Credential stuffing attacks drained miles from 6,000 Juniper Air accounts last week, the airline said.",
            "Juniper Air",
            None,
        ),
        (
            "Granite Motors patched a vulnerability in its connected car app after researchers reported the flaw.",
            "Granite Motors",
            "vulnerability-patch",
        ),
    ],
)
def test_victim_is_the_organisation(nlp: Any, text: str, victim: str, kind: str | None) -> None:
    incidents, _ = run(nlp, text, ())
    assert [v.name for i in incidents for v in i.victims] == [victim]
    if kind is not None:
        assert incidents[0].type == kind


def test_generic_nouns_are_no_victims(nlp: Any) -> None:
    text = "North Korea has denied involvement in past attacks on banks."
    incidents, _ = run(nlp, text, ())
    assert incidents == ()


def victim_names(incidents: tuple[Incident, ...]) -> list[str]:
    return [v.name for i in incidents for v in i.victims]


def test_dateline_outlet_is_no_victim(nlp: Any) -> None:
    # the parser links the headline's verb to the outlet on the next line; that link is no statement
    text = (
        "Hackers hit Vale County courts\n\n"
        "Riverbend Tribune, published 2024-02-10\n\n"
        "Vale County said on Friday that hackers had encrypted files on court computers.\n"
    )
    incidents, _ = run(nlp, text, (date(text, "2024-02-10", "2024-02-10", "day"),), published="2024-02-10")
    assert victim_names(incidents) == ["Vale County"]


def test_byline_outlet_never_becomes_a_victim(nlp: Any) -> None:
    text = (
        "Ransomware shuts county courts\n\n"
        "By Mara Quinn, Harlow News Network\n\n"
        "Court hearings in Vale were postponed on Friday. "
        "Harlow News Network reported that hackers had encrypted files on court computers."
    )
    incidents, _ = run(nlp, text, ())
    assert "Harlow News Network" not in victim_names(incidents)


def test_source_cited_with_according_to_is_no_victim(nlp: Any) -> None:
    text = (
        "Hackers stole customer records from a payment processor last month, according to Tidewater Media. "
        "Tidewater Media said hackers had stolen the records through a phishing email."
    )
    incidents, _ = run(nlp, text, ())
    assert "Tidewater Media" not in victim_names(incidents)


def test_headline_description_joins_the_body_incident(nlp: Any) -> None:
    title = "Ransomware attack on Norway's cyber agency: what we know"
    text = (
        f"{title}\n\n"
        "Attackers breached Norway's Digital Resilience Office (DRO) in January, officials said on Monday.\n"
    )
    incidents, _ = run(nlp, text, (), title=title)
    (incident,) = incidents
    assert victim_names(incidents) == ["Digital Resilience Office"]
    assert incident.type == "ransomware"  # the headline's words count for the incident it describes


def test_headline_names_the_incident_when_the_body_does_not(nlp: Any) -> None:
    title = "Ransomware crew breached Norway's cyber agency"
    text = (
        f"{title}\n\nThe agency said on Monday that files on its email servers were encrypted in January.\n"
    )
    incidents, _ = run(nlp, text, (), title=title)
    assert victim_names(incidents) == ["Norway's cyber agency"]


def test_product_exploited_is_a_system_not_a_victim(nlp: Any) -> None:
    text = (
        "Attackers exploited CVE-2024-1111 in a Pellucid Gateway appliance to break into the network of "
        "Marlow Freight, the company said."
    )
    incidents, _ = run(nlp, text, ())
    assert victim_names(incidents) == ["Marlow Freight"]


def test_flawed_product_is_named_in_full(nlp: Any) -> None:
    text = "A critical flaw in the Quillon VPN server, tracked as CVE-2024-2222, lets attackers run commands."
    incidents, _ = run(nlp, text, ())
    (incident,) = incidents
    assert victim_names(incidents) == ["Quillon VPN server"]
    assert incident.type == "vulnerability-discovery"


@pytest.mark.parametrize(
    ("text", "victim", "country"),
    [
        (
            "Ransomware crippled Cascade Valley Water, an Oregon utility, on Monday.",
            "Cascade Valley Water",
            "US",
        ),
        ("Hackers breached the Lakeshore Credit Union, an Ontario lender, last month.", "Lakeshore", "CA"),
        ("Hackers breached Kutaisi Savings Bank, a Georgian lender, last month.", "Kutaisi", "GE"),
    ],
)
def test_victim_country_from_a_state_or_province(nlp: Any, text: str, victim: str, country: str) -> None:
    incidents, _ = run(nlp, text, ())
    assert by_victim(incidents, victim).victims[0].country == country


@pytest.mark.parametrize(
    ("text", "victim", "sector"),
    [
        (
            "Ransomware hit the Cascade Water Authority, a water utility in Idaho, on Monday.",
            "Cascade",
            "water",
        ),
        (
            "Hackers breached Nordlink Telecom, a broadband provider, last week.",
            "Nordlink",
            "telecommunications",
        ),
        ("Hackers breached Ridge Electric, a power utility, last week.", "Ridge", "energy"),
    ],
)
def test_victim_sector_words(nlp: Any, text: str, victim: str, sector: str) -> None:
    incidents, _ = run(nlp, text, ())
    assert by_victim(incidents, victim).victims[0].sector == sector
