"""A sentence-level ATT&CK technique classifier: prose such as "creates a scheduled task for persistence" -> T1053.005.

A linear model (one logistic output per technique) over the word unigrams and bigrams of a sentence, trained on
MITRE TRAM 2's annotated reports (``training/attack``). Each sentence whose score passes the threshold chosen on
held-out training reports yields the technique, with the sentence as its span. The files live in
``threatledger/models/attack`` (``model.npz``, ``MODEL_CARD.md``); when they are absent :meth:`TechniqueModel.load`
returns None and only explicit ids and names are found (:mod:`threatledger.extract.attack`).

Usage::

    model = TechniqueModel.load()           # None when the model files are not installed
    hits = model.predict(text) if model else []
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    from numpy.typing import NDArray

__all__ = [
    "DEFAULT_MODEL_DIR",
    "NAME",
    "VERSION",
    "SentenceHit",
    "TechniqueModel",
    "features",
    "sentence_spans",
]

log = logging.getLogger(__name__)

NAME = "attack-model"
VERSION = "1"
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "attack"
MODEL_FILE = "model.npz"

# a sentence ends at a line break, or at . ! ? (and a closing quote or bracket) before a space and a capital,
# digit or opening quote; abbreviations such as "e.g." and "U.S." are joined back afterwards
_BOUNDARY = re.compile(r"\n\s*|(?<=[.!?])[\"')\]]?[ \t]+(?=[A-Z0-9\"'(\[])")
_ABBREVIATION = re.compile(
    r"(?:\b(?:e\.g|i\.e|etc|vs|Mr|Mrs|Dr|Inc|Ltd|Co|No|Fig|approx|U\.S|St)\.|\b[A-Z]\.)$"
)
_TOKEN = re.compile(r"[a-z0-9]+(?:['\-_.][a-z0-9]+)*")
_MIN_TOKENS = 4
_MAX_SENTENCE = 1000


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """Character spans of the sentences (and lines) of ``text``, stripped of surrounding white space."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _BOUNDARY.finditer(text):
        if "\n" not in m.group() and _ABBREVIATION.search(text, max(start, m.start() - 8), m.start()):
            continue
        spans.append((start, m.start()))
        start = m.end()
    spans.append((start, len(text)))
    out: list[tuple[int, int]] = []
    for s, e in spans:
        piece = text[s:e]
        stripped = piece.strip()
        if not stripped:
            continue
        s += len(piece) - len(piece.lstrip())
        e = s + len(stripped)
        # a run-on "sentence" (a table flattened into one line) is cut into pieces the model was trained on
        while e - s > _MAX_SENTENCE:
            cut = text.rfind(" ", s, s + _MAX_SENTENCE)
            cut = cut if cut > s else s + _MAX_SENTENCE
            out.append((s, cut))
            s = cut + 1
        out.append((s, e))
    return out


def features(sentence: str) -> list[str]:
    """The word unigrams and bigrams of a sentence, lower-cased, digits folded to 0."""
    tokens = [re.sub(r"\d", "0", t) for t in _TOKEN.findall(sentence.lower())]
    return tokens + [f"{a} {b}" for a, b in itertools.pairwise(tokens)]


@dataclass(frozen=True, slots=True)
class SentenceHit:
    id: str  # the technique id as trained (before revocations are followed)
    start: int
    end: int
    score: float


class TechniqueModel:
    """Logistic scores per technique for sentences; ``predict`` applies the threshold and the per-sentence cap."""

    def __init__(
        self,
        vocabulary: Sequence[str],
        idf: NDArray[np.float32],
        weights: NDArray[np.float32],
        bias: NDArray[np.float32],
        labels: Sequence[str],
        threshold: float,
        max_per_sentence: int = 2,
    ) -> None:
        self.index = {f: i for i, f in enumerate(vocabulary)}
        self.vocabulary = tuple(vocabulary)
        self.idf = idf
        self.weights = weights
        self.bias = bias
        self.labels = tuple(labels)
        self.threshold = threshold
        self.max_per_sentence = max_per_sentence

    @classmethod
    def load(cls, path: Path | None = None) -> TechniqueModel | None:
        """The model in ``path`` (default: the installed one), or None when its file is absent."""
        import json

        import numpy as np

        file = (path or DEFAULT_MODEL_DIR) / MODEL_FILE
        if not file.is_file():
            log.info("no ATT&CK sentence model at %s: explicit ids and names only", file)
            return None
        with np.load(file, allow_pickle=False) as data:
            meta: dict[str, Any] = json.loads(str(data["meta"]))
            scale = data["scale"].astype(np.float32)
            weights = data["weights"].astype(np.float32) * scale[None, :]
            return cls(
                vocabulary=str(data["vocabulary"]).split("\n"),
                idf=data["idf"].astype(np.float32),
                weights=weights,
                bias=data["bias"].astype(np.float32),
                labels=meta["labels"],
                threshold=float(meta["threshold"]),
                max_per_sentence=int(meta["max_per_sentence"]),
            )

    def save(self, path: Path, extra: dict[str, Any] | None = None) -> Path:
        """Write ``model.npz``: weights quantised to int8 per technique (the scores move by well under 1%)."""
        import json

        import numpy as np

        path.mkdir(parents=True, exist_ok=True)
        scale = np.maximum(np.abs(self.weights).max(axis=0), 1e-8) / 127.0
        quantised = np.round(self.weights / scale[None, :]).astype(np.int8)
        meta = {
            "name": NAME,
            "version": VERSION,
            "labels": list(self.labels),
            "threshold": self.threshold,
            "max_per_sentence": self.max_per_sentence,
            **(extra or {}),
        }
        file = path / MODEL_FILE
        np.savez_compressed(
            file,
            meta=np.array(json.dumps(meta, sort_keys=True)),
            vocabulary=np.array("\n".join(self.vocabulary)),
            idf=self.idf.astype(np.float16),
            weights=quantised,
            scale=scale.astype(np.float32),
            bias=self.bias.astype(np.float32),
        )
        return file

    def vectorise(self, sentences: Iterable[str]) -> tuple[NDArray[np.intp], NDArray[np.float32], list[int]]:
        """Feature indices, their values (idf, each sentence normalised to unit length) and row offsets."""
        import numpy as np

        index = self.index
        rows: list[int] = []
        idx: list[int] = []
        for sentence in sentences:
            rows.append(len(idx))
            idx.extend(sorted({i for f in features(sentence) if (i := index.get(f)) is not None}))
        columns = np.asarray(idx, dtype=np.intp)
        values = self.idf[columns]
        bounds = [*rows, len(idx)]
        for a, b in itertools.pairwise(bounds):
            if b > a:
                values[a:b] /= np.sqrt(np.dot(values[a:b], values[a:b]))
        return columns, values, rows

    def scores(self, sentences: Sequence[str]) -> NDArray[np.float32]:
        """An (n sentences x n labels) array of probabilities."""
        import numpy as np

        columns, values, rows = self.vectorise(sentences)
        logits = np.tile(self.bias, (len(rows), 1))
        ends = [*rows[1:], len(columns)]
        filled = [i for i, (start, end) in enumerate(zip(rows, ends, strict=True)) if end > start]
        if filled:
            # reduceat sums each sentence's feature rows; sentences without known features keep the bias
            contrib = self.weights[columns] * values[:, None]
            logits[filled] += np.add.reduceat(contrib, [rows[i] for i in filled], axis=0)
        out: NDArray[np.float32] = (1.0 / (1.0 + np.exp(-logits))).astype(np.float32)
        return out

    def predict(self, text: str, threshold: float | None = None) -> list[SentenceHit]:
        """Techniques of the sentences of ``text`` that score at least the threshold, best first per sentence."""
        import numpy as np

        cut = self.threshold if threshold is None else threshold
        spans = [
            (s, e) for s, e in sentence_spans(text) if len(_TOKEN.findall(text[s:e].lower())) >= _MIN_TOKENS
        ]
        if not spans:
            return []
        probs = self.scores([text[s:e] for s, e in spans])
        hits: list[SentenceHit] = []
        for (s, e), row in zip(spans, probs, strict=True):
            best = np.argsort(-row)[: self.max_per_sentence]
            hits.extend(SentenceHit(self.labels[j], s, e, float(row[j])) for j in best if row[j] >= cut)
        return hits
