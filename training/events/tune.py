"""Choose the decoding settings on the held-out tenth of CASIE train and write ``decoding.json``.

    .venv/bin/python -m training.events.tune --data ../shared/data/casie --model src/threatledger/models/events \
        --scorer ../shared/eval/casie.py

The role -> event type table and the fallback trigger cues are counted on the other nine tenths. The search is a
coordinate ascent on the mean of the four CASIE F1 scores: the taggers' recall biases against the document-type
filter, then the argument windows, the strong cue phrases that keep a trigger against that filter, the cue
triggers (at the best cue phrase or a strong one), and last per-type and per-role biases (a role can be switched
off), each kept only when it gains at least 0.002 (the tenth has 70 documents).
"""

from __future__ import annotations

import argparse
import itertools
import json
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from training.events.corpus import TUNE_SPLITS, GoldDoc, read_split, split_tune
from training.scorers import load_scorer

from threatledger.extract.event_decoding import CueLexicon, phrase_key, words
from threatledger.extract.events import Decoding, EventExtractor
from threatledger.model import to_json

log = logging.getLogger("training.events.tune")

ROLE_OFF = -10.0  # a role bias that keeps the argument tagger from ever opening a span of the role


def role_types(docs: list[GoldDoc], min_share: float = 0.03) -> dict[str, tuple[str, ...]]:
    counts: dict[str, Counter[str]] = defaultdict(Counter)
    for d in docs:
        for e in d.events:
            for a in e.arguments:
                counts[a.label][e.type] += 1
    return {
        role: tuple(sorted(t for t, n in c.items() if n >= min_share * sum(c.values())))
        for role, c in sorted(counts.items())
    }


def cues(
    docs: list[GoldDoc], top: int = 15, min_count: int = 3, min_purity: float = 0.8
) -> dict[str, tuple[str, ...]]:
    by_text: dict[str, Counter[str]] = defaultdict(Counter)
    for d in docs:
        for e in d.events:
            by_text[d.text[e.trigger.start : e.trigger.end].lower().strip()][e.type] += 1
    per_type: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for text, c in by_text.items():
        etype, n = c.most_common(1)[0]
        if n >= min_count and n >= min_purity * sum(c.values()) and len(text) > 2:
            per_type[etype].append((n, text))
    return {t: tuple(text for _, text in sorted(v, reverse=True)[:top]) for t, v in sorted(per_type.items())}


def strong_cues(
    docs: list[GoldDoc], min_docs: int = 5, min_triggers: int = 2, min_share: float = 0.75
) -> dict[str, dict[str, float]]:
    """Word n-grams of gold trigger texts, per type, with the share of the documents containing them (word
    n-gram anywhere in the text) that report the type (add-one smoothed); kept when seen as part of at least
    ``min_triggers`` triggers of the type, in at least ``min_docs`` documents, and with a share >= ``min_share``."""

    def grams(w: list[str]) -> set[str]:
        n_max = CueLexicon.MAX_WORDS
        return {" ".join(w[i : i + n]) for n in range(1, n_max + 1) for i in range(len(w) - n + 1)}

    in_triggers: Counter[tuple[str, str]] = Counter()
    for d in docs:
        for e in d.events:
            for g in grams(words(d.text[e.trigger.start : e.trigger.end])):
                in_triggers[(g, e.type)] += 1
    wanted = {g for g, _ in in_triggers}
    df: Counter[str] = Counter()
    df_type: Counter[tuple[str, str]] = Counter()
    for d in docs:
        present = grams(words(d.text)) & wanted
        df.update(present)
        df_type.update((g, t) for g in present for t in {e.type for e in d.events})
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for (g, t), n in in_triggers.items():
        share = df_type[(g, t)] / (df[g] + 1)
        if n >= min_triggers and df[g] >= min_docs and share >= min_share:
            out[t][g] = round(share, 3)
    return {t: dict(sorted(v.items())) for t, v in sorted(out.items())}


def trigger_phrases(
    docs: list[GoldDoc], min_count: int = 4, floor: float = 0.5
) -> dict[str, dict[str, float]]:
    """Per type, the whole texts of gold triggers with the share of their occurrences in ``docs`` (whole words, any
    case) that are gold triggers of the type (occurrences + 1 in the denominator); kept when the text occurs at
    least ``min_count`` times and the share is at least ``floor``."""
    texts = {phrase_key(d.text[e.trigger.start : e.trigger.end]) for d in docs for e in d.events}
    out: dict[str, dict[str, float]] = defaultdict(dict)
    for text in sorted(t for t in texts if len(t) > 2):
        pattern = re.compile(
            r"(?<!\w)" + r"\s+".join(map(re.escape, text.split())) + r"(?!\w)", re.IGNORECASE
        )
        seen = 0
        hits: Counter[str] = Counter()
        for d in docs:
            for m in pattern.finditer(d.text):
                seen += 1
                hit = next(
                    (e.type for e in d.events if e.trigger.start < m.end() and m.start() < e.trigger.end),
                    None,
                )
                if hit is not None:
                    hits[hit] += 1
        for etype, n in hits.items():
            share = n / (seen + 1)
            if seen >= min_count and share >= floor:
                out[etype][text] = round(share, 3)
    return {t: dict(sorted(v.items())) for t, v in sorted(out.items())}


def evaluate(
    extractor: EventExtractor, docs: list[GoldDoc], tdocs: list[Any], scorer: ModuleType
) -> dict[str, Any]:
    gold = {}
    preds = {}
    for d in docs:
        gold[d.id] = {
            "content": d.text,
            "events": [
                {
                    "type": e.type,
                    "start": e.trigger.start,
                    "end": e.trigger.end,
                    "arguments": [
                        {"role": a.label, "start": a.start, "end": a.end, "text": d.text[a.start : a.end]}
                        for a in e.arguments
                    ],
                }
                for e in d.events
            ],
        }
    events = extractor.decode([d.text for d in docs], tdocs)
    for d, evs in zip(docs, events, strict=True):
        preds[d.id] = [to_json(e) for e in evs]
    result: dict[str, Any] = scorer.score(gold, preds)
    return result


class MemoPipeline:
    """The argument pipeline with its results kept by input text and output bias: windows repeat across
    decoding settings."""

    def __init__(self, nlp: Any) -> None:
        self.nlp = nlp
        self.memo: dict[tuple[bytes, str], Any] = {}

    def get_pipe(self, name: str) -> Any:
        return self.nlp.get_pipe(name)

    def pipe(self, texts: Iterable[str], batch_size: int = 64) -> Iterator[Any]:
        bias = self.nlp.get_pipe("ner").model.get_ref("upper").get_param("b").tobytes()
        todo = [(bias, t) for t in texts]
        missing = list(dict.fromkeys(k for k in todo if k not in self.memo))
        docs = self.nlp.pipe([t for _, t in missing], batch_size=batch_size)
        for key, doc in zip(missing, docs, strict=True):
            self.memo[key] = doc
        return iter([self.memo[k] for k in todo])


class Search:
    """Coordinate ascent over decoding settings, scored by the mean F1 of the four CASIE scores."""

    KEYS = ("doc_types", "triggers", "arguments", "doc_args")

    def __init__(
        self, base: EventExtractor, docs: list[GoldDoc], scorer: ModuleType, stats: dict[str, Any]
    ) -> None:
        self.base, self.docs, self.scorer, self.stats = base, docs, scorer, stats
        self.analysed: dict[str, list[Any]] = {}
        self.best: tuple[float, dict[str, Any]] = (-1.0, {})

    def score(self, settings: dict[str, Any]) -> tuple[float, dict[str, float]]:
        extractor = self.base.with_decoding(Decoding.from_json({**settings, **self.stats}))
        key = json.dumps([settings.get("trigger_bias", 0.0), settings.get("type_bias", {})], sort_keys=True)
        if key not in self.analysed:  # the trigger tagger's output depends only on its biases
            self.analysed[key] = extractor.analyse([d.text for d in self.docs])
        res = evaluate(extractor, self.docs, self.analysed[key], self.scorer)
        f1 = {k: float(res[k]["f1"]) for k in self.KEYS}
        return sum(f1.values()) / len(f1), f1

    def consider(self, settings: dict[str, Any], margin: float = 1e-4) -> float:
        """Score ``settings`` and keep them when they beat the best so far by ``margin``."""
        objective, f1 = self.score(settings)
        if objective > self.best[0] + margin:
            self.best = (objective, settings)
            log.info("%.4f %s %s", objective, settings, f1)
        return objective

    def grid(self, **axes: Iterable[Any]) -> None:
        """Try every combination of the given settings around the best so far."""
        start = dict(self.best[1])
        names = list(axes)
        for values in itertools.product(*axes.values()):
            self.consider({**start, **dict(zip(names, values, strict=True))})

    def per_label(self, name: str, labels: Iterable[str], values: Iterable[float], margin: float) -> None:
        """One label's bias at a time, the others held at their best; a label keeps a bias only when that
        gains at least ``margin`` (70 documents: smaller gains are mostly noise)."""
        for label in labels:
            start = dict(self.best[1])
            for v in values:
                self.consider({**start, name: {**start.get(name, {}), label: v}}, margin)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--scorer", type=Path, required=True, help="path of the CASIE scorer (casie.py)")
    ap.add_argument(
        "--split", default="tune", help="'tune' (the held-out part of train) or a split folder ('dev')"
    )
    ap.add_argument(
        "--half",
        type=int,
        choices=(0, 1),
        help="only every other document of the split (by sorted id), starting with this one: tune on one half, "
        "report on the other",
    )
    ap.add_argument(
        "--report-only", action="store_true", help="score the current decoding.json, change nothing"
    )
    ap.add_argument("--tune-split", choices=TUNE_SPLITS, default="tenth", help="see corpus.split_tune")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    scorer = load_scorer(args.scorer, "casie_scorer")
    fit, tune = split_tune(read_split(args.data / "train"), args.tune_split)
    docs = tune if args.split == "tune" else read_split(args.data / args.split)
    if args.half is not None:
        docs = docs[args.half :: 2]
    base = EventExtractor.load(args.model)
    assert base is not None, f"no model at {args.model}"
    if args.report_only:
        res = evaluate(base, docs, base.analyse([d.text for d in docs]), scorer)
        log.info("%s", {k: res[k]["f1"] for k in Search.KEYS})
        return
    stats = {
        "role_types": role_types(fit),
        "cues": cues(fit),
        "strong_cues": strong_cues(fit),
        "trigger_phrases": trigger_phrases(fit),
    }
    base._arguments = MemoPipeline(base._arguments)  # type: ignore[assignment]
    search = Search(base, docs, scorer, stats)
    current = json.loads((args.model / "decoding.json").read_text(encoding="utf-8"))
    search.consider({k: v for k, v in current.items() if k not in stats})
    # the taggers' recall against the document-type filter, then the argument windows, then per-label biases
    search.grid(
        trigger_bias=(0.0, 0.5, 1.0, 1.5, 2.0, 2.5),
        argument_bias=(0.0, 1.0, 2.0),
        keep_threshold=(0.0, 0.1, 0.2, 0.3, 0.4),
        keep_count=(2, 3, 99),
    )
    search.grid(
        argument_bias=(0.5, 1.0, 1.5, 2.0, 2.5, 3.0),
        short_sentence=(0, 60, 100, 150),
        harvest=(False, True),
        harvest_strong=(False, True),
    )
    # triggers kept for a strong cue phrase whatever the document classifier says, against the filter
    search.grid(
        strong_precision=(0.85, 0.9, 0.93, 0.95, 0.97, 1.01),
        keep_threshold=(0.1, 0.2, 0.3, 0.4, 0.5),
        trigger_bias=(0.5, 1.0, 1.5, 2.0),
    )
    # a likely type without a trigger gets one at its best cue phrase; or every cue phrase is a trigger
    search.grid(
        add_threshold=(0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.01),
        cue_threshold=(0.7, 0.8, 0.9, 1.01),
        strong_add=(0.9, 0.95, 0.97, 1.01),
    )
    search.per_label(
        "type_bias", sorted({e.type for d in fit for e in d.events}), (-1.0, -0.5, 0.5, 1.0), 0.002
    )
    frequent = Counter(a.label for d in docs for e in d.events for a in e.arguments)
    # a role's bias of -10 switches it off: the clause-like roles are mostly wrong
    search.per_label(
        "role_bias", sorted(r for r, n in frequent.items() if n >= 10), (ROLE_OFF, -3.0, -1.0, 1.0), 0.002
    )
    best = search.best
    out = Decoding.from_json({**best[1], **stats}).to_json()
    (args.model / "decoding.json").write_text(
        json.dumps(out, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    log.info("wrote %s", args.model / "decoding.json")


if __name__ == "__main__":
    main()
