"""Score a trained model on the held-out slices of the training splits, per head and merged under several
head priorities (how the merge order in threatledger.extract.cyberner.PRIORITY was chosen, without dev data).

    .venv/bin/python training/ner/heldout.py src/threatledger/models/cyberner
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import Chunk, annoctr, cy_holdout, cyner, holdout_split
from train import prf

from threatledger.extract.cyberner import PRIORITY, CyberNER, merge

CE = ("ner_ce", frozenset({"GROUP", "MALWARE", "TOOL"}))
CY = ("ner_cy", frozenset({"MALWARE", "SYSTEM", "VULNERABILITY"}))
NE = ("ner_ne", frozenset({"ORG", "LOC", "SECTOR"}))
_POLICIES = {
    "ce>cy>ne": (CE, CY, NE),
    "cy>ce>ne": (CY, CE, NE),
    "ce>ne>cy": (CE, NE, CY),
    "ce>cy-no-malware>ne": (CE, ("ner_cy", frozenset({"SYSTEM", "VULNERABILITY"})), NE),
}
POLICIES = {f"{k} (shipped)" if v == PRIORITY else k: v for k, v in _POLICIES.items()}


def score(
    model: CyberNER, chunks: list[Chunk], policy: tuple[tuple[str, frozenset[str]], ...]
) -> dict[str, object]:
    c: Counter[str] = Counter()
    for chunk in chunks:
        pred, gold = set(merge(model.head_spans(chunk.text), policy)), set(chunk.spans)
        for name, group in (("pred", pred), ("gold", gold), ("tp", pred & gold)):
            for _, _, label in group:
                c[f"{label}.{name}"] += 1
    labels = sorted({k.split(".")[0] for k in c if k.endswith(".gold")})
    return {lab: prf(c[lab + ".tp"], c[lab + ".pred"], c[lab + ".gold"])["f1"] for lab in labels}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("model", type=Path)
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    model = CyberNER.load(args.model)
    assert model is not None
    ctr = args.data / "annoctr"
    ce, ne = annoctr(ctr, "train", "ce"), annoctr(ctr, "train", "ne")
    _, ctr_held = holdout_split(list(ce), 9, args.seed)
    cy_docs = cyner(args.data / "cyner" / "train.txt")
    _, cy_held = cy_holdout([f"{i:04d}" for i in range(len(cy_docs))])
    ctr_chunks = [
        Chunk(a.source, a.text, a.spans + b.spans)
        for k in ctr_held
        for a, b in zip(ce[k], ne[k], strict=True)
    ]
    # CyNER's ORG and INDICATOR are left out: organisations come from the general head, indicators from regexes
    cy_chunks = [
        Chunk(d.source, d.text, tuple(s for s in d.spans if s[2] in {"MALWARE", "SYSTEM", "VULNERABILITY"}))
        for d in (cy_docs[int(i)] for i in cy_held)
    ]
    for name, policy in POLICIES.items():
        out = {"annoctr": score(model, ctr_chunks, policy), "cyner": score(model, cy_chunks, policy)}
        sys.stdout.write(f"{name:24s} {json.dumps(out)}\n")


if __name__ == "__main__":
    main()
