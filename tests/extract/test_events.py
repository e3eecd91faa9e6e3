"""Event extractor: loading, slim installs, well-formed events, and one sanity sentence."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from threatledger.extract.events import (
    CASIE_TYPES,
    DEFAULT_MODEL_DIR,
    NAME,
    RULE_TYPES,
    VERSION,
    CueLexicon,
    Decoding,
    EventExtractor,
    TriggerWindow,
)
from threatledger.model import Entity, Event, Mention

ROLES = {
    "attacker", "attack_pattern", "capabilities", "compromised_data", "cve", "damage_amount", "discoverer",
    "issues_addressed", "number_of_data", "number_of_victim", "patch", "patch_number", "payment_method", "place",
    "price", "purpose", "releaser", "supported_platform", "time", "tool", "trusted_entity", "victim",
    "vulnerability", "vulnerable_system", "vulnerable_system_owner", "vulnerable_system_version",
}  # fmt: skip

TEXT = (
    "Hackers stole the personal data of 2 million customers from Acme Corp. "
    "The company said the attackers used a phishing email that pretended to come from its bank. "
    "Microsoft released a patch on Tuesday for CVE-2023-1234, a flaw in Windows 10 discovered by Google researchers."
)


@pytest.fixture(scope="module")
def extractor() -> EventExtractor:
    loaded = EventExtractor.load()
    if loaded is None:
        pytest.skip(f"event model not installed at {DEFAULT_MODEL_DIR}")
    return loaded


def test_name_and_version() -> None:
    assert NAME == "events"
    assert VERSION.count(".") == 2


def test_slim_install_returns_none(tmp_path: Path) -> None:
    assert EventExtractor.load(tmp_path) is None
    assert EventExtractor.load(tmp_path / "missing") is None


def test_model_loads_and_events_are_well_formed(extractor: EventExtractor) -> None:
    events = extractor.extract(TEXT)
    assert events
    for event in events:
        assert event.type in CASIE_TYPES + RULE_TYPES
        assert event.realis in {"actual", "generic", "other"}
        t = event.trigger
        assert 0 <= t.start < t.end <= len(TEXT)
        assert TEXT[t.start : t.end] == t.text
        if event.type in RULE_TYPES:
            assert event.arguments == ()
        for arg in event.arguments:
            assert arg.role in ROLES
            assert 0 <= arg.start < arg.end <= len(TEXT)
            assert TEXT[arg.start : arg.end] == arg.text


def test_data_breach_sentence(extractor: EventExtractor) -> None:
    events = extractor.extract("Hackers stole the personal data of 2 million customers from Acme Corp.")
    breaches = [e for e in events if e.type == "data-breach"]
    assert breaches, events
    assert any(e.trigger.text.lower() in {"stole", "stole the personal data"} for e in breaches)


def test_entity_ids_link_overlapping_arguments(extractor: EventExtractor) -> None:
    text = "Hackers stole the personal data of 2 million customers from Acme Corp."
    start = text.index("Acme Corp")
    acme = Entity(
        id="organization:acme", type="organization", name="Acme Corp", canonical="Acme Corp",
        mentions=(Mention(start, start + 9, "Acme Corp"),),
    )  # fmt: skip
    events = extractor.extract(text, [acme])
    linked = [a for e in events for a in e.arguments if a.start < start + 9 and start < a.end]
    assert all(a.entity == "organization:acme" for a in linked)
    unlinked = [a for e in events for a in e.arguments if not (a.start < start + 9 and start < a.end)]
    assert all(a.entity is None for a in unlinked)


def test_empty_and_batched_texts(extractor: EventExtractor) -> None:
    assert extractor.extract("") == ()
    batch = extractor.extract_many([TEXT, "", "Nothing happened today."])
    assert len(batch) == 3
    assert batch[0] == extractor.extract(TEXT)


def test_trigger_window_round_trip() -> None:
    text = "One. Hackers stole the data of Acme. Three here. Four."
    sentences = [(0, 4), (5, 36), (37, 48), (49, 54)]
    start = text.index("stole")
    window = TriggerWindow.around(text, sentences, start, start + 5, "data-breach", context=1)
    assert "[[ databreach stole ]]" in window.text
    assert window.text.startswith("One") and "Four" not in window.text
    acme = text.index("Acme")
    ws, we = window.to_window(acme, acme + 4)
    assert window.text[ws:we] == "Acme"
    assert window.to_document(ws, we) == (acme, acme + 4)
    marker = window.text.index("[[")
    assert window.to_document(marker, marker + 2) is None


def test_trigger_window_reads_the_sentence_before() -> None:
    text = "One. Hackers stole the data of Acme. Three here. Four."
    sentences = [(0, 4), (5, 36), (37, 48), (49, 54)]
    start = text.index("stole")
    window = TriggerWindow.around(text, sentences, start, start + 5, "data-breach", context=0, before=1)
    assert window.text.startswith("One.") and "Three" not in window.text
    alone = TriggerWindow.around(text, sentences, start, start + 5, "data-breach", context=0)
    assert alone.text.startswith("Hackers")


def test_decoding_round_trips_through_json() -> None:
    decoding = Decoding(trigger_bias=1.0, argument_bias=2.0, type_bias={"phishing": -0.5}, short_sentence=60)
    assert Decoding.from_json(decoding.to_json()) == decoding
    assert Decoding.from_json({}) == Decoding()


def test_recall_biases_add_arguments_and_leave_the_model_as_loaded(extractor: EventExtractor) -> None:
    base = extractor.with_decoding(replace(extractor.decoding, argument_bias=0.0, trigger_bias=0.0))
    plain = base.extract(TEXT)
    eager = base.with_decoding(replace(base.decoding, argument_bias=3.0, trigger_bias=2.0))
    more = eager.extract(TEXT)
    assert len({e.trigger for e in more}) >= len({e.trigger for e in plain})
    assert sum(len(e.arguments) for e in more) >= sum(len(e.arguments) for e in plain)
    assert eager.with_decoding(base.decoding).extract(TEXT) == plain
    extractor.with_decoding(extractor.decoding)  # back to the shipped settings for the other tests


def test_harvested_arguments_join_events_and_add_none(extractor: EventExtractor) -> None:
    text = TEXT + " Attackers also stole the passwords of its staff."
    without = extractor.with_decoding(replace(extractor.decoding, harvest=False)).extract(text)
    with_ = extractor.with_decoding(replace(extractor.decoding, harvest=True)).extract(text)
    extractor.with_decoding(extractor.decoding)
    assert [e.trigger for e in with_] == [e.trigger for e in without]
    for a, b in zip(without, with_, strict=True):
        assert set(a.arguments) <= set(b.arguments)


def test_strong_cue_phrases_and_best_cue() -> None:
    decoding = Decoding(
        cues={"ransomware": ("pay", "ransom demand")},
        strong_cues={"ransomware": {"ransom": 0.99, "pay": 0.8}},
        strong_precision=0.9,
    )
    assert Decoding.from_json(decoding.to_json()) == decoding
    lexicon = CueLexicon(decoding)
    assert lexicon.is_strong("ransomware", "paid the Ransom")
    assert not lexicon.is_strong("ransomware", "pay")  # below the precision asked for
    assert not lexicon.is_strong("phishing", "ransom")
    assert CueLexicon(replace(decoding, strong_precision=0.5)).is_strong("ransomware", "pay them")
    text = "They sent a ransom demand. The firm did not pay. Others pay."
    best = lexicon.best_cue("ransomware", text)
    assert best is not None and best.group(0) == "pay" and best.start() == text.index("pay")
    assert lexicon.best_cue("phishing", text) is None


def _filter_closed(decoding: Decoding, **kept: Any) -> Decoding:
    """``decoding`` with every way past the document-type filter shut, except the settings in ``kept``."""
    closed: dict[str, Any] = {
        "keep_threshold": 1.01,
        "keep_count": 99,
        "add_threshold": 1.01,
        "strong_precision": 1.01,
        "phrase_keep": 1.01,
        "rule_types": False,
    }
    return replace(decoding, **{**closed, **kept})


BREACH = "Hackers stole the personal data of 2 million customers from Acme Corp."


def test_strong_cues_keep_triggers_the_document_filter_drops(extractor: EventExtractor) -> None:
    closed = _filter_closed(extractor.decoding)
    assert extractor.with_decoding(closed).extract(BREACH) == ()
    strong = replace(closed, strong_cues={"data-breach": {"stole": 0.99}}, strong_precision=0.9)
    events = extractor.with_decoding(strong).extract(BREACH)
    extractor.with_decoding(extractor.decoding)
    assert events and {e.type for e in events} == {"data-breach"}


def test_precise_trigger_phrases_keep_triggers_the_document_filter_drops(extractor: EventExtractor) -> None:
    def run(phrases: dict[str, dict[str, float]], at_least: float) -> tuple[Event, ...]:
        closed = _filter_closed(extractor.decoding, trigger_phrases=phrases, phrase_keep=at_least)
        return extractor.with_decoding(closed).extract(BREACH)

    assert run({}, 0.7) == ()
    kept = run({"data-breach": {"stole": 0.8}}, 0.7)
    stricter = run({"data-breach": {"stole": 0.8}}, 0.9)  # below the precision asked for
    wrong = run({"phishing": {"stole": 0.99}}, 0.7)  # a phrase of another type
    extractor.with_decoding(extractor.decoding)
    assert [(e.type, e.trigger.text) for e in kept] == [("data-breach", "stole")]
    assert stricter == () and wrong == ()


def test_a_likely_type_without_trigger_gets_one_at_its_best_cue(extractor: EventExtractor) -> None:
    text = "The company did not pay. Hackers later asked for a ransom demand in bitcoin, and it did not pay."
    cues = {"ransomware": ("ransom demand", "pay")}
    never = extractor.with_decoding(_filter_closed(extractor.decoding, cues=cues)).extract(text)
    always = extractor.with_decoding(
        _filter_closed(extractor.decoding, add_threshold=0.0, cues=cues)
    ).extract(text)
    extractor.with_decoding(extractor.decoding)
    assert never == ()
    assert [(e.type, e.trigger.text) for e in always] == [("ransomware", "ransom demand")]


def test_arguments_read_at_strong_cue_phrases_add_no_event(extractor: EventExtractor) -> None:
    text = TEXT + " The stolen records included passwords of its staff."
    strong = {"data-breach": {"records": 0.99, "passwords": 0.99}}
    plain = replace(extractor.decoding, strong_cues=strong, strong_precision=0.98, harvest_strong=False)
    without = extractor.with_decoding(plain).extract(text)
    with_ = extractor.with_decoding(replace(plain, harvest_strong=True)).extract(text)
    extractor.with_decoding(extractor.decoding)
    assert [e.trigger for e in with_] == [e.trigger for e in without]
    for a, b in zip(without, with_, strict=True):
        assert set(a.arguments) <= set(b.arguments)


def test_main_prints_the_same_lines_in_worker_processes(
    extractor: EventExtractor, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from threatledger.extract.events import main

    sentences = TEXT.split(". ")
    for i in range(20):  # more than one chunk of 16 files
        (tmp_path / f"doc{i:02d}.txt").write_text(". ".join(sentences[i % 3 :] + sentences[: i % 3]), "utf-8")
    assert main([str(tmp_path)]) == 0
    one = capsys.readouterr().out.splitlines()
    assert main([str(tmp_path), "--processes", "2"]) == 0
    two = capsys.readouterr().out.splitlines()
    assert len(one) == 20 and [line.split('"')[3] for line in one] == [f"doc{i:02d}" for i in range(20)]
    assert two == one
