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


def run(nlp: Any, text: str, dates: tuple[TimeExpression, ...], published: str | None = None) -> Any:
    document = Document(
        id=make_id("document", sha256=text_sha256(text)),
        text=text,
        sha256=text_sha256(text),
        published=published,
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
