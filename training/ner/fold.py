"""Score the whole extractor on the AnnoCTR train fold that a model was trained without (``train.py --fold``).

The documents, gold spans and scores come from the entity scorer itself (``../shared/eval/entities.py``, imported),
so the figures are those the scorer would print for a split made of the fold's reports. The model under test is
given to the extractor through ``$THREATLEDGER_CYBERNER_MODEL``.

    .venv/bin/python training/ner/fold.py training/output/cyberner-fold5 [--errors MALWARE]

A model folder without model files scores the knowledge base and spaCy alone (``--fold 5`` then names the fold).

``--errors LABEL`` lists that label's false positives and false negatives (exact spans), for error analysis on the
fold, never on dev.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections import Counter
from pathlib import Path
from types import ModuleType
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(1, str(Path(__file__).resolve().parents[2]))  # the repository root, for training.scorers
from corpus import fold_split
from training.scorers import load_scorer

from threatledger.extract.cyberner import MODEL_ENV

DEFAULT_CMD = ".venv/bin/threatledger extract {dir} --format jsonl --no-events"


def scorer(path: Path) -> ModuleType:
    return load_scorer(path, "entity_scorer")


def fold_reports(model: Path, data: Path, every: int, seed: int, index: int = 0) -> list[str]:
    """The fold recorded by train.py next to the model, else the one `every` and `seed` give."""
    record = model.parent / f"{model.name}.train.json"
    if not every and record.is_file():
        return list(json.loads(record.read_text()).get("fold", []))
    keys = [p.stem for p in (data / "annoctr" / "ner_bio" / "train").glob("*.bio")]
    return fold_split(keys, every, seed, index)[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", type=Path)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--scorer", type=Path, default=Path("../shared/eval/entities.py"))
    ap.add_argument("--cmd", default=DEFAULT_CMD)
    ap.add_argument("--fold", type=int, default=0, help="the fold of train.py --fold (default: the model's)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--errors", default="", help="list this label's exact-span errors")
    ap.add_argument("--json", type=Path, help="also write the scores here")
    args = ap.parse_args()
    ev = scorer(args.scorer)
    names = fold_reports(args.model, args.data, args.fold, args.seed)
    if not names:
        sys.exit("the model was trained on every report (no --fold)")
    bio = args.data / "annoctr" / "ner_bio" / "train"
    docs = {n: ev.build_doc(ev.read_conll(bio / f"{n}.bio"), ev.COLUMNS["annoctr"]) for n in names}
    os.environ[MODEL_ENV] = str(args.model.resolve())
    preds, _ = ev.run_system(args.cmd, docs)
    result: dict[str, Any] = ev.score(docs, preds, "annoctr")
    sys.stdout.write(f"fold of {len(docs)} AnnoCTR train reports, model {args.model}\n")
    sys.stdout.write(f"{'label':10s} {'gold':>5s} {'pred':>5s}    P     R    F1   (overlap F1)\n")
    for lab in [*ev.LABELS["annoctr"], "overall"]:
        x, o = result["exact"][lab], result["overlap"][lab]
        sys.stdout.write(
            f"{lab:10s} {x['gold']:5d} {x['pred']:5d} {x['p']:.3f} {x['r']:.3f} {x['f1']:.3f}  ({o['f1']:.3f})\n"
        )
    if args.json:
        args.json.write_text(json.dumps(result, indent=1))
    if args.errors:
        errors(ev, docs, preds, args.errors)


def errors(ev: ModuleType, docs: dict[str, Any], preds: dict[str, list[Any]], label: str) -> None:
    tmap = ev.TYPE_MAP["annoctr"]
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    for doc_id, doc in docs.items():
        text = doc["text"]
        gold = {(s, e) for lab, s, e in doc["spans"] if lab == label}
        other = {(s, e): lab for lab, s, e in doc["spans"] if lab != label}
        typed = {(s, e): tmap.get(t) for t, s, e, _ in preds.get(doc_id, [])}
        pred = {(s, e) for (s, e), lab in typed.items() if lab == label}
        for s, e in sorted(pred - gold):
            near = [text[gs:ge] for gs, ge in gold if gs < e and s < ge]
            why = f"gold {near}" if near else f"gold {other[(s, e)]}" if (s, e) in other else "no gold"
            fp[f"{text[s:e]!r} ({why})"] += 1
        for s, e in sorted(gold - pred):
            near = [f"{text[ps:pe]}:{lab}" for (ps, pe), lab in typed.items() if ps < e and s < pe]
            fn[f"{text[s:e]!r} (pred {near})" if near else f"{text[s:e]!r} (missed)"] += 1
    for name, counts in (("false positives", fp), ("false negatives", fn)):
        sys.stdout.write(f"\n{label} {name}: {sum(counts.values())}\n")
        for key, n in counts.most_common():
            sys.stdout.write(f"  {n:3d}  {key}\n")


if __name__ == "__main__":
    main()
