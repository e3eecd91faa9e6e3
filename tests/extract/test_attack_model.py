from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from threatledger.config import Settings
from threatledger.extract.attack import extract_techniques
from threatledger.extract.attack_model import DEFAULT_MODEL_DIR, TechniqueModel, features, sentence_spans
from threatledger.knowledge import KnowledgeBase, load_kb


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    root = tmp_path_factory.mktemp("kb")
    return load_kb(Settings(db=":memory:", cache_dir=root / "cache", kb_dir=root / "none"))


def toy_model() -> TechniqueModel:
    """Two techniques, each recognised by one bigram."""
    vocabulary = ["recurring job", "hollows out", "the"]
    weights = np.array([[8.0, 0.0], [0.0, 8.0], [0.0, 0.0]], dtype=np.float32)
    return TechniqueModel(
        vocabulary=vocabulary,
        idf=np.ones(3, dtype=np.float32),
        weights=weights,
        bias=np.array([-4.0, -4.0], dtype=np.float32),
        labels=["T1053.005", "T1055.012"],
        threshold=0.5,
        max_per_sentence=1,
    )


def test_sentence_spans_offsets_and_abbreviations() -> None:
    text = "  TrickBot creates a scheduled task, e.g. at logon.  Then it injects code.\r\nNext line here\n\n"
    spans = sentence_spans(text)
    assert [text[s:e] for s, e in spans] == [
        "TrickBot creates a scheduled task, e.g. at logon.",
        "Then it injects code.",
        "Next line here",
    ]


def test_sentence_spans_cut_run_on_lines() -> None:
    text = "word " * 600
    spans = sentence_spans(text)
    assert len(spans) > 1
    assert all(e - s <= 1000 for s, e in spans)
    assert all(text[s:e].strip() == text[s:e] for s, e in spans)


def test_features_fold_digits_and_add_bigrams() -> None:
    assert features("Run T1059 now") == ["run", "t0000", "now", "run t0000", "t0000 now"]


def test_predict_sentence_spans() -> None:
    model = toy_model()
    text = (
        "The loader adds a recurring job daily. The weather is fine today. It hollows out a host process too."
    )
    hits = model.predict(text)
    assert [(h.id, text[h.start : h.end]) for h in hits] == [
        ("T1053.005", "The loader adds a recurring job daily."),
        ("T1055.012", "It hollows out a host process too."),
    ]
    assert all(h.score >= 0.5 for h in hits)


def test_scores_for_sentences_without_known_words() -> None:
    probs = toy_model().scores(["nothing known here", "a recurring job", ""])
    assert probs.shape == (3, 2)
    assert probs[0, 0] == pytest.approx(probs[2, 0])
    assert probs[1, 0] > 0.9 > probs[0, 0]


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    model = toy_model()
    model.save(tmp_path)
    loaded = TechniqueModel.load(tmp_path)
    assert loaded is not None
    assert loaded.labels == model.labels and loaded.threshold == model.threshold
    sentences = ["a recurring job", "hollows out and a recurring job"]
    assert np.allclose(loaded.scores(sentences), model.scores(sentences), atol=0.01)


def test_absent_model_is_none(tmp_path: Path) -> None:
    assert TechniqueModel.load(tmp_path / "missing") is None


def test_extract_techniques_merges_model_with_explicit(kb: KnowledgeBase) -> None:
    text = (
        "The loader adds a recurring job daily. "
        "It hollows out (T1055.012) explorer.exe. "
        "It also hollows out svchost."
    )
    techs = extract_techniques(text, kb, toy_model())
    found = [(t.id, t.text) for t in techs]
    assert ("T1053.005", "The loader adds a recurring job daily.") in found
    # the sentence with the explicit id gives only the id; the other one gives its sentence span
    assert ("T1055.012", "T1055.012") in found
    assert ("T1055.012", "It hollows out (T1055.012) explorer.exe.") not in found
    assert ("T1055.012", "It also hollows out svchost.") in found
    for t in techs:
        assert text[t.start : t.end] == t.text
    assert all(t.name for t in techs)


def test_without_model_only_explicit(kb: KnowledgeBase) -> None:
    text = "The loader adds a recurring job daily."
    assert extract_techniques(text, kb) == extract_techniques(text, kb, None)


@pytest.mark.skipif(not (DEFAULT_MODEL_DIR / "model.npz").is_file(), reason="model not installed")
def test_installed_model_finds_prose(kb: KnowledgeBase) -> None:
    model = TechniqueModel.load()
    assert model is not None
    text = (
        "The malware dumps credentials from LSASS memory using Mimikatz. "
        "It establishes persistence by adding a Run key to the registry."
    )
    ids = {t.id for t in extract_techniques(text, kb, model)}
    assert ids & {"T1003.001", "T1003"}
    assert ids & {"T1547.001", "T1112"}
