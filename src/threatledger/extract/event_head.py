"""The argument head: the roles of the words of a trigger's sentence, read off frozen encoder features.

A small network (one hidden layer) trained on CASIE (``training/events/heads.py``) over the
:mod:`threatledger.extract.encoder` features of each word of the trigger's sentence, the mean features of the
trigger, their product, the word's distance from the trigger (in buckets) and the event type. It tags each word with
a role or "outside" (no begin/inside distinction); a Viterbi pass that charges ``switch`` for each change of tag
turns the tags into spans (:func:`spans`). The event extractor adds its arguments to those of the argument tagger
where they overlap none of them (``events.EventExtractor``).

Its weights are ``argument_head.npz`` next to the event model (float16, with the role and type order and the
distance buckets they were trained with).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

__all__ = ["FILE", "MAX_WORDS", "ArgumentHead", "features", "spans"]

FILE = "argument_head.npz"
# a trigger sentence longer than this many words is read in a window of half of it on each side of the trigger
MAX_WORDS = 120
# distance buckets, in words, from the trigger (0: inside it)
BUCKETS = (-100, -20, -10, -6, -4, -3, -2, -1, 0, 1, 2, 3, 4, 6, 10, 20, 100)

log = logging.getLogger(__name__)


def window(n_words: int, start: int, end: int) -> tuple[int, int]:
    """The words of a sentence of ``n_words`` that are read for the trigger at words ``start:end``."""
    if n_words <= MAX_WORDS:
        return 0, n_words
    half = MAX_WORDS // 2
    return max(0, start - half), min(n_words, end + half)


def features(words: np.ndarray, start: int, end: int, etype: int, n_types: int) -> tuple[np.ndarray, int]:
    """The head's input rows for the trigger at words ``start:end`` of a sentence (``words``: its encoder
    features), and the index of the first word read (see :func:`window`)."""
    lo, hi = window(len(words), start, end)
    tok = words[lo:hi].astype(np.float32)
    half = tok.shape[1] // 2  # the last layer's half of the features
    trigger = words[start:end].astype(np.float32).mean(0)
    zero = np.zeros((1, half), np.float32)
    before = np.vstack([zero, tok[:-1, half:]])
    after = np.vstack([tok[1:, half:], zero])
    pos = np.arange(lo, hi)
    rel = np.where(pos < start, pos - start, np.where(pos >= end, pos - end + 1, 0))
    buckets = np.zeros((hi - lo, len(BUCKETS) + 1), np.float32)
    buckets[np.arange(hi - lo), np.digitize(rel, BUCKETS)] = 1.0
    kind = np.zeros((hi - lo, n_types), np.float32)
    kind[:, etype] = 1.0
    rows = np.concatenate(
        [
            tok,
            before,
            after,
            np.broadcast_to(trigger, tok.shape),
            tok[:, half:] * trigger[half:],
            buckets,
            kind,
        ],
        axis=1,
    )
    return rows, lo


def spans(logits: np.ndarray, outside_bias: float, switch: float) -> list[tuple[int, int, int]]:
    """``(start, end, label)`` word spans from per-word scores (column 0: outside; label ``k`` is column
    ``k + 1``): Viterbi over log-probabilities plus ``outside_bias`` on "outside", charging ``switch`` for each
    change of tag; each run of one label is a span."""
    if len(logits) == 0:
        return []
    z = logits - logits.max(1, keepdims=True)
    logp = z - np.log(np.exp(z).sum(1, keepdims=True))
    logp[:, 0] += outside_bias
    n, k = logp.shape
    score = logp[0].copy()
    back = np.zeros((n, k), np.int64)
    labels = np.arange(k)
    for i in range(1, n):
        best = int(score.argmax())
        move = score[best] - switch
        back[i] = np.where(score >= move, labels, best)
        score = np.maximum(score, move) + logp[i]
    tags = np.zeros(n, np.int64)
    tags[-1] = int(score.argmax())
    for i in range(n - 1, 0, -1):
        tags[i - 1] = back[i, tags[i]]
    out: list[tuple[int, int, int]] = []
    run = 0
    for i in range(1, n + 1):
        if i == n or tags[i] != tags[run]:
            if tags[run] != 0:
                out.append((run, i, int(tags[run]) - 1))
            run = i
    return out


@dataclass(frozen=True, slots=True)
class ArgumentHead:
    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray
    roles: tuple[str, ...]
    types: tuple[str, ...]

    @classmethod
    def load(cls, folder: Path) -> ArgumentHead | None:
        path = folder / FILE
        if not path.is_file():
            log.info("no argument head at %s", path)
            return None
        with np.load(path) as z:
            if tuple(int(b) for b in z["buckets"]) != BUCKETS:
                raise ValueError(
                    f"{path} was trained with other distance buckets; retrain it (training/events)"
                )
            return cls(
                z["w1"].astype(np.float32),
                z["b1"].astype(np.float32),
                z["w2"].astype(np.float32),
                z["b2"].astype(np.float32),
                tuple(str(r) for r in z["roles"]),
                tuple(str(t) for t in z["types"]),
            )

    def save(self, path: Path) -> None:
        np.savez(
            path,
            w1=self.w1.astype(np.float16),
            b1=self.b1.astype(np.float16),
            w2=self.w2.astype(np.float16),
            b2=self.b2.astype(np.float16),
            roles=np.array(self.roles),
            types=np.array(self.types),
            buckets=np.array(BUCKETS),
        )

    def logits(self, rows: np.ndarray) -> np.ndarray:
        hidden = np.maximum(rows @ self.w1 + self.b1, 0.0)
        out: np.ndarray = hidden @ self.w2 + self.b2
        return out

    def arguments(
        self, words: np.ndarray, start: int, end: int, etype: str, outside_bias: float, switch: float
    ) -> list[tuple[int, int, str]]:
        """``(first word, end word, role)`` of the arguments of the trigger at words ``start:end`` of a sentence
        whose encoder features are ``words``; none for a type the head was not trained on."""
        if etype not in self.types or end <= start:
            return []
        rows, lo = features(words, start, end, self.types.index(etype), len(self.types))
        found = spans(self.logits(rows), outside_bias, switch)
        return [(lo + a, lo + b, self.roles[label]) for a, b, label in found]


def sentence_words(tokens: Sequence[tuple[int, int]], sentence_start: int) -> list[tuple[int, int]]:
    """Word spans relative to their sentence, as :meth:`Encoder.word_features` reads them."""
    return [(a - sentence_start, b - sentence_start) for a, b in tokens]
