"""Two small heads over encoder features (:mod:`threatledger.extract.encoder`) of a trigger's sentence.

* :class:`TriggerHead` tags each word with an event type or "outside"; the event extractor drops a tagged trigger
  whose words it gives little probability of the trigger's type, and keeps one the document-type filter would drop
  when it is sure (``verify_drop``, ``verify_keep`` in the decoding settings);
* :class:`ArgumentHead` tags the words of a trigger's sentence with roles.

The argument head is a small network (one hidden layer) trained on CASIE over the
:mod:`threatledger.extract.encoder` features of each word of the trigger's sentence, the mean features of the
trigger, their product, the word's distance from the trigger (in buckets) and the event type. It tags each word with
a role or "outside" (no begin/inside distinction); a Viterbi pass that charges ``switch`` for each change of tag
turns the tags into spans (:func:`spans`). The event extractor adds its arguments to those of the argument tagger
where they overlap none of them (``events.EventExtractor``).

Since 1.6.0 both heads are trained together with low-rank deltas of the encoder (``encoder_delta.npz``,
:data:`DELTA_FILE`; ``training/events/finetune_fit.py``); before, over the frozen encoder
(``training/events/heads.py``). Their weights are ``argument_head.npz`` and ``trigger_head.npz`` next to the event model (float16, with the role or
type order and the distance buckets they were trained with). :class:`SentenceFeatures` encodes each sentence that
either needs once per batch of documents.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span

    from threatledger.extract.encoder import Encoder

__all__ = [
    "BUCKETS",
    "DELTA_FILE",
    "FILE",
    "MAX_WORDS",
    "TRIGGER_FILE",
    "ArgumentHead",
    "SentenceFeatures",
    "TriggerHead",
    "encoder_input",
    "features",
    "spans",
    "window",
    "word_rows",
]

FILE = "argument_head.npz"
TRIGGER_FILE = "trigger_head.npz"
# low-rank deltas of the encoder, fine-tuned with the heads (``Encoder.load``'s ``delta``); absent: frozen encoder
DELTA_FILE = "encoder_delta.npz"
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


def word_rows(words: np.ndarray) -> np.ndarray:
    """The trigger head's input rows: each word's features and the last-layer half of its neighbours'."""
    tok = words.astype(np.float32)
    half = tok.shape[1] // 2
    zero = np.zeros((1, half), np.float32)
    return np.concatenate(
        [tok, np.vstack([zero, tok[:-1, half:]]), np.vstack([tok[1:, half:], zero])], axis=1
    )


@dataclass(frozen=True, slots=True)
class Mlp:
    """One hidden ReLU layer; ``logits`` are the softmax inputs (column 0: outside)."""

    w1: np.ndarray
    b1: np.ndarray
    w2: np.ndarray
    b2: np.ndarray

    def logits(self, rows: np.ndarray) -> np.ndarray:
        hidden = np.maximum(rows @ self.w1 + self.b1, 0.0)
        out: np.ndarray = hidden @ self.w2 + self.b2
        return out

    def save(self, path: Path, labels: Sequence[str], **extra: np.ndarray) -> None:
        arrays: dict[str, np.ndarray] = {
            "w1": self.w1.astype(np.float16),
            "b1": self.b1.astype(np.float16),
            "w2": self.w2.astype(np.float16),
            "b2": self.b2.astype(np.float16),
            "labels": np.array(list(labels)),
            "buckets": np.array(BUCKETS),
            **extra,
        }
        np.savez(path, **arrays)  # type: ignore[arg-type]


def _load(path: Path) -> tuple[Mlp, tuple[str, ...], dict[str, np.ndarray]] | None:
    if not path.is_file():
        log.info("no event head at %s", path)
        return None
    with np.load(path) as z:
        if tuple(int(b) for b in z["buckets"]) != BUCKETS:
            raise ValueError(f"{path} was trained with other distance buckets; retrain it (training/events)")
        net = Mlp(*(z[k].astype(np.float32) for k in ("w1", "b1", "w2", "b2")))
        rest = {k: z[k] for k in z.files if k not in ("w1", "b1", "w2", "b2", "labels", "buckets")}
        return net, tuple(str(x) for x in z["labels"]), rest


@dataclass(frozen=True, slots=True)
class ArgumentHead:
    net: Mlp
    roles: tuple[str, ...]
    types: tuple[str, ...]

    @classmethod
    def load(cls, folder: Path) -> ArgumentHead | None:
        found = _load(folder / FILE)
        if found is None:
            return None
        net, roles, rest = found
        return cls(net, roles, tuple(str(t) for t in rest["types"]))

    def save(self, path: Path) -> None:
        self.net.save(path, self.roles, types=np.array(self.types))

    def arguments(
        self, words: np.ndarray, start: int, end: int, etype: str, outside_bias: float, switch: float
    ) -> list[tuple[int, int, str]]:
        """``(first word, end word, role)`` of the arguments of the trigger at words ``start:end`` of a sentence
        whose encoder features are ``words``; none for a type the head was not trained on."""
        if etype not in self.types or end <= start:
            return []
        rows, lo = features(words, start, end, self.types.index(etype), len(self.types))
        found = spans(self.net.logits(rows), outside_bias, switch)
        return [(lo + a, lo + b, self.roles[label]) for a, b, label in found]


@dataclass(frozen=True, slots=True)
class TriggerHead:
    net: Mlp
    types: tuple[str, ...]

    @classmethod
    def load(cls, folder: Path) -> TriggerHead | None:
        found = _load(folder / TRIGGER_FILE)
        return None if found is None else cls(found[0], found[1])

    def save(self, path: Path) -> None:
        self.net.save(path, self.types)

    def probabilities(self, words: np.ndarray) -> np.ndarray:
        """Per word of a sentence: the probability of "outside" and of each type (in ``types`` order)."""
        z = self.net.logits(word_rows(words))
        z = np.exp(z - z.max(1, keepdims=True))
        out: np.ndarray = z / z.sum(1, keepdims=True)
        return out

    def propose(self, probabilities: np.ndarray, at_least: float) -> list[tuple[int, int, str, float]]:
        """``(first word, end word, type, mean probability)`` of each run of words whose most probable tag is one
        type with probability at least ``at_least``."""
        best = probabilities.argmax(1)
        sure = (best > 0) & (probabilities.max(1) >= at_least)
        out: list[tuple[int, int, str, float]] = []
        i = 0
        while i < len(best):
            if not sure[i]:
                i += 1
                continue
            j = i + 1
            while j < len(best) and sure[j] and best[j] == best[i]:
                j += 1
            label = int(best[i])
            out.append((i, j, self.types[label - 1], float(probabilities[i:j, label].mean())))
            i = j
        return out

    def score(self, probabilities: np.ndarray, start: int, end: int, etype: str) -> float | None:
        """The mean probability of ``etype`` over words ``start:end``; None for a type it does not know."""
        if etype not in self.types or end <= start:
            return None
        return float(probabilities[start:end, 1 + self.types.index(etype)].mean())


def encoder_input(text: str, sent: Span) -> tuple[str, list[tuple[int, int]]]:
    """A sentence of ``text`` as :meth:`Encoder.word_features` reads it: its text and its words' spans in it."""
    base = sent.start_char
    return text[base : sent.end_char], [(w.idx - base, w.idx + len(w.text) - base) for w in sent]


class SentenceFeatures:
    """Encoder features (and trigger-head probabilities) of the sentences of a batch of analysed documents,
    each sentence encoded once, the sentences asked for at one time encoded in one batch."""

    def __init__(self, encoder: Encoder, texts: Sequence[str], tdocs: Sequence[Doc]) -> None:
        self._encoder = encoder
        self._texts = texts
        self._tdocs = tdocs
        self._words: dict[tuple[int, int], np.ndarray] = {}
        self._probs: dict[tuple[int, int], np.ndarray] = {}

    def sentence(self, doc: int, start_char: int, end_char: int) -> tuple[Span, int, int] | None:
        """The sentence holding a character span of document ``doc`` and the span's words in it."""
        tokens = self._tdocs[doc].char_span(start_char, end_char, alignment_mode="expand")
        if tokens is None or len(tokens) == 0:
            return None
        sent = tokens[0].sent
        return sent, tokens.start - sent.start, min(tokens.end, sent.end) - sent.start

    def need(self, wanted: Iterable[tuple[int, Span]]) -> None:
        """Encode, in one batch, those of ``(document, sentence)`` not encoded yet."""
        todo = {(doc, sent.start): sent for doc, sent in wanted if (doc, sent.start) not in self._words}
        if not todo:
            return
        batch = [encoder_input(self._texts[doc], sent) for (doc, _), sent in todo.items()]
        for key, feats in zip(todo, self._encoder.word_features(batch), strict=True):
            self._words[key] = feats

    def encoded(self, doc: int) -> list[int]:
        """The first token of each sentence of document ``doc`` encoded so far, in text order."""
        return sorted(start for d, start in self._words if d == doc)

    def words(self, doc: int, sent: Span) -> np.ndarray:
        key = (doc, sent.start)
        if key not in self._words:
            self.need([(doc, sent)])
        return self._words[key]

    def probabilities(self, head: TriggerHead, doc: int, sent: Span) -> np.ndarray:
        key = (doc, sent.start)
        if key not in self._probs:
            self._probs[key] = head.probabilities(self.words(doc, sent))
        return self._probs[key]

    def trigger_score(self, head: TriggerHead, doc: int, etype: str, start: int, end: int) -> float | None:
        """The trigger head's mean probability of ``etype`` over the words of a character span of document
        ``doc`` (None where it has no say)."""
        found = self.sentence(doc, start, end)
        if found is None:
            return None
        sent, first, last = found
        return head.score(self.probabilities(head, doc, sent), first, last, etype)

    def proposals(
        self, head: TriggerHead, doc: int, tdoc: Doc, at_least: float
    ) -> list[tuple[str, int, int, float]]:
        """``(type, start, end, probability)``, in characters, of the runs of words :meth:`TriggerHead.propose`
        finds in the sentences of document ``doc`` (analysed as ``tdoc``) encoded so far."""
        out = []
        for start in self.encoded(doc):
            sent = tdoc[start].sent
            for a, b, etype, p in head.propose(self.probabilities(head, doc, sent), at_least):
                out.append((etype, sent[a].idx, sent[b - 1].idx + len(sent[b - 1].text), p))
        return out
