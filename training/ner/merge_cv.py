"""Choose the knowledge-base/model merge rules of ``threatledger.extract.entities`` by cross-validation on AnnoCTR
train: each report is scored with the model trained without its fold (``train.py --fold 5 --fold-index K``), so no
rule is judged on reports the model memorised. Gold spans and scores come from the entity scorer (imported).

    .venv/bin/python training/ner/merge_cv.py training/output/cyberner-fold5-{k} [--errors MALWARE]

``{k}`` is replaced by each fold index (0..4). Every variant in :data:`VARIANTS` is scored on the whole of train
(each report by its own fold's model); ``--errors`` lists the shipped rules' exact-span errors for one label.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fold import errors, fold_reports, scorer

from threatledger.config import Settings
from threatledger.extract.cyberner import CyberNER, merge
from threatledger.extract.entities import RULES, extract_entities
from threatledger.knowledge.loader import load_kb
from threatledger.nlp import load_english

# rule sets compared (name -> changes to the shipped rules)
VARIANTS: dict[str, dict[str, Any]] = {
    "shipped": {},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pattern", help="model folder with {k} for the fold index")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--scorer", type=Path, default=Path("../shared/eval/entities.py"))
    ap.add_argument("--errors", default="")
    ap.add_argument("--variants", default="", help="comma-separated subset of VARIANTS")
    args = ap.parse_args()
    ev = scorer(args.scorer)
    bio = args.data / "annoctr" / "ner_bio" / "train"
    kb = load_kb(Settings.load())
    nlp = load_english()
    docs: dict[str, Any] = {}
    spans: dict[str, list[tuple[int, int, str]]] = {}
    for k in range(args.folds):
        path = Path(args.pattern.format(k=k))
        model = CyberNER.load(path)
        assert model is not None, path
        names = fold_reports(path, args.data, args.folds, args.seed, k)
        for name in names:
            docs[name] = ev.build_doc(ev.read_conll(bio / f"{name}.bio"), ev.COLUMNS["annoctr"])
        texts = [docs[n]["text"] for n in names]
        for name, heads in zip(names, model.head_spans_many(texts), strict=True):
            spans[name] = merge(heads)
    sdocs = dict(zip(docs, nlp.pipe((d["text"] for d in docs.values()), batch_size=8), strict=True))
    chosen = [v for v in args.variants.split(",") if v] or list(VARIANTS)
    labels = ["MALWARE", "GROUP", "TOOL", "ORG", "LOC", "SECTOR", "overall"]
    sys.stdout.write(f"{len(docs)} reports; exact F1 (P/R for MALWARE)\n{'variant':28s} " + " ".join(
        f"{x:>8s}" for x in labels) + "\n")  # fmt: skip
    for name in chosen:
        rules = dataclasses.replace(RULES, **VARIANTS[name])
        preds = {d: predicted(extract_entities(sdocs[d], kb, spans[d], rules)) for d in docs}
        result = ev.score(docs, preds, "annoctr")["exact"]
        mal = result["MALWARE"]
        cells = " ".join(f"{result[x]['f1']:8.3f}" for x in labels)
        sys.stdout.write(f"{name:28s} {cells}   MALWARE P {mal['p']:.3f} R {mal['r']:.3f}\n")
        if args.errors and name == chosen[0]:
            errors(ev, docs, preds, args.errors)


def predicted(entities: Any) -> list[tuple[str, int, int, str]]:
    out = []
    for ent in entities:
        typ = "-".join(ent.type.lower().replace("_", " ").split())
        out += [(typ, m.start, m.end, m.text) for m in ent.mentions]
    return out


if __name__ == "__main__":
    main()
