"""Choose the decoding settings on the held-out tenth of CASIE train and write ``decoding.json``.

    .venv/bin/python -m training.events.tune --data ../shared/data/casie --model src/threatledger/models/events \
        --scorer ../shared/eval/casie.py

The role -> event type table and the fallback trigger cues are counted on the other nine tenths.
"""

from __future__ import annotations

import argparse
import importlib.util
import itertools
import json
import logging
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

from training.events.corpus import GoldDoc, read_split, split_tune

from threatledger.extract.events import Decoding, EventExtractor
from threatledger.model import to_json

log = logging.getLogger("training.events.tune")


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


def load_scorer(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("casie_scorer", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


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
    """The argument pipeline with its results kept by input text: windows repeat across decoding settings."""

    def __init__(self, nlp: Any) -> None:
        self.nlp = nlp
        self.memo: dict[str, Any] = {}

    def pipe(self, texts: Iterable[str], batch_size: int = 64) -> Iterator[Any]:
        todo = list(texts)
        missing = list(dict.fromkeys(t for t in todo if t not in self.memo))
        for text, doc in zip(missing, self.nlp.pipe(missing, batch_size=batch_size), strict=True):
            self.memo[text] = doc
        return iter([self.memo[t] for t in todo])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--scorer", type=Path, required=True, help="path of the CASIE scorer (casie.py)")
    ap.add_argument("--split", default="tune", help="'tune' (held-out tenth of train) or 'dev' (report only)")
    ap.add_argument(
        "--report-only", action="store_true", help="score the current decoding.json, change nothing"
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    scorer = load_scorer(args.scorer)
    fit, tune = split_tune(read_split(args.data / "train"))
    docs = tune if args.split == "tune" else read_split(args.data / args.split)
    base = EventExtractor.load(args.model)
    assert base is not None, f"no model at {args.model}"
    texts = [d.text for d in docs]
    cache = base.analyse(texts)
    keys = ("doc_types", "triggers", "arguments", "doc_args")
    if args.report_only:
        res = evaluate(base, docs, cache, scorer)
        log.info("%s", {k: res[k]["f1"] for k in keys})
        return
    stats = {"role_types": role_types(fit), "cues": cues(fit)}
    best: tuple[float, dict[str, Any]] | None = None
    base._arguments = MemoPipeline(base._arguments)  # type: ignore[assignment]
    grid = itertools.product(
        (0.0, 0.2, 0.3, 0.4, 0.5), (1, 2, 3, 99), (0.6, 0.8, 1.01), (0.5, 0.7, 0.9, 1.01)
    )
    for keep, count, add, cue in grid:
        if keep == 0.0 and count != 1:
            continue
        settings = {"keep_threshold": keep, "keep_count": count, "add_threshold": add, "cue_threshold": cue}
        decoding = Decoding.from_json({**settings, **stats})
        res = evaluate(base.with_decoding(decoding), docs, cache, scorer)
        objective = sum(res[k]["f1"] for k in keys) / len(keys)
        if best is None or objective > best[0]:
            best = (objective, settings)
            log.info("%.4f %s %s", objective, settings, {k: res[k]["f1"] for k in keys})
    assert best is not None
    out = Decoding.from_json({**best[1], **stats}).to_json()
    (args.model / "decoding.json").write_text(
        json.dumps(out, indent=2, sort_keys=True) + "\n", encoding="utf-8"
    )
    log.info("wrote %s", args.model / "decoding.json")


if __name__ == "__main__":
    main()
