"""Decoding settings and document-level evidence for the cyber-event extractor (:mod:`threatledger.extract.events`).

* :class:`Decoding`: the settings in ``decoding.json`` next to the model (chosen on a held-out tenth of the training
  data by ``training/events/tune.py``);
* :class:`DocTypes`: the document classifier (how likely a document reports each CASIE type);
* :class:`CueLexicon`: the cue phrases counted on the training data: fallback trigger phrases per type, and the
  "strong" phrases whose presence in a trigger makes its type likely whatever the document classifier says.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

__all__ = ["CASIE_TYPES", "CueLexicon", "Decoding", "DocTypes", "ngrams", "phrase_key", "words"]

CASIE_TYPES = ("data-breach", "phishing", "ransomware", "vulnerability-discovery", "vulnerability-patch")


@dataclass(frozen=True, slots=True)
class Decoding:
    """Decoding settings; the shipped values come from ``decoding.json`` next to the model."""

    keep_threshold: float = 0.3  # drop triggers whose type the document classifier scores below this
    keep_count: int = 2  # ... unless the document has at least this many triggers of that type
    # ... or unless the trigger contains a strong cue phrase of its type at least this precise (see CueLexicon)
    strong_precision: float = 1.01
    # a type without a trigger whose document has a strong cue phrase at least this precise gets one there
    strong_add: float = 1.01
    # a type scored at least this but with no trigger gets one at its best cue phrase
    add_threshold: float = 0.8
    cue_threshold: float = (
        1.01  # for a type scored at least this, every cue phrase not already tagged is a trigger
    )
    context: int = 0  # sentences each side of the trigger that the argument tagger reads (as in training)
    short_sentence: int = (
        0  # a trigger sentence shorter than this (characters) is read with the one before it
    )
    trigger_bias: float = 0.0  # taken off the trigger tagger's "outside" score: higher, more triggers
    type_bias: dict[str, float] = field(default_factory=dict)  # event type -> added to its "begin" scores
    argument_bias: float = 0.0  # taken off the argument tagger's "outside" score: higher, more arguments
    role_bias: dict[str, float] = field(default_factory=dict)  # role -> added to its "begin" scores
    role_types: dict[str, tuple[str, ...]] = field(default_factory=dict)  # role -> event types admitting it
    cues: dict[str, tuple[str, ...]] = field(
        default_factory=dict
    )  # type -> fallback trigger phrases, best first
    # type -> phrase -> share of training documents containing the phrase that report the type
    strong_cues: dict[str, dict[str, float]] = field(default_factory=dict)
    # type -> trigger phrase -> share of the phrase's occurrences in the training texts that are gold triggers of
    # the type; a tagged trigger whose whole text is at least ``phrase_keep`` precise is kept whatever the document
    # classifier says ("was tricked" in a story about something else is still a phishing event)
    trigger_phrases: dict[str, dict[str, float]] = field(default_factory=dict)
    phrase_keep: float = 1.01
    rule_types: bool = True  # add the non-CASIE rule types
    harvest: bool = False  # read more arguments around the cue phrases of the document's event types
    harvest_strong: bool = False  # ... and around their strong cue phrases (at least ``strong_precision``)
    # the argument head (event_head): added to its "outside" log-probability, and charged per change of tag
    head_outside: float = 0.5
    head_switch: float = 1.0
    # the trigger head (event_head): a tagged trigger whose words it gives less than ``verify_drop`` probability of
    # its type is dropped; one it gives at least ``verify_keep`` is kept whatever the document classifier says
    verify_drop: float = 0.0
    verify_keep: float = 1.01
    # ... and in the sentences it reads, a run of words it gives at least ``propose`` probability of one type,
    # overlapping no tagged trigger, is a trigger of that type when the document-type filter keeps it (its type
    # likely enough, a precise phrase, or a sure head); 1.01: off
    propose: float = 1.01
    # ... and it also reads, to propose triggers, the sentences holding a trigger phrase at least this precise
    # (``trigger_phrases``) of any type; 1.01: only the sentences of tagged triggers
    propose_reads: float = 1.01

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Decoding:
        return cls(
            keep_threshold=float(data.get("keep_threshold", 0.3)),
            keep_count=int(data.get("keep_count", 2)),
            strong_precision=float(data.get("strong_precision", 1.01)),
            strong_add=float(data.get("strong_add", 1.01)),
            add_threshold=float(data.get("add_threshold", 0.8)),
            cue_threshold=float(data.get("cue_threshold", 1.01)),
            context=int(data.get("context", 0)),
            short_sentence=int(data.get("short_sentence", 0)),
            trigger_bias=float(data.get("trigger_bias", 0.0)),
            type_bias={str(k): float(v) for k, v in data.get("type_bias", {}).items()},
            argument_bias=float(data.get("argument_bias", 0.0)),
            role_bias={str(k): float(v) for k, v in data.get("role_bias", {}).items()},
            role_types={str(k): tuple(v) for k, v in data.get("role_types", {}).items()},
            cues={str(k): tuple(v) for k, v in data.get("cues", {}).items()},
            strong_cues={
                str(t): {str(p): float(v) for p, v in phrases.items()}
                for t, phrases in data.get("strong_cues", {}).items()
            },
            trigger_phrases={
                str(t): {str(p): float(v) for p, v in phrases.items()}
                for t, phrases in data.get("trigger_phrases", {}).items()
            },
            phrase_keep=float(data.get("phrase_keep", 1.01)),
            rule_types=bool(data.get("rule_types", True)),
            harvest=bool(data.get("harvest", False)),
            harvest_strong=bool(data.get("harvest_strong", False)),
            head_outside=float(data.get("head_outside", 0.5)),
            head_switch=float(data.get("head_switch", 1.0)),
            verify_drop=float(data.get("verify_drop", 0.0)),
            verify_keep=float(data.get("verify_keep", 1.01)),
            propose=float(data.get("propose", 1.01)),
            propose_reads=float(data.get("propose_reads", 1.01)),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "keep_threshold": self.keep_threshold,
            "keep_count": self.keep_count,
            "strong_precision": self.strong_precision,
            "strong_add": self.strong_add,
            "add_threshold": self.add_threshold,
            "cue_threshold": self.cue_threshold,
            "context": self.context,
            "short_sentence": self.short_sentence,
            "trigger_bias": self.trigger_bias,
            "type_bias": dict(sorted(self.type_bias.items())),
            "argument_bias": self.argument_bias,
            "role_bias": dict(sorted(self.role_bias.items())),
            "role_types": {k: list(v) for k, v in sorted(self.role_types.items())},
            "cues": {k: list(v) for k, v in sorted(self.cues.items())},
            "strong_cues": {t: dict(sorted(v.items())) for t, v in sorted(self.strong_cues.items())},
            "trigger_phrases": {t: dict(sorted(v.items())) for t, v in sorted(self.trigger_phrases.items())},
            "phrase_keep": self.phrase_keep,
            "rule_types": self.rule_types,
            "harvest": self.harvest,
            "harvest_strong": self.harvest_strong,
            "head_outside": self.head_outside,
            "head_switch": self.head_switch,
            "verify_drop": self.verify_drop,
            "verify_keep": self.verify_keep,
            "propose": self.propose,
            "propose_reads": self.propose_reads,
        }


_WORD = re.compile(r"[a-z0-9]+(?:['’][a-z]+)?")


def phrase_key(text: str) -> str:
    """A trigger text as the phrase table (``Decoding.trigger_phrases``) keys it: lower case, single spaces."""
    return " ".join(text.lower().split())


def words(text: str) -> list[str]:
    """Lower-cased word tokens (what the document classifier and the strong cue phrases are made of)."""
    return _WORD.findall(text.lower())


def ngrams(text: str) -> list[str]:
    """The word unigrams and bigrams the document-type classifier reads."""
    w = words(text)
    return w + [f"{a} {b}" for a, b in itertools.pairwise(w)]


@dataclass(frozen=True, slots=True)
class DocTypes:
    """Per-type logistic regressions over binary word n-grams: how likely a document reports each CASIE type."""

    vocab: tuple[str, ...]
    weights: Any  # numpy array (n-grams x types)
    bias: Any  # numpy array (types,)

    @classmethod
    def load(cls, path: Path) -> DocTypes:
        import numpy as np

        with np.load(path, allow_pickle=False) as data:
            return cls(tuple(str(v) for v in data["vocab"]), data["weights"], data["bias"])

    def save(self, path: Path) -> None:
        import numpy as np

        np.savez_compressed(
            path, vocab=np.array(self.vocab), weights=self.weights.astype(np.float16), bias=self.bias
        )

    def scores(self, text: str, index: dict[str, int]) -> dict[str, float]:
        import numpy as np

        rows = sorted({index[g] for g in ngrams(text) if g in index})
        logits = self.weights[rows].astype(np.float32).sum(axis=0) + self.bias
        probs = 1.0 / (1.0 + np.exp(-logits))
        return {t: float(p) for t, p in zip(CASIE_TYPES, probs, strict=True)}


class CueLexicon:
    """The cue phrases of ``decoding`` compiled for matching."""

    MAX_WORDS = 3  # strong cue phrases are word n-grams up to this long

    def __init__(self, decoding: Decoding) -> None:
        self.patterns = {
            t: re.compile(r"\b(?:" + "|".join(re.escape(c) for c in cues) + r")\b", re.IGNORECASE)
            for t, cues in decoding.cues.items()
            if cues
        }
        self.rank = {t: {c.lower(): i for i, c in enumerate(cues)} for t, cues in decoding.cues.items()}
        self.strong = {
            t: frozenset(p for p, v in phrases.items() if v >= decoding.strong_precision)
            for t, phrases in decoding.strong_cues.items()
        }
        self.strong_share = decoding.strong_cues
        self.trigger_phrases = decoding.trigger_phrases
        # trigger phrases of any type precise enough that the trigger head reads their sentences (``propose_reads``)
        reads = {
            p
            for phrases in decoding.trigger_phrases.values()
            for p, v in phrases.items()
            if v >= decoding.propose_reads
        }
        self.reads_pattern = _phrase_pattern(reads) if reads and decoding.propose <= 1.0 else None
        # strong cue phrases matched in running text: for additions (``strong_add``) and harvesting
        floor = min(decoding.strong_add, decoding.strong_precision if decoding.harvest_strong else 1.01)
        self.strong_patterns = {
            t: _phrase_pattern(p for p, v in phrases.items() if v >= floor)
            for t, phrases in decoding.strong_cues.items()
            if any(v >= floor for v in phrases.values())
        }

    def phrase_precision(self, etype: str, trigger: str) -> float:
        """How often the trigger's whole text was a trigger of ``etype`` where it occurred in training (0: unknown)."""
        return self.trigger_phrases.get(etype, {}).get(phrase_key(trigger), 0.0)

    def is_strong(self, etype: str, trigger: str) -> bool:
        """Whether the trigger text contains a strong cue phrase of ``etype``."""
        strong = self.strong.get(etype)
        if not strong:
            return False
        w = words(trigger)
        return any(
            " ".join(w[i : i + n]) in strong
            for n in range(1, self.MAX_WORDS + 1)
            for i in range(len(w) - n + 1)
        )

    def strong_in(self, etype: str, text: str, at_least: float) -> list[re.Match[str]]:
        """Occurrences in ``text`` of the type's strong cue phrases at least ``at_least`` precise, most precise
        first (then in text order)."""
        pattern = self.strong_patterns.get(etype)
        if pattern is None:
            return []
        share = self.strong_share.get(etype, {})
        found = [m for m in pattern.finditer(text) if share.get(" ".join(words(m.group(0))), 0.0) >= at_least]
        return sorted(found, key=lambda m: (-share.get(" ".join(words(m.group(0))), 0.0), m.start()))

    def best_cue(self, etype: str, text: str) -> re.Match[str] | None:
        """The occurrence in ``text`` of the type's most frequent cue phrase (the first one in the text)."""
        pattern = self.patterns.get(etype)
        if pattern is None:
            return None
        rank = self.rank.get(etype, {})
        best: re.Match[str] | None = None
        for m in pattern.finditer(text):
            if best is None or rank.get(m.group(0).lower(), len(rank)) < rank.get(
                best.group(0).lower(), len(rank)
            ):
                best = m
        return best


def _phrase_pattern(phrases: Iterable[str]) -> re.Pattern[str]:
    """Word n-grams (as :func:`words` makes them) matched as whole words, any non-word characters between."""
    alternatives = sorted(
        (r"\W+".join(re.escape(w) for w in p.split()) for p in phrases), key=len, reverse=True
    )
    return re.compile(r"(?<![a-z0-9])(?:" + "|".join(alternatives) + r")(?![a-z0-9])", re.IGNORECASE)
