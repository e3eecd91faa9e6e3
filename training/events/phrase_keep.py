"""Choose ``phrase_keep`` (keep a tagged trigger whose whole text is a precise trigger phrase, whatever the document
classifier says) by two-fold cross-validation on CASIE dev, and write it with the phrase table into ``decoding.json``.

    .venv/bin/python -m training.events.phrase_keep --data ../shared/data/casie --model src/threatledger/models/events \
        --scorer ../shared/eval/casie.py [--write 0.6]

The phrase table (``trigger_phrases``) is counted on the fitted nine tenths of train, as the other cue statistics.
The threshold is the one setting chosen on dev (the issue allows tuning on dev): the held-out tenth of train has
almost no documents that mention a type in passing, which is where the rule matters, while dev and test, drawn from
the same id range, have many. The table printed gives the four F1 scores on the tenth and on each half of dev
(every other document) for each threshold; a threshold is worth shipping when the one chosen on either half also
gains on the other. ``--write`` stores the table and the given threshold and changes nothing else.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path

from training.events.corpus import read_split, split_tune
from training.events.tune import Search, evaluate, trigger_phrases
from training.scorers import load_scorer

from threatledger.extract.events import Decoding, EventExtractor

log = logging.getLogger("training.events.phrase_keep")
THRESHOLDS = (1.01, 0.9, 0.8, 0.7, 0.6, 0.5)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--scorer", type=Path, required=True)
    ap.add_argument("--write", type=float, help="store this threshold and the phrase table in decoding.json")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    scorer = load_scorer(args.scorer, "casie_scorer")
    fit, tenth = split_tune(read_split(args.data / "train"))
    dev = read_split(args.data / "dev")
    base = EventExtractor.load(args.model)
    assert base is not None, f"no model at {args.model}"
    phrases = trigger_phrases(fit)
    if args.write is not None:
        path = args.model / "decoding.json"
        data = json.loads(path.read_text(encoding="utf-8"))
        out = Decoding.from_json({**data, "trigger_phrases": phrases, "phrase_keep": args.write}).to_json()
        path.write_text(json.dumps(out, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        log.info("wrote %s (phrase_keep %s, %d phrases)", path, args.write, sum(map(len, phrases.values())))
        return
    sets = {"tenth": tenth, "dev half 0": dev[0::2], "dev half 1": dev[1::2], "dev": dev}
    analysed = {name: base.analyse([d.text for d in docs]) for name, docs in sets.items()}
    for threshold in THRESHOLDS:
        settings = {**base.decoding.to_json(), "trigger_phrases": phrases, "phrase_keep": threshold}
        extractor = base.with_decoding(Decoding.from_json(settings))
        for name, docs in sets.items():
            res = evaluate(extractor, docs, analysed[name], scorer)
            log.info("phrase_keep %.2f %-10s %s", threshold, name, {k: res[k]["f1"] for k in Search.KEYS})


if __name__ == "__main__":
    main()
