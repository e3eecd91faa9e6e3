"""Score a majority vote of several event models' taggers against the shipped decoding (an ensemble experiment).

    .venv/bin/python -m training.events.vote --data ../shared/data/casie --scorer ../shared/eval/casie.py \
        --split dev --part triggers M1 M2 [M3 ...]

The first model folder decodes (its document classifier, cue phrases and settings); each tagger of ``--part``
(``triggers`` or ``arguments``) reads the same texts with the first model's recall biases, and a span is kept when
at least k taggers tag an overlapping span of its label (longest first, no overlaps). Prints the four CASIE F1
scores for every k, then for the first model alone. Results and why none was shipped: the events model card.
"""

from __future__ import annotations

import argparse
import logging
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from spacy.tokens import Doc
from training.events.corpus import read_split, split_tune
from training.events.tune import Search, evaluate
from training.scorers import load_scorer

from threatledger.extract.events import EventExtractor

log = logging.getLogger("training.events.vote")


def vote(docs: Sequence[Doc], k: int) -> Doc:
    """The first document with the spans that at least ``k`` of the documents tag (label and overlapping
    characters); where voted spans overlap, the first document's wins, then the second's, and so on."""
    sets = [[(e.start_char, e.end_char, e.label_) for e in d.ents] for d in docs]

    def votes(s: tuple[int, int, str]) -> int:
        return sum(any(x[0] < s[1] and s[0] < x[1] and x[2] == s[2] for x in ents) for ents in sets)

    keep: list[tuple[int, int, str]] = []
    for s in (s for ents in sets for s in ents):
        if votes(s) >= k and not any(x[0] < s[1] and s[0] < x[1] for x in keep):
            keep.append(s)
    first = docs[0]
    spans = (first.char_span(start, end, label=label) for start, end, label in sorted(keep))
    first.ents = [s for s in spans if s is not None]
    return first


class VotingPipeline:
    """Stands in for the argument pipeline: every member reads each window, the vote decides."""

    def __init__(self, members: Sequence[Any], k: int) -> None:
        self.members, self.k = members, k

    def pipe(self, texts: Iterable[str], batch_size: int = 64) -> Iterator[Doc]:
        texts = list(texts)
        outs = [list(m.pipe(texts, batch_size=batch_size)) for m in self.members]
        return iter([vote(docs, self.k) for docs in zip(*outs, strict=True)])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("models", type=Path, nargs="+", help="event model folders; the first one decodes")
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--scorer", type=Path, required=True)
    ap.add_argument("--split", default="dev", help="'tune' (the held-out tenth of train) or a split folder")
    ap.add_argument("--part", choices=("triggers", "arguments"), default="triggers")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    scorer = load_scorer(args.scorer, "casie_scorer")
    docs = (
        split_tune(read_split(args.data / "train"))[1]
        if args.split == "tune"
        else read_split(args.data / args.split)
    )
    texts = [d.text for d in docs]
    first = EventExtractor.load(args.models[0])
    assert first is not None, f"no model at {args.models[0]}"
    # every member with the first model's decoding: the same recall biases on each tagger
    members = [first] + [EventExtractor.load(m, decoding=first.decoding) for m in args.models[1:]]
    assert all(m is not None for m in members), "a model folder lacks its taggers"
    tdocs = first.analyse(texts)

    def report(name: str, extractor: EventExtractor, analysed: list[Doc]) -> None:
        res = evaluate(extractor, docs, analysed, scorer)
        log.info("%s %s", name, {key: res[key]["f1"] for key in Search.KEYS})

    report("first model alone", first, tdocs)
    if args.part == "triggers":
        others = [m.analyse(texts) for m in members[1:] if m is not None]
        for k in range(1, len(members) + 1):
            voted = [vote([td, *(o[i] for o in others)], k) for i, td in enumerate(first.analyse(texts))]
            report(f"triggers, {k} of {len(members)}", first, voted)
    else:
        pipes = [m._arguments for m in members if m is not None]
        for k in range(1, len(members) + 1):
            extractor = first.with_decoding(first.decoding)
            extractor._arguments = VotingPipeline(pipes, k)  # type: ignore[assignment]
            report(f"arguments, {k} of {len(members)}", extractor, tdocs)


if __name__ == "__main__":
    main()
