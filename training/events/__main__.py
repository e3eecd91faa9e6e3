"""Train the event extractor: ``python -m training.events --data ../shared/data/casie --out <model dir>``.

Steps: convert CASIE train (minus a held-out tenth) to spaCy corpora; train the trigger pipeline (NER typed by
event type) and the argument pipeline (NER typed by role, reading one trigger's sentences with the trigger marked
by its type; a second run from its best checkpoint on single sentences), with a fixed seed and one thread each;
copy the best checkpoints (chosen on the held-out tenth) into ``--out``. Then run ``training.events.doctypes``
and ``training.events.tune`` (see the model card)."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import spacy
from spacy.language import Language
from spacy.tokens import Doc
from training.events.corpus import (
    TUNE_SPLITS,
    GoldDoc,
    conditioned_docs,
    near_test,
    predicted_docs,
    read_split,
    split_tune,
    trigger_docs,
    write_docbin,
)

HERE = Path(__file__).resolve().parent
log = logging.getLogger("training.events")


def weighted(fit: list[GoldDoc], near_test_weight: int) -> list[GoldDoc]:
    """The fitted documents, those like the dev and test splits repeated ``near_test_weight`` times in all."""
    return fit + [d for d in fit if near_test(d)] * (near_test_weight - 1)


def prepare(data: Path, work: Path, scheme: str, near_test_weight: int) -> None:
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    fit, tune = split_tune(read_split(data / "train"), scheme)
    fit = weighted(fit, near_test_weight)
    makers: dict[str, Callable[[Language, list[GoldDoc]], Iterator[Doc]]] = {
        "triggers": trigger_docs,
        # argument windows: the trigger's sentence and one each side first, then the sentence alone (what
        # extraction reads: 96% of the arguments, 40% of the tokens)
        "arguments": partial(conditioned_docs, context=1),
        "arguments0": partial(conditioned_docs, context=0),
    }
    for name, maker in makers.items():
        n_fit = write_docbin(maker(nlp, fit), work / f"{name}-fit.spacy")
        n_tune = write_docbin(maker(nlp, tune), work / f"{name}-tune.spacy")
        log.info("%s: %d fit docs, %d tune docs", name, n_fit, n_tune)


def prepare_predicted(data: Path, work: Path, triggers: Path, scheme: str, near_test_weight: int) -> None:
    """Argument windows around the trained trigger tagger's own triggers on the fitted part, with the gold ones."""
    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    tagger = spacy.load(triggers, exclude=["textcat_multilabel"])
    fit, tune = split_tune(read_split(data / "train"), scheme)
    fit = weighted(fit, near_test_weight)
    docs = [*conditioned_docs(nlp, fit, 0), *predicted_docs(nlp, fit, tagger, 0)]
    n_fit = write_docbin(docs, work / "argumentspred-fit.spacy")
    n_tune = write_docbin(conditioned_docs(nlp, tune, 0), work / "argumentspred-tune.spacy")
    log.info("argumentspred: %d fit docs, %d tune docs", n_fit, n_tune)


# --tune-split all: each run's step count, as chosen with the tenth held out (the trigger tagger's best checkpoint;
# the argument runs' lengths)
FINAL_STEPS = {"triggers": 2800, "arguments": 2200, "arguments0": 1200, "argumentspred": 1200}


def train(
    name: str,
    work: Path,
    seed: int,
    config: str | None = None,
    extra: tuple[str, ...] = (),
    final: bool = False,
) -> Path:
    """Run ``spacy train``; the best checkpoint on the held-out part, or with ``final`` the last one after
    FINAL_STEPS[name] steps."""
    if final:
        extra = (*extra, "--training.max_steps", str(FINAL_STEPS[name]), "--training.patience", "0")
    out = work / f"{name}-model"
    cmd = [
        sys.executable, "-m", "spacy", "train", str(HERE / f"{config or name}.cfg"),
        "--output", str(out),
        "--paths.train", str(work / f"{name}-fit.spacy"),
        "--paths.dev", str(work / f"{name}-tune.spacy"),
        "--system.seed", str(seed),
        *extra,
    ]  # fmt: skip
    env = dict(os.environ, OMP_NUM_THREADS="1", MKL_NUM_THREADS="1", OPENBLAS_NUM_THREADS="1")
    log.info("running %s", " ".join(cmd))
    subprocess.run(cmd, check=True, env=env)
    return out / ("model-last" if final else "model-best")


def install(best: Path, dest: Path) -> None:
    """Copy a checkpoint into the model folder, without the tagger's own document classifier (doctypes.npz
    replaces it; it shares no weights with the trigger tagger)."""
    nlp = spacy.load(best)
    if "textcat_multilabel" in nlp.pipe_names:
        nlp.remove_pipe("textcat_multilabel")
    if dest.exists():
        shutil.rmtree(dest)
    nlp.to_disk(dest)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--data", type=Path, required=True, help="CASIE folder with train/annotation")
    ap.add_argument("--out", type=Path, required=True, help="model folder to write (triggers/, arguments/)")
    ap.add_argument("--work", type=Path, default=Path("build/events"), help="scratch folder")
    ap.add_argument("--only", choices=["triggers", "arguments"], action="append", help="train only these")
    ap.add_argument("--seed", type=int, default=13)
    ap.add_argument("--tune-split", choices=TUNE_SPLITS, default="tenth", help="see corpus.split_tune")
    ap.add_argument(
        "--near-test-weight",
        type=int,
        default=1,
        help="repeat the fitted documents like the dev and test splits this many times in all",
    )
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    prepare(args.data, args.work, args.tune_split, args.near_test_weight)
    final = args.tune_split == "all"
    for name in args.only or ["triggers", "arguments"]:
        best = train(name, args.work, args.seed, final=final)
        if name == "arguments":
            # a second run from the best checkpoint, on single-sentence windows, with constant batches
            best = train(
                "arguments0", args.work, args.seed, "arguments-resume", ("--paths.base", str(best)), final
            )
            # a third on the same windows plus those around the trigger tagger's own triggers on the fitted part
            # (right or wrong: extraction reads windows around predicted triggers)
            prepare_predicted(
                args.data, args.work, args.out / "triggers", args.tune_split, args.near_test_weight
            )
            best = train(
                "argumentspred", args.work, args.seed, "arguments-resume", ("--paths.base", str(best)), final
            )
        install(best, args.out / name)
        meta = json.loads((best / "meta.json").read_text())
        log.info(
            "%s: held-out scores %s", name, json.dumps(meta.get("performance", {}), sort_keys=True)[:400]
        )
    log.info(
        "next: python -m training.events.doctypes, then python -m training.events.tune (--out %s)", args.out
    )


if __name__ == "__main__":
    main()
