"""Score merge-rule variants (merge_cv.VARIANTS) with a model trained on all of AnnoCTR train, on the train
reports that model held out for early stopping (one in nine, corpus.holdout_split): a check that rules chosen by
cross-validation with the fold models still help the model that ships.

    .venv/bin/python training/ner/heldout_rules.py src/threatledger/models/cyberner before,shipped,type
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import holdout_split
from fold import scorer
from merge_cv import HEADS, VARIANTS, predicted

from threatledger.config import Settings
from threatledger.extract.cyberner import CyberNER, merge
from threatledger.extract.entities import extract_entities
from threatledger.extract.entity_rules import MergeRules
from threatledger.knowledge.loader import load_kb
from threatledger.nlp import load_english


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", type=Path)
    ap.add_argument("variants", help="comma-separated names from merge_cv.VARIANTS")
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--scorer", type=Path, default=Path("../shared/eval/entities.py"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    ev = scorer(args.scorer)
    bio = args.data / "annoctr" / "ner_bio" / "train"
    held = holdout_split(sorted(p.stem for p in bio.glob("*.bio")), 9, args.seed)[1]
    kb = load_kb(Settings.load())
    nlp = load_english()
    model = CyberNER.load(args.model)
    assert model is not None, args.model
    docs = {n: ev.build_doc(ev.read_conll(bio / f"{n}.bio"), ev.COLUMNS["annoctr"]) for n in held}
    texts = [docs[n]["text"] for n in held]
    heads = dict(zip(held, model.head_spans_many(texts), strict=True))
    sdocs = dict(zip(held, nlp.pipe(texts), strict=True))
    labels = ["MALWARE", "GROUP", "TOOL", "ORG", "LOC", "SECTOR"]
    sys.stdout.write(f"{len(held)} held-out train reports; exact F1\n{'variant':28s} {' '.join(labels)}\n")
    for name in args.variants.split(","):
        changes = dict(VARIANTS[name])
        priority = HEADS[changes.pop("heads", "ce>cy>ne")]
        rules = dataclasses.replace(MergeRules(), **changes)
        preds = {d: predicted(extract_entities(sdocs[d], kb, merge(heads[d], priority), rules)) for d in held}
        res = ev.score(docs, preds, "annoctr")["exact"]
        cells = " ".join(f"{res[x]['f1']:.3f}" for x in labels)
        mal = res["MALWARE"]
        sys.stdout.write(f"{name:28s} {cells}   MALWARE P {mal['p']:.3f} R {mal['r']:.3f}\n")


if __name__ == "__main__":
    main()
