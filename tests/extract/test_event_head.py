"""The argument head: decoding of word tags into spans, its input rows, its file, and its place in the extractor."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from threatledger.extract.encoder import ENCODER_ENV
from threatledger.extract.event_decoding import CASIE_TYPES
from threatledger.extract.event_head import (
    BUCKETS,
    MAX_WORDS,
    ArgumentHead,
    Mlp,
    TriggerHead,
    features,
    spans,
    window,
    word_rows,
)
from threatledger.extract.events import DEFAULT_MODEL_DIR, EventExtractor

TEXT = (
    "Hackers stole the personal data of 2 million customers from Acme Corp last week. "
    "Microsoft released a patch on Tuesday for CVE-2023-1234, a flaw in Windows 10 discovered by Google researchers. "
    "The city of Atlanta said ransomware encrypted its court systems and the attackers demanded $51,000 in bitcoin."
)


def _logits(tags: list[int], k: int = 4, sure: float = 5.0) -> np.ndarray:
    z = np.zeros((len(tags), k), np.float32)
    z[np.arange(len(tags)), tags] = sure
    return z


def test_spans_are_runs_of_one_label() -> None:
    assert spans(_logits([0, 1, 1, 0, 2, 3, 3]), 0.0, 1.0) == [(1, 3, 0), (4, 5, 1), (5, 7, 2)]
    assert spans(np.zeros((0, 4), np.float32), 0.0, 1.0) == []


def test_the_switch_charge_closes_gaps_and_the_outside_bias_drops_weak_words() -> None:
    z = _logits([1, 1, 0, 1, 1])
    z[2] = [0.2, 0.0, -5, -5]  # an unsure word inside a span
    assert spans(z, 0.0, 0.0) == [(0, 2, 0), (3, 5, 0)]
    assert spans(z, 0.0, 2.0) == [(0, 5, 0)]
    weak = _logits([0, 1, 0], sure=0.5)
    assert spans(weak, 0.0, 0.0) == [(1, 2, 0)]
    assert spans(weak, 3.0, 0.0) == []


def test_rows_mark_distance_and_type() -> None:
    words = np.arange(6 * 8, dtype=np.float32).reshape(6, 8)
    rows, lo = features(words, 2, 3, CASIE_TYPES.index("phishing"), len(CASIE_TYPES))
    assert lo == 0 and len(rows) == 6
    width = 8 + 4 + 4 + 8 + 4 + len(BUCKETS) + 1 + len(CASIE_TYPES)
    assert rows.shape == (6, width)
    kind = rows[:, -len(CASIE_TYPES) :]
    assert (kind.argmax(1) == CASIE_TYPES.index("phishing")).all()
    buckets = rows[:, -len(CASIE_TYPES) - len(BUCKETS) - 1 : -len(CASIE_TYPES)].argmax(1)
    assert buckets[2] == np.digitize(0, BUCKETS)  # the trigger itself
    assert buckets[1] < buckets[2] < buckets[3]
    np.testing.assert_array_equal(rows[1, 8:12], words[0, 4:])  # the word before's last-layer half


def test_long_sentences_are_read_around_the_trigger() -> None:
    assert window(10, 3, 4) == (0, 10)
    lo, hi = window(MAX_WORDS * 3, 200, 201)
    assert (lo, hi) == (200 - MAX_WORDS // 2, 201 + MAX_WORDS // 2)
    words = np.ones((MAX_WORDS * 3, 8), np.float32)
    rows, first = features(words, 200, 201, 0, len(CASIE_TYPES))
    assert first == lo and len(rows) == hi - lo


def _mlp(n_in: int, n_out: int) -> Mlp:
    rng = np.random.default_rng(0)
    return Mlp(
        rng.normal(size=(n_in, 4)).astype(np.float32), np.zeros(4, np.float32),
        rng.normal(size=(4, n_out)).astype(np.float32), np.zeros(n_out, np.float32),
    )  # fmt: skip


def test_saved_heads_load_and_refuse_other_buckets(tmp_path: Path) -> None:
    head = ArgumentHead(_mlp(10, 3), ("victim", "attacker"), CASIE_TYPES)
    head.save(tmp_path / "argument_head.npz")
    TriggerHead(_mlp(12, 1 + len(CASIE_TYPES)), CASIE_TYPES).save(tmp_path / "trigger_head.npz")
    loaded = ArgumentHead.load(tmp_path)
    assert loaded is not None
    assert loaded.roles == ("victim", "attacker") and loaded.types == CASIE_TYPES
    np.testing.assert_allclose(loaded.net.w1, head.net.w1, atol=1e-2)
    trig = TriggerHead.load(tmp_path)
    assert trig is not None and trig.types == CASIE_TYPES
    assert ArgumentHead.load(tmp_path / "missing") is None and TriggerHead.load(tmp_path / "missing") is None
    data = dict(np.load(tmp_path / "argument_head.npz"))
    data["buckets"] = np.array([0, 1])
    np.savez(tmp_path / "argument_head.npz", **data)
    with pytest.raises(ValueError, match="retrain"):
        ArgumentHead.load(tmp_path)


def test_trigger_head_scores_a_type_over_the_trigger_words() -> None:
    words = np.random.default_rng(1).normal(size=(5, 8)).astype(np.float32)
    assert word_rows(words).shape == (5, 8 + 4 + 4)
    head = TriggerHead(_mlp(16, 1 + len(CASIE_TYPES)), CASIE_TYPES)
    probs = head.probabilities(words)
    np.testing.assert_allclose(probs.sum(1), 1.0, rtol=1e-5)
    k = 1 + CASIE_TYPES.index("ransomware")
    assert head.score(probs, 1, 3, "ransomware") == pytest.approx(float(probs[1:3, k].mean()))
    assert head.score(probs, 1, 3, "ddos") is None
    assert head.score(probs, 2, 2, "ransomware") is None


@pytest.fixture(scope="module")
def extractors() -> tuple[EventExtractor, EventExtractor]:
    full = EventExtractor.load()
    if full is None or not full.uses_encoder:
        pytest.skip(f"event model or encoder not installed ({DEFAULT_MODEL_DIR})")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv(ENCODER_ENV, "off")
        plain = EventExtractor.load()
    assert plain is not None and not plain.uses_encoder
    return full, plain


def test_the_head_only_adds_arguments_where_the_tagger_has_none(
    extractors: tuple[EventExtractor, EventExtractor],
) -> None:
    shipped, plain = extractors
    # the trigger head neither drops nor proposes triggers here: the two extractors read the same triggers
    full = shipped.with_decoding(replace(shipped.decoding, verify_drop=0.0, verify_keep=1.01, propose=1.01))
    with_head, without = full.extract(TEXT), plain.extract(TEXT)
    assert [(e.type, e.trigger) for e in with_head] == [(e.type, e.trigger) for e in without]
    # with the tagger silenced, every argument is the head's own
    silent = full.with_decoding(replace(full.decoding, argument_bias=-50.0))
    try:
        head_only = silent.extract(TEXT)
    finally:
        shipped.with_decoding(shipped.decoding)  # the taggers are shared: back to the shipped settings
    assert sum(len(e.arguments) for e in head_only) > 0
    for union, tagged, own in zip(with_head, without, head_only, strict=True):
        assert set(tagged.arguments) <= set(union.arguments)
        for arg in own.arguments:
            assert TEXT[arg.start : arg.end] == arg.text
            assert union.type in full.decoding.role_types.get(arg.role, (union.type,))
            overlaps = any(t.start < arg.end and arg.start < t.end for t in tagged.arguments)
            assert (arg in union.arguments) == (not overlaps or arg in tagged.arguments)
        assert set(union.arguments) <= set(tagged.arguments) | set(own.arguments)


def test_the_trigger_head_only_drops_triggers_unless_told_to_keep(
    extractors: tuple[EventExtractor, EventExtractor],
) -> None:
    full, plain = extractors
    tagged = {(e.type, e.trigger) for e in plain.extract(TEXT) if e.type in CASIE_TYPES}
    shipped = full.decoding
    try:
        not_proposing = full.with_decoding(replace(shipped, propose=1.01))
        kept = {(e.type, e.trigger) for e in not_proposing.extract(TEXT) if e.type in CASIE_TYPES}
        off = full.with_decoding(replace(shipped, verify_drop=0.0, verify_keep=1.01, propose=1.01))
        unverified = {(e.type, e.trigger) for e in off.extract(TEXT) if e.type in CASIE_TYPES}
        doubting = full.with_decoding(replace(shipped, verify_drop=1.01, verify_keep=1.01, propose=1.01))
        none = [e for e in doubting.extract(TEXT) if e.type in CASIE_TYPES]
    finally:
        full.with_decoding(shipped)
    assert unverified == tagged
    if shipped.verify_keep > 1.0:
        assert kept <= tagged
    assert none == []


def test_the_trigger_head_proposes_runs_of_sure_words() -> None:
    types = ("a", "b")
    head = TriggerHead(_mlp(4, 3), types)
    probs = np.array(
        [
            [0.9, 0.05, 0.05],  # outside
            [0.1, 0.8, 0.1],  # a
            [0.1, 0.7, 0.2],  # a
            [0.1, 0.2, 0.7],  # b: another type starts another run
            [0.5, 0.3, 0.2],  # outside
            [0.3, 0.6, 0.1],  # a, but below the threshold
        ],
        np.float32,
    )
    found = head.propose(probs, 0.65)
    assert [(a, b, t) for a, b, t, _ in found] == [(1, 3, "a"), (3, 4, "b")]
    assert found[0][3] == pytest.approx(0.75)
    assert [(a, b, t) for a, b, t, _ in head.propose(probs, 0.55)] == [(1, 3, "a"), (3, 4, "b"), (5, 6, "a")]
    assert head.propose(probs, 1.01) == []


def test_proposed_triggers_are_sure_words_outside_the_tagged_triggers(
    extractors: tuple[EventExtractor, EventExtractor],
) -> None:
    full, plain = extractors
    shipped = full.decoding
    # sentences the trigger tagger finds nothing in (with the shipped model)
    text = TEXT + (
        " Users received emails that impersonated their bank and asked for passwords."
        " A flaw in the router firmware lets remote attackers run code; the vendor has shipped an update."
    )
    try:
        quiet = full.with_decoding(replace(shipped, propose=1.01, verify_drop=0.0, keep_threshold=0.0))
        base = {(e.type, e.trigger) for e in quiet.extract(text) if e.type in CASIE_TYPES}
        eager = full.with_decoding(
            replace(shipped, propose=0.3, propose_reads=0.0, verify_drop=0.0, keep_threshold=0.0)
        )
        more = {(e.type, e.trigger) for e in eager.extract(text) if e.type in CASIE_TYPES}
    finally:
        full.with_decoding(shipped)
    tagged = plain.analyse([text])[0].ents
    added = more - base
    assert base <= more and added
    for _, trigger in added:
        assert text[trigger.start : trigger.end] == trigger.text
        assert not any(e.start_char < trigger.end and trigger.start < e.end_char for e in tagged)


def test_batches_give_the_same_events_as_one_text(extractors: tuple[EventExtractor, EventExtractor]) -> None:
    full, _ = extractors
    batch = full.extract_many(["Nothing happened.", TEXT, ""])
    assert batch[1] == full.extract(TEXT)
