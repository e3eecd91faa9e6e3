"""Time the ATT&CK stage per document: ``python -m training.attack.speed [--chars 4000] [--repeat 3]``.

Cuts the TRAM train reports into news-length documents (``--chars`` characters at a sentence boundary) and prints
the median milliseconds per document of ``extract_techniques`` without and with the sentence model, and the
one-off load time of the model.
"""

from __future__ import annotations

import argparse
import statistics
import time

from training.attack.data import SHARED, scorer

from threatledger.config import Settings
from threatledger.extract.attack import extract_techniques
from threatledger.extract.attack_model import TechniqueModel
from threatledger.knowledge import load_kb


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--chars", type=int, default=4000)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    gold = scorer(SHARED).load_gold(SHARED / "data", "train")
    docs = []
    for doc in gold.values():
        text = doc["content"]
        for i in range(0, len(text) - args.chars // 2, args.chars):
            cut = text.rfind(". ", i, i + args.chars)
            docs.append(text[i : cut + 1 if cut > i else i + args.chars])
    kb = load_kb(Settings.load())
    extract_techniques("warm up T1055 process injection", kb)
    t0 = time.perf_counter()
    model = TechniqueModel.load()
    load_ms = (time.perf_counter() - t0) * 1000
    if model is None:
        raise SystemExit("no model installed")
    for label, m in (("explicit ids and names", None), ("with the sentence model", model)):
        runs = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            for text in docs:
                extract_techniques(text, kb, m)
            runs.append((time.perf_counter() - t0) * 1000 / len(docs))
        print(
            f"{label:26s} {statistics.median(runs):6.2f} ms per document ({len(docs)} documents of ~{args.chars} chars)"
        )
    print(f"model load {load_ms:.0f} ms (once per process)")


if __name__ == "__main__":
    main()
