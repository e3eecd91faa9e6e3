"""Measure the products and vendors the vulnerability extractor ties to CVE ids, against CASIE's annotations.

    .venv/bin/python -m training.vulnerabilities --data ../shared/data/casie --split dev [--errors]

Gold: every CASIE event with a ``cve`` argument gives that id the event's ``vulnerable_system`` arguments as its
products and its ``vulnerable_system_owner`` arguments as its vendors. The documents holding such events are run
through ``threatledger extract`` (the whole extractor, event model included) and each id's product and vendor are
compared with the gold ones: "overlap" counts a prediction right when it shares characters with a gold span or one
normalised text contains the other ("Flash" for "Flash Player" named elsewhere); "exact" wants the same normalised
text. Precision counts only ids CASIE annotates, and a product CASIE left unannotated counts as wrong, so it is a
lower bound; CASIE annotates few vendors (13 in train), too few to judge them.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

from training.events.corpus import GoldDoc, read_split
from training.scorers import load_scorer

ROLES = {"product": "vulnerable_system", "vendor": "vulnerable_system_owner"}


def gold_of(doc: GoldDoc) -> dict[str, dict[str, list[tuple[int, int]]]]:
    gold: dict[str, dict[str, list[tuple[int, int]]]] = defaultdict(lambda: {k: [] for k in ROLES})
    for e in doc.events:
        for cve in {doc.text[a.start : a.end].strip().upper() for a in e.arguments if a.label == "cve"}:
            for key, role in ROLES.items():
                gold[cve][key] += [(a.start, a.end) for a in e.arguments if a.label == role]
    return gold


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="the CASIE folder")
    ap.add_argument("--split", default="dev")
    ap.add_argument(
        "--scorer", type=Path, default=Path("../shared/eval/casie.py"), help="for its text normaliser"
    )
    ap.add_argument("--cmd", default=".venv/bin/threatledger extract {dir} --format jsonl")
    ap.add_argument("--errors", action="store_true", help="list the wrong and the missed products")
    args = ap.parse_args()
    norm = load_scorer(args.scorer, "casie_scorer").norm_text
    docs = [d for d in read_split(args.data / args.split) if gold_of(d)]
    with tempfile.TemporaryDirectory() as tmp:
        for d in docs:
            (Path(tmp) / f"{d.id}.txt").write_text(d.text, encoding="utf-8")
        run = subprocess.run(args.cmd.format(dir=tmp), shell=True, capture_output=True, text=True, check=True)
    records = {r["doc_id"]: r for r in map(json.loads, run.stdout.splitlines())}
    counts: Counter[str] = Counter()
    for d in docs:
        found = {v["id"]: v for v in records.get(d.id, {}).get("vulnerabilities", [])}
        for cve, gold in gold_of(d).items():
            counts["ids"] += 1
            for key, spans in gold.items():
                pred: dict[str, Any] | None = found.get(cve, {}).get(key)
                counts[f"{key} gold"] += bool(spans)
                counts[f"{key} pred"] += pred is not None
                if pred is None or not spans:
                    if args.errors and key == "product" and spans:
                        sys.stdout.write(f"missed {cve}: {[d.text[s:e] for s, e in spans][:3]}\n")
                    continue
                texts = [norm(d.text[s:e]) for s, e in spans]
                mine = norm(pred["text"])
                overlap = any(s < pred["end"] and pred["start"] < e for s, e in spans) or any(
                    mine in t or t in mine for t in texts
                )
                counts[f"{key} overlap"] += overlap
                counts[f"{key} exact"] += mine in texts
                if args.errors and key == "product" and not overlap:
                    sys.stdout.write(f"wrong {cve}: {pred['text']!r} for {texts[:3]}\n")
    sys.stdout.write(f"CASIE {args.split}: {len(docs)} documents, {counts['ids']} CVE ids in events\n")
    for key in ROLES:
        for match in ("overlap", "exact"):
            tp, pred, gold = counts[f"{key} {match}"], counts[f"{key} pred"], counts[f"{key} gold"]
            sys.stdout.write(
                f"{key:8s}{match:8s} P {tp / max(pred, 1):.3f} R {tp / max(gold, 1):.3f}  "
                f"(right {tp}, predicted {pred}, gold {gold})\n"
            )


if __name__ == "__main__":
    main()
