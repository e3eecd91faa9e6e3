"""Attribution claims: stance, claimant, cites and actor resolution on short articles and the seed article."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from threatledger.extract.claims import extract_claims
from threatledger.extract.incidents import claim_json
from threatledger.model import Claim, Entity, Mention
from threatledger.nlp import load_english


@pytest.fixture(scope="module")
def nlp() -> Any:
    return load_english()


def claims_of(nlp: Any, text: str, kb: object | None = None) -> tuple[Claim, ...]:
    return extract_claims("doc", nlp(text), (), kb)


def only(claims: tuple[Claim, ...]) -> Claim:
    attributed = [c for c in claims if c.stance != "not-attributed"]
    assert len(attributed) == 1, [(c.actor.text, c.stance) for c in claims]
    return attributed[0]


@pytest.mark.parametrize(
    ("text", "actor", "stance", "claimant"),
    [
        (
            "Security firm Mandiant said the Lazarus Group was behind the attack on the bank.",
            "Lazarus Group",
            "asserted",
            "Security firm Mandiant",
        ),
        (
            "Investigators believe Iranian hackers were responsible for the breach at the water utility.",
            "Iranian hackers",
            "suspected",
            "Investigators",
        ),
        (
            "The intrusion was carried out by APT41, the agency said in a statement.",
            "APT41",
            "asserted",
            "the agency",
        ),
        (
            "The ransomware gang BlackCat claimed responsibility for the attack on the casino.",
            "BlackCat",
            "claimed-responsibility",
            None,
        ),
        (
            "The outage at the airport was allegedly caused by hackers tied to North Korea.",
            "North Korea",
            "suspected",
            None,
        ),
        (
            "The Kremlin has denied any involvement in the attack on the ministry.",
            "Kremlin",
            "denied",
            "The Kremlin",
        ),
    ],
)
def test_stance_actor_and_claimant(
    nlp: Any, text: str, actor: str, stance: str, claimant: str | None
) -> None:
    claim = only(claims_of(nlp, text))
    assert actor in claim.actor.text
    assert claim.stance == stance
    if claimant is None:
        assert stance == "claimed-responsibility" or claim.claimant is None
    else:
        assert claim.claimant is not None and claim.claimant.text == claimant


def test_states_and_nationalities_resolve_to_countries(nlp: Any) -> None:
    claim = only(claims_of(nlp, "Officials said Chinese hackers breached the defence ministry last spring."))
    assert (claim.actor.kind, claim.actor.canonical) == ("state", "China")


def test_actor_canonical_from_knowledge_base(nlp: Any) -> None:
    @dataclass
    class Target:
        canonical: str

    class KB:
        def resolve(self, name: str) -> Target | None:
            return Target("APT28") if "fancy bear" in name.lower() else None

    claim = only(claims_of(nlp, "Fancy Bear hacked the anti-doping agency, the agency said on Monday.", KB()))
    assert claim.actor.canonical == "APT28"
    assert claim.actor.kind == "group"


@pytest.mark.parametrize(
    "text",
    [
        "If the attackers are Russian, this is a warning shot, the analyst said.",
        "APT29 typically targets diplomatic entities with phishing emails.",
        "Greenbug tends to use phishing emails to infect victims.",
        "The city did not respond to requests for comment about the Russian hackers.",
        "Cyberattacks are a way for North Korea to punch above its weight.",
    ],
)
def test_no_claims_from_hypotheticals_habits_or_no_comment(nlp: Any, text: str) -> None:
    assert [c for c in claims_of(nlp, text) if c.stance != "not-attributed"] == []


def test_not_attributed(nlp: Any) -> None:
    (claim,) = claims_of(nlp, "The hospital has not publicly attributed the ransomware attack.")
    assert claim.stance == "not-attributed"
    assert claim.claimant is not None and claim.claimant.text == "The hospital"


def test_claim_ids_are_deterministic_and_json_matches_the_scorer(nlp: Any) -> None:
    text = "Security firm Mandiant said the Lazarus Group was behind the attack on the bank."
    first, second = claims_of(nlp, text), claims_of(nlp, text)
    assert [c.id for c in first] == [c.id for c in second]
    data = claim_json(first[0])
    assert set(data) >= {"incident", "claimant", "cites", "actor", "stance", "evidence"}
    assert text[data["actor"]["start"] : data["actor"]["end"]] == data["actor"]["text"]
    assert data["evidence"]["text"] == text


def test_seed_article_claims(nlp: Any, seed_article: Path) -> None:
    text = seed_article.read_text(encoding="utf-8")
    claims = claims_of(nlp, text)

    def find(stance: str, canonical: str | None, claimant: str | None) -> Claim:
        for c in claims:
            named = c.claimant.text if c.claimant else None
            if c.stance == stance and c.actor.canonical == canonical and named == claimant:
                return c
        raise AssertionError([(c.stance, c.actor.canonical, c.claimant) for c in claims])

    ft = find("suspected", "China", "the Financial Times")
    assert ft.actor.text == "state-backed Chinese hackers"
    assert ft.cites is not None and ft.cites.text.startswith("three government and private sector sources")
    find("not-attributed", None, "NISC")
    denied = find("denied", "China", "China’s ministry of foreign affairs")
    assert denied.actor.kind == "state"
    lockbit = find("asserted", "LockBit", "the port authorities")
    assert lockbit.actor.kind == "criminal-org"
    experts = find("suspected", "China", "the newspaper")
    assert experts.cites is not None and experts.cites.text == "government cyber experts"
    find("asserted", "China", "the Financial Times")
    promo = text.index("Get more insights")
    assert all(c.evidence.start < promo for c in claims)


@pytest.mark.parametrize(
    ("text", "actor", "stance", "claimant"),
    [
        # participial appositive: the hedge is about the tie to the state, the breach is stated
        (
            "The Cozy Bear operators, thought to be tied to Russia's SVR, have breached the embassy network.",
            "The Cozy Bear operators",
            "asserted",
            None,
        ),
        (
            "The Cozy Bear operators, thought to be tied to Russia's SVR, have breached the embassy network.",
            "SVR",
            "suspected",
            None,
        ),
        ("Soon after the outage, Iran fell under suspicion.", "Iran", "suspected", None),
        (
            "The wiper bears the hallmarks of the Sandworm group, analysts said.",
            "Sandworm",
            "suspected",
            "analysts",
        ),
        (
            "The phishing wave is consistent with earlier operations by APT33, the researchers said.",
            "APT33",
            "suspected",
            "the researchers",
        ),
        (
            "The Akira gang uploaded the payroll files to its leak site on Friday.",
            "Akira",
            "claimed-responsibility",
            "The Akira gang",
        ),
        (
            "The Medusa gang named the school district as a victim.",
            "Medusa",
            "claimed-responsibility",
            "The Medusa gang",
        ),
        (
            "The Rhysida gang said it had breached the library's servers.",
            "Rhysida",
            "claimed-responsibility",
            "The Rhysida gang",
        ),
        (
            "Analysts questioned the claim that APT41 was behind the outage.",
            "APT41",
            "disputed",
            "Analysts",
        ),
        (
            "Two researchers cast doubt on the theory that North Korean hackers stole the funds.",
            "North Korean hackers",
            "disputed",
            "Two researchers",
        ),
        (
            "There is no evidence that Iran was involved in the intrusion, the minister said.",
            "Iran",
            "disputed",
            "the minister",
        ),
        (
            "The vendor was confident APT29 was responsible for the theft.",
            "APT29",
            "asserted",
            "The vendor",
        ),
    ],
)
def test_hedges_disputes_and_claims_of_responsibility(
    nlp: Any, text: str, actor: str, stance: str, claimant: str | None
) -> None:
    claims = [c for c in claims_of(nlp, text) if actor in c.actor.text]
    assert claims, [(c.actor.text, c.stance) for c in claims_of(nlp, text)]
    claim = claims[0]
    assert "confident" not in claim.actor.text
    assert claim.stance == stance
    named = claim.claimant.text if claim.claimant else None
    assert named == claimant


@pytest.mark.parametrize(
    "text",
    [
        "The Play gang hinted on its channel that it might be trying to extort the city next.",
        "If APT41 was behind the outage, the damage will be larger, the analyst said.",
        "The Akira gang can post stolen files on its leak site within hours.",
        "The Akira gang can breach a network within hours.",
        "APT41 could wipe the grid controllers if it wanted to.",
    ],
)
def test_no_claims_from_plans_and_conditionals(nlp: Any, text: str) -> None:
    assert [c for c in claims_of(nlp, text) if c.stance != "not-attributed"] == []


def _entities(text: str, names: dict[str, str]) -> tuple[Entity, ...]:
    """Hand-made entities: every occurrence of each name, typed as given."""
    out = []
    for name, etype in names.items():
        spans = [m.start() for m in re.finditer(re.escape(name), text)]
        mentions = tuple(Mention(start=s, end=s + len(name), text=name) for s in spans)
        out.append(Entity(id=f"entity--{name}", type=etype, name=name, canonical=name, mentions=mentions))
    return tuple(out)


@pytest.mark.parametrize(
    ("text", "names", "claimant", "entity"),
    [
        (
            "The Daily Courier reported the intrusion at Harbor Bank on Tuesday. "
            "The paper said Chinese hackers were behind the intrusion.",
            {"The Daily Courier": "organization", "Harbor Bank": "organization"},
            "The paper",
            "The Daily Courier",
        ),
        (
            "Kestrel Security studied the wiper for weeks. It said the Sandworm group deployed the wiper.",
            {"Kestrel Security": "organization"},
            "It",
            "Kestrel Security",
        ),
        (
            "Dana Ortiz leads the response team at Nordmark. She said APT41 was behind the intrusion.",
            {"Dana Ortiz": "person", "Nordmark": "organization"},
            "She",
            "Dana Ortiz",
        ),
        (
            "The Cyber Security Agency and Nordmark Logistics met on Monday. "
            "The agency said North Korean hackers stole the shipping records.",
            {"The Cyber Security Agency": "organization", "Nordmark Logistics": "organization"},
            "The agency",
            "The Cyber Security Agency",
        ),
    ],
)
def test_anaphoric_claimants_resolve_to_earlier_names(
    nlp: Any, text: str, names: dict[str, str], claimant: str, entity: str
) -> None:
    claim = only(extract_claims("doc", nlp(text), _entities(text, names)))
    assert claim.claimant is not None and claim.claimant.text == claimant
    assert text[claim.claimant.start : claim.claimant.end] == claimant  # the span stays on the mention
    assert claim.claimant_entity == f"entity--{entity}"


def test_pronoun_refusal_to_attribute_resolves(nlp: Any) -> None:
    text = "The Harbor Water Authority confirmed the ransomware attack. It has not publicly attributed the attack."
    claims = extract_claims("doc", nlp(text), _entities(text, {"The Harbor Water Authority": "organization"}))
    (refusal,) = [c for c in claims if c.stance == "not-attributed"]
    assert refusal.claimant is not None and refusal.claimant.text == "It"
    assert refusal.claimant_entity == "entity--The Harbor Water Authority"


def test_anonymous_sources_told_an_outlet_are_cited(nlp: Any) -> None:
    text = "Government and private sector sources told the Daily Courier that Iranian hackers were behind the breach."
    claim = only(claims_of(nlp, text))
    assert claim.claimant is not None and claim.claimant.text == "the Daily Courier"
    assert claim.cites is not None and claim.cites.text == "Government and private sector sources"


@pytest.mark.parametrize(
    ("text", "claimant"),
    [
        ("Outages at the port that investigators attributed to APT33 lasted two days.", "investigators"),
        ("The bank complained about the intrusions, blaming the Lazarus Group for the theft.", "The bank"),
        (
            "The hack was confirmed by Kestrel Security, whose analysts linked it to APT29.",
            "Kestrel Security",
        ),
    ],
)
def test_claimants_of_relative_and_participle_clauses(nlp: Any, text: str, claimant: str) -> None:
    claim = only(claims_of(nlp, text))
    assert claim.claimant is not None and claim.claimant.text == claimant


def test_cited_sources_in_quotes_are_cited_without_the_quotes(nlp: Any) -> None:
    text = "The paper reported “government security officials” now believed North Korean hackers were behind the theft."
    claim = only(claims_of(nlp, text))
    assert claim.cites is not None and claim.cites.text == "government security officials"
    assert text[claim.cites.start : claim.cites.end] == claim.cites.text


def test_actor_inside_a_predicate_noun_keeps_the_speaker(nlp: Any) -> None:
    text = "Analyst Maria Lopez believes the intruders are contractors working for the Iranian government."
    claim = only(claims_of(nlp, text))
    assert claim.actor.text == "the Iranian government" and claim.stance == "suspected"
    assert claim.claimant is not None and claim.claimant.text.endswith("Maria Lopez")


def test_a_ransomware_name_claiming_an_attack_speaks_for_its_gang(nlp: Any) -> None:
    text = "Cl0p claimed to have stolen files from the insurer, and researchers said Emotet was used in the intrusion."

    def malware(name: str) -> Entity:
        start = text.index(name)
        return Entity(f"entity--{name}", "malware", name, name, (Mention(start, start + len(name), name),))

    claims = extract_claims("doc", nlp(text), (malware("Cl0p"), malware("Emotet")), None)
    attributed = [(c.actor.text, c.stance) for c in claims if c.stance != "not-attributed"]
    assert attributed == [("Cl0p", "claimed-responsibility")]


@pytest.mark.parametrize(
    ("text", "actor", "stance"),
    [
        (
            "Sandworm is best known for its suspected role in hacking the Kyiv power grid.",
            "Sandworm",
            "suspected",
        ),
        ("The sanctions target North Korea for its role in the WannaCry attack.", "North Korea", "asserted"),
    ],
)
def test_an_actors_own_role_in_an_attack_is_a_claim(nlp: Any, text: str, actor: str, stance: str) -> None:
    start = text.index(actor)
    entity = Entity("entity--a", "threat-actor", actor, actor, (Mention(start, start + len(actor), actor),))
    claims = [c for c in extract_claims("doc", nlp(text), (entity,), None) if c.stance != "not-attributed"]
    assert [(c.actor.text, c.stance) for c in claims] == [(actor, stance)]


def test_a_role_in_stopping_an_attack_is_no_claim(nlp: Any) -> None:
    assert not [
        c
        for c in claims_of(nlp, "Officials praised Ukraine for its role in stopping the attack.")
        if c.stance != "not-attributed"
    ]
