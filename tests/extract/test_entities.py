from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from threatledger.config import Settings
from threatledger.extract.entities import extract_entities
from threatledger.extract.entity_rules import RULES
from threatledger.knowledge import KnowledgeBase, load_kb
from threatledger.model import Entity

if TYPE_CHECKING:
    from spacy.language import Language


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    root = tmp_path_factory.mktemp("kb")
    return load_kb(Settings(db=":memory:", cache_dir=root / "cache", kb_dir=root / "none"))


@pytest.fixture(scope="module")
def nlp() -> Language:
    from threatledger.nlp import load_english

    return load_english()


@pytest.fixture(scope="module")
def extract(nlp: Language, kb: KnowledgeBase) -> Callable[..., tuple[Entity, ...]]:
    def run(text: str, **kwargs: object) -> tuple[Entity, ...]:
        return extract_entities(nlp(text), kb, **kwargs)  # type: ignore[arg-type]

    return run


def _by_canonical(entities: tuple[Entity, ...]) -> dict[str, Entity]:
    return {e.canonical: e for e in entities}


def test_seed_article(seed_article: Path, extract: Callable[..., tuple[Entity, ...]]) -> None:
    text = seed_article.read_text(encoding="utf-8")
    ents = extract(text)
    found = _by_canonical(ents)
    nisc = found["National Center of Incident Readiness and Strategy for Cybersecurity"]
    assert nisc.type == "organization" and nisc.name == "NISC"
    assert "National Center of Incident Readiness and Strategy for Cybersecurity" in nisc.aliases
    assert sum(m.text == "NISC" for m in nisc.mentions) >= 4
    assert not any(e.canonical == "NISC" for e in ents)  # one entity, not two
    assert found["Japan"].kb_ref == "iso:JP"
    china = found["China"]
    assert (
        china.type == "country" and china.kb_ref == "iso:CN" and "Chinese" in {m.text for m in china.mentions}
    )
    usa = found["United States"]
    assert usa.type == "country" and {"U.S.", "United States"} <= {m.text for m in usa.mentions}
    for org in ("Financial Times", "Washington Post", "National Security Agency", "Port of Nagoya"):
        assert found[org].type == "organization", org
    lockbit = found["LockBit"]
    assert lockbit.type == "malware" and (lockbit.kb_ref or "").startswith("misp:")
    ministry = [e for e in ents if e.canonical.startswith("Ministry of Foreign Affairs")]
    assert ministry and ministry[0].country == "CN"
    for entity in ents:
        for m in entity.mentions:
            assert text[m.start : m.end] == m.text


def test_acronym_defined_later_and_reused(extract: Callable[..., tuple[Entity, ...]]) -> None:
    text = (
        "The Cybersecurity and Infrastructure Security Agency (CISA) issued an alert on Monday. "
        "CISA said the flaw was exploited. Officials at CISA declined to comment."
    )
    ents = [e for e in extract(text) if e.canonical == "Cybersecurity and Infrastructure Security Agency"]
    assert len(ents) == 1
    assert [m.text for m in ents[0].mentions].count("CISA") == 3


def test_common_words_are_not_aliases(extract: Callable[..., tuple[Entity, ...]]) -> None:
    text = (
        "We will play the game at home. The equation was solved. She opened Microsoft Defender "
        "and Internet Explorer to mimic the attack. The royal family met the ransomware victims."
    )
    types = {(e.type, e.name) for e in extract(text)}
    assert not any(t in {"threat-actor", "malware", "tool"} for t, _ in types), types


def test_cued_alias_and_actor(extract: Callable[..., tuple[Entity, ...]]) -> None:
    text = "Play ransomware hit the city. Analysts linked Fancy Bear, also known as APT28, to the attack on the energy sector."
    found = _by_canonical(extract(text))
    assert found["APT28"].type == "threat-actor" and {m.text for m in found["APT28"].mentions} == {
        "Fancy Bear",
        "APT28",
    }
    assert found["APT28"].country == "RU"
    assert any(e.type == "malware" and e.name == "Play" for e in found.values())
    assert any(e.type == "sector" and e.name == "energy sector" for e in found.values())


def test_model_spans_merge_through_kb(extract: Callable[..., tuple[Entity, ...]]) -> None:
    text = "The operators used Qbot and a new loader named Zorbex."
    start = text.index("Zorbex")
    spans = [
        (start, start + len("Zorbex"), "MALWARE"),
        (text.index("Qbot"), text.index("Qbot") + 4, "MALWARE"),
    ]
    found = {e.name: e for e in extract(text, model_spans=spans)}
    assert found["Zorbex"].type == "malware" and found["Zorbex"].kb_ref is None
    assert found["Qbot"].type == "malware" and found["Qbot"].kb_ref is not None


def test_annoctr_dev_smoke(shared_data: Path, extract: Callable[..., tuple[Entity, ...]]) -> None:
    folder = shared_data / "annoctr" / "text" / "dev"
    files = sorted(folder.glob("*.txt"))[:2]
    if not files:
        pytest.skip("AnnoCTR dev text absent")
    for path in files:
        text = path.read_text(encoding="utf-8")
        for entity in extract(text):
            assert all(text[m.start : m.end] == m.text for m in entity.mentions)


def test_merge_rules_model_type_and_new_name_filters(extract: Callable[..., tuple[Entity, ...]]) -> None:
    from threatledger.extract.entities import MergeRules

    text = "John Smith said the intruders ran XMRig and Zorbex, then Opera."

    def at(word: str, label: str) -> tuple[int, int, str]:
        return (text.index(word), text.index(word) + len(word), label)

    spans = [
        at("John Smith", "MALWARE"),
        at("XMRig", "TOOL"),
        at("Zorbex", "MALWARE"),
        at("Opera", "MALWARE"),
    ]
    off = {e.name: e.type for e in extract(text, model_spans=spans, rules=MergeRules())}
    assert off["XMRig"] == "malware" and off.get("Opera") == "malware"  # the knowledge base's type; no filter
    rules = MergeRules(model_type=True, new_person=2, new_zipf=4.0)
    on = {e.name: e.type for e in extract(text, model_spans=spans, rules=rules)}
    assert on["XMRig"] == "tool"  # the model's type on a span both found
    assert on["Zorbex"] == "malware"  # an unknown, name-like word stays
    assert on.get("Opera") != "malware"  # a common English word the knowledge base does not list
    assert on.get("John Smith") != "malware"  # a person, by spaCy


def test_merge_rules_type_word_trim(extract: Callable[..., tuple[Entity, ...]]) -> None:
    from threatledger.extract.entities import MergeRules

    text = "The Zorbex ransomware encrypted the files."
    span = [(text.index("Zorbex"), text.index(" encrypted"), "MALWARE")]
    found = extract(text, model_spans=span, rules=MergeRules(trim=frozenset({"ransomware"})))
    assert [m.text for e in found if e.type == "malware" for m in e.mentions] == ["Zorbex"]


def test_seed_article_with_the_cyber_model(seed_article: Path, nlp: Language, kb: KnowledgeBase) -> None:
    from threatledger.extract.cyberner import CyberNER

    model = CyberNER.load()
    if model is None:
        pytest.skip("the cyber NER model is not installed")
    text = seed_article.read_text(encoding="utf-8")
    ents = extract_entities(nlp(text), kb, model.predict(text))
    found = _by_canonical(ents)
    for org in ("Financial Times", "Washington Post", "National Security Agency", "Port of Nagoya"):
        assert found[org].type == "organization", org
    assert found["National Security Agency"].country == "US"
    assert found["United States"].type == "country"
    ministry = [e for e in ents if e.canonical.startswith("Ministry of Foreign Affairs")]
    assert ministry and ministry[0].country == "CN"
    assert not any(
        e.type in {"sector", "location"} and e.name in {"Financial Times", "Washington"} for e in ents
    )


def test_organisations_named_by_a_place_or_a_country_keep_their_names(
    nlp: Language, kb: KnowledgeBase
) -> None:
    text = "The Boston Herald said the U.K. National Cyber Security Centre saw the attack."
    boston = text.index("Boston")
    centre = text.index("U.K.")
    spans = [(boston, boston + 6, "LOC"), (centre, text.index(" saw"), "ORG")]
    found = _by_canonical(extract_entities(nlp(text), kb, spans))
    assert found["Boston Herald"].type == "organization"
    assert "Boston" not in found
    ncsc = found["National Cyber Security Centre"]
    assert ncsc.type == "organization" and ncsc.country == "GB"
    assert [m.text for m in ncsc.mentions] == ["U.K. National Cyber Security Centre"]


def test_organisations_only_spacy_names_are_kept_when_named_like_organisations(
    nlp: Language, kb: KnowledgeBase
) -> None:
    text = (
        "Japan's Cabinet Office did not respond to Recorded Future News. Emotet hit Lloyds Bank, Sky News "
        "reported. The Office said Acme Holdings was attacked."
    )
    emotet = text.index("Emotet")
    bank = text.index("Lloyds")
    # the model tags the malware and an organisation "Lloyds": a spaCy organisation over a model span is not added
    spans = [(emotet, emotet + 6, "MALWARE"), (bank, bank + 6, "ORG")]
    found = _by_canonical(extract_entities(nlp(text), kb, spans))
    for name in ("Cabinet Office", "Recorded Future News", "Sky News"):
        assert found[name].type == "organization", name
    assert "Lloyds Bank" not in found and found["Lloyds"].type == "organization"
    # one word, or a last word that names no kind of organisation: left to the model
    assert "Office" not in found and "Acme Holdings" not in found
    shipped_off = dataclasses.replace(RULES, spacy_orgs="never")
    assert "Sky News" not in _by_canonical(extract_entities(nlp(text), kb, spans, shipped_off))


def test_a_person_name_never_ends_in_a_lower_case_word(extract: Callable[..., tuple[Entity, ...]]) -> None:
    text = "Japan flag\nImage: Roméo A. via Unsplash\n\nThe report was written by Alexander Martin."
    ents = extract(text)
    people = {e.name for e in ents if e.type == "person"}
    assert not any(name.endswith(" via") for name in people)
    for entity in ents:
        for m in entity.mentions:
            assert text[m.start : m.end] == m.text


def test_a_cve_id_the_model_tags_is_no_entity(nlp: Language, kb: KnowledgeBase) -> None:
    text = "Fortinet also fixed CVE-2022-40684 in FortiOS."
    cve = text.index("CVE")
    ents = extract_entities(nlp(text), kb, [(cve, cve + 14, "MALWARE")])
    assert not any("CVE-2022-40684" in m.text for e in ents for m in e.mentions)
