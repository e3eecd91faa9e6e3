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
from corpus import cy_holdout
from fold import errors, fold_reports, scorer

from threatledger.config import Settings
from threatledger.extract.cyberner import PRIORITY, CyberNER, merge
from threatledger.extract.entities import extract_entities
from threatledger.extract.entity_rules import RULES, MergeRules
from threatledger.knowledge.loader import load_kb
from threatledger.nlp import load_english

# the cyber model's head priority: the shipped one (threatledger.extract.cyberner.PRIORITY) and alternatives
_CE, _CY, _NE = (next(x for x in PRIORITY if x[0] == h) for h in ("ner_ce", "ner_cy", "ner_ne"))
HEADS = {
    "shipped": PRIORITY,
    "ce>cy>ne": (_CE, _CY, _NE),
    "ce>ne>cy": (_CE, _NE, _CY),
    "no-cy-malware": (_CE, (_CY[0], _CY[1] - {"MALWARE"}), _NE),
    "no-cy": (_CE, _NE),
}
_MAL = frozenset({"malware", "tool"})
_TRIM = frozenset({"ransomware", "malware", "backdoor", "trojan", "botnet", "variant"})
# rule sets compared: name -> changes to MergeRules() (every rule off) and, under "heads", the head priority
# (default: ce>cy>ne, the order before the rules were chosen). "before" is the extractor as it was; "shipped"
# is threatledger.extract.entity_rules.RULES with cyberner.PRIORITY.
VARIANTS: dict[str, dict[str, Any]] = {
    "before": {},
    "shipped": {
        **{f.name: getattr(RULES, f.name) for f in dataclasses.fields(MergeRules)},
        "heads": "shipped",
    },
    "shipped+org-country-prefix": {
        **{f.name: getattr(RULES, f.name) for f in dataclasses.fields(MergeRules)},
        "heads": "shipped",
        "org_country_prefix": True,
    },
    "shipped+org-over-place": {
        **{f.name: getattr(RULES, f.name) for f in dataclasses.fields(MergeRules)},
        "heads": "shipped",
        "org_over_place": True,
    },
    "shipped+both": {
        **{f.name: getattr(RULES, f.name) for f in dataclasses.fields(MergeRules)},
        "heads": "shipped",
        "org_country_prefix": True,
        "org_over_place": True,
    },
    "shipped-without-spacy-orgs": {
        **{f.name: getattr(RULES, f.name) for f in dataclasses.fields(MergeRules)},
        "heads": "shipped",
        "spacy_orgs": "never",
    },
    "shipped+spacy-orgs-free": {
        **{f.name: getattr(RULES, f.name) for f in dataclasses.fields(MergeRules)},
        "heads": "shipped",
        "spacy_orgs": "free",
    },
    "shipped+spacy-orgs-named": {
        **{f.name: getattr(RULES, f.name) for f in dataclasses.fields(MergeRules)},
        "heads": "shipped",
        "spacy_orgs": "named",
    },
    "no-cy-malware": {"heads": "no-cy-malware"},
    "no-cy": {"heads": "no-cy"},
    "ce>ne>cy": {"heads": "ce>ne>cy"},
    "type": {"model_type": True},
    "bounds-longer": {"model_bounds": "longer"},
    "bounds-shorter": {"model_bounds": "shorter"},
    "bounds-always": {"model_bounds": "always"},
    "bounds-always-mal": {"model_bounds": "always", "bounds_types": _MAL},
    "bounds-always-group": {"model_bounds": "always", "bounds_types": frozenset({"threat-actor"})},
    "confirm-cued": {"confirm": frozenset({"cued"})},
    "confirm-exact": {"confirm": frozenset({"exact"})},
    "confirm-exact-cued": {"confirm": frozenset({"exact", "cued"})},
    "confirm-all": {"confirm": frozenset({"exact", "cued", "fold"})},
    "new-zipf3": {"new_zipf": 3.0},
    "new-zipf4": {"new_zipf": 4.0},
    "new-person": {"new_person": 1},
    "new-person2": {"new_person": 2},
    "type+person2+zipf4": {"model_type": True, "new_person": 2, "new_zipf": 4.0},
    "type+person+zipf4": {"model_type": True, "new_person": 1, "new_zipf": 4.0},
    "new-shape": {"new_shape": True},
    "vote": {"vote": True},
    "propagate": {"propagate": True},
    "vote-propagate": {"vote": True, "propagate": True},
    "type+person+zipf3": {"model_type": True, "new_person": 1, "new_zipf": 3.0},
    "type+person+zipf3+no-cy": {"model_type": True, "new_person": 1, "new_zipf": 3.0, "heads": "no-cy"},
    "type+person+zipf3+no-cy-mal": {
        "model_type": True,
        "new_person": 1,
        "new_zipf": 3.0,
        "heads": "no-cy-malware",
    },
    "type+person+zipf3+vote": {"model_type": True, "new_person": 1, "new_zipf": 3.0, "vote": True},
    "type+person+zipf3+confirm-exact": {
        "model_type": True,
        "new_person": 1,
        "new_zipf": 3.0,
        "confirm": frozenset({"exact"}),
    },
    "type+person+zipf3+shape": {"model_type": True, "new_person": 1, "new_zipf": 3.0, "new_shape": True},
    "A=type+person+zipf4+ce>ne>cy": {
        "model_type": True,
        "new_person": 1,
        "new_zipf": 4.0,
        "heads": "ce>ne>cy",
    },
    "B=A+confirm-exact": {
        "model_type": True,
        "new_person": 1,
        "new_zipf": 4.0,
        "heads": "ce>ne>cy",
        "confirm": frozenset({"exact"}),
    },
    "C=B+trim": {
        "model_type": True,
        "new_person": 1,
        "new_zipf": 4.0,
        "heads": "ce>ne>cy",
        "confirm": frozenset({"exact"}),
        "trim": _TRIM,
    },
    "D=A+person2": {"model_type": True, "new_person": 2, "new_zipf": 4.0, "heads": "ce>ne>cy"},
    "C2=C+person2": {
        "model_type": True,
        "new_person": 2,
        "new_zipf": 4.0,
        "heads": "ce>ne>cy",
        "confirm": frozenset({"exact"}),
        "trim": _TRIM,
    },
    "F=C2-type-confirm": {"new_person": 2, "new_zipf": 4.0, "heads": "ce>ne>cy", "trim": _TRIM},
    "trim": {"trim": _TRIM},
    "trim-more": {"trim": _TRIM | {"loader", "stealer", "rat", "dropper"}},
}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("pattern", help="model folder with {k} for the fold index")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--scorer", type=Path, default=Path("../shared/eval/entities.py"))
    ap.add_argument("--only", default="", help="comma-separated fold indices (default: all)")
    ap.add_argument("--errors", default="")
    ap.add_argument("--variants", default="", help="comma-separated subset of VARIANTS")
    args = ap.parse_args()
    ev = scorer(args.scorer)
    bio = args.data / "annoctr" / "ner_bio" / "train"
    kb = load_kb(Settings.load())
    nlp = load_english()
    docs: dict[str, Any] = {}
    heads: dict[str, dict[str, list[tuple[int, int, str]]]] = {}
    for k in [int(x) for x in args.only.split(",") if x] or range(args.folds):
        path = Path(args.pattern.format(k=k))
        model = CyberNER.load(path)
        assert model is not None, path
        names = fold_reports(path, args.data, args.folds, args.seed, k)
        for name in names:
            docs[name] = ev.build_doc(ev.read_conll(bio / f"{name}.bio"), ev.COLUMNS["annoctr"])
        texts = [docs[n]["text"] for n in names]
        for name, per_head in zip(names, model.head_spans_many(texts), strict=True):
            heads[name] = per_head
    # CyNER: the held-out tail of its train split (whole articles no fold model trained on), scored as the scorer
    # cuts CyNER into documents, with the last model loaded
    cy_all = ev.load_gold(args.data, "cyner", "train")
    cy_docs = {d: cy_all[d] for d in list(cy_all)[-len(cy_holdout(list(cy_all))[1]) :]}
    for name, per_head in zip(
        cy_docs, model.head_spans_many([d["text"] for d in cy_docs.values()]), strict=True
    ):
        heads[name] = per_head
    every = {**docs, **cy_docs}
    sdocs = dict(zip(every, nlp.pipe((d["text"] for d in every.values()), batch_size=8), strict=True))
    chosen = [v for v in args.variants.split(",") if v] or list(VARIANTS)
    labels = [
        "MALWARE",
        "GROUP",
        "TOOL",
        "ORG",
        "LOC",
        "SECTOR",
        "overall",
        "CyNER-Malware",
        "CyNER-Org",
        "CyNER-System",
    ]
    sys.stdout.write(f"{len(docs)} reports; exact F1, overall without DATE (P/R for MALWARE)\n{'variant':28s} " + " ".join(
        f"{x:>8s}" for x in labels) + "\n")  # fmt: skip
    for name in chosen:
        changes = dict(VARIANTS[name])
        priority = HEADS[changes.pop("heads", "ce>cy>ne")]
        rules = dataclasses.replace(MergeRules(), **changes)
        preds = {
            d: predicted(extract_entities(sdocs[d], kb, merge(heads[d], priority), rules)) for d in every
        }
        result = ev.score(docs, preds, "annoctr")["exact"]
        # overall without DATE (dates come from another extractor)
        tot = [sum(result[x][k] for x in labels[:-4]) for k in ("tp", "pred", "gold")]
        result["overall"] = ev.prf(*tot)
        cyner = ev.score(cy_docs, preds, "cyner")["exact"]
        result["CyNER-Malware"], result["CyNER-Org"] = cyner["Malware"], cyner["Organization"]
        result["CyNER-System"] = cyner["System"]
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
