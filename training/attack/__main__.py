"""Train the ATT&CK sentence model: ``python -m training.attack --out src/threatledger/models/attack``.

Steps: cut the TRAM 2 train reports into sentences labelled by the gold spans they hold (negatives: the other
sentences of the same reports); optionally add ATT&CK's procedure examples as weakly labelled sentences; fit one
L2-regularised logistic output per technique on idf-weighted word unigrams and bigrams (L-BFGS, one thread);
choose the regularisation, the threshold and the per-sentence cap on a held-out fifth of the train reports,
scored by the shared TRAM scorer together with the explicit id/name extractor; refit on all train reports with
the chosen settings and write ``model.npz``. TRAM dev is never read here.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from scipy.optimize import minimize
from scipy.special import expit
from training.attack.data import (
    SHARED,
    Sentence,
    is_tune_report,
    procedure_examples,
    report_sentences,
    scorer,
)

from threatledger.extract.attack_model import TechniqueModel, features

log = logging.getLogger("training.attack")


def vocabulary(texts: list[str], min_df: int) -> tuple[list[str], np.ndarray]:
    df: Counter[str] = Counter()
    for t in texts:
        df.update(set(features(t)))
    vocab = sorted(f for f, n in df.items() if n >= min_df)
    n = len(texts)
    idf = np.array([np.log((n + 1) / (df[f] + 1)) + 1.0 for f in vocab], dtype=np.float32)
    return vocab, idf


def matrix(model: TechniqueModel, texts: list[str]) -> sparse.csr_matrix:
    columns, values, rows = model.vectorise(texts)
    indptr = np.array([*rows, len(columns)])
    return sparse.csr_matrix(
        (values.astype(np.float64), columns, indptr), shape=(len(texts), len(model.vocabulary))
    )


def fit(
    x: sparse.csr_matrix, y: np.ndarray, weight: np.ndarray, l2: float, iters: int
) -> tuple[np.ndarray, np.ndarray]:
    """Multi-label logistic regression: mean weighted binary cross-entropy + l2/2 |W|^2, by L-BFGS."""
    _n, v = x.shape
    c = y.shape[1]
    xt = x.T.tocsr()
    wsum = weight.sum()

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w = theta[: v * c].reshape(v, c)
        b = theta[v * c :]
        z = x @ w + b
        loss = float((weight[:, None] * (np.logaddexp(0, z) - y * z)).sum() / wsum + 0.5 * l2 * (w * w).sum())
        g = weight[:, None] * (expit(z) - y) / wsum
        gw = xt @ g + l2 * w
        return loss, np.concatenate([gw.ravel(), g.sum(axis=0)])

    theta0 = np.zeros(v * c + c)
    res = minimize(objective, theta0, jac=True, method="L-BFGS-B", options={"maxiter": iters})
    log.info("fit: %d iterations, loss %.4f", res.nit, res.fun)
    return res.x[: v * c].reshape(v, c).astype(np.float32), res.x[v * c :].astype(np.float32)


def train(
    sentences: list[Sentence],
    procedures: list[tuple[str, str]],
    *,
    l2: float,
    min_df: int,
    min_count: int,
    proc_weight: float,
    iters: int,
) -> TechniqueModel:
    counts = Counter(label for s in sentences for label in s.labels)
    labels = sorted(t for t, n in counts.items() if n >= min_count)
    procs = [(t, label) for t, label in procedures if label in set(labels)] if proc_weight > 0 else []
    texts = [s.text for s in sentences] + [t for t, _ in procs]
    vocab, idf = vocabulary(texts, min_df)
    position = {t: j for j, t in enumerate(labels)}
    y = np.zeros((len(texts), len(labels)))
    for i, s in enumerate(sentences):
        for label in s.labels:
            if label in position:
                y[i, position[label]] = 1.0
    for i, (_, label) in enumerate(procs, start=len(sentences)):
        y[i, position[label]] = 1.0
    weight = np.concatenate([np.ones(len(sentences)), np.full(len(procs), proc_weight)])
    model = TechniqueModel(
        vocab,
        idf,
        np.zeros((len(vocab), len(labels)), np.float32),
        np.zeros(len(labels), np.float32),
        labels,
        0.5,
    )
    log.info(
        "train: %d sentences (%d procedures), %d features, %d labels",
        len(texts),
        len(procs),
        len(vocab),
        len(labels),
    )
    model.weights, model.bias = fit(matrix(model, texts), y, weight, l2, iters)
    return model


def tune_scores(
    model: TechniqueModel,
    gold: dict[str, dict[str, Any]],
    explicit: dict[str, list[dict[str, Any]]],
    tram: Any,
    known: set[str],
) -> list[dict[str, Any]]:
    """Scores of the held-out reports for each threshold and per-sentence cap, explicit extraction included."""
    rows = []
    predictions = {}
    for doc_id, doc in gold.items():
        predictions[doc_id] = model.predict(doc["content"], threshold=0.02)
    for cap in (1, 2, 3):
        for threshold in (
            0.02,
            0.04,
            0.06,
            0.08,
            0.1,
            0.13,
            0.16,
            0.2,
            0.25,
            0.3,
            0.35,
            0.4,
            0.5,
            0.6,
            0.7,
            1.01,
        ):
            preds = {}
            for doc_id, hits in predictions.items():
                kept: dict[tuple[int, int], list[Any]] = {}
                for h in hits:
                    if h.score >= threshold:
                        kept.setdefault((h.start, h.end), []).append(h)
                found = [
                    {"id": h.id, "start": h.start, "end": h.end}
                    for group in kept.values()
                    for h in sorted(group, key=lambda h: -h.score)[:cap]
                ]
                preds[doc_id] = explicit.get(doc_id, []) + found
            result = tram.score(gold, preds, known)
            row = {"cap": cap, "threshold": round(float(threshold), 2)}
            for key in ("doc_techniques", "doc_parents", "spans", "doc_techniques_tram", "spans_tram"):
                row[key] = result[key]["f1"]
            row["objective"] = round((row["doc_techniques"] + row["spans"]) / 2, 4)
            rows.append(row)
    return rows


def explicit_techniques(gold: dict[str, dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    from threatledger.config import Settings
    from threatledger.extract.attack import extract_techniques
    from threatledger.knowledge import load_kb

    kb = load_kb(Settings.load())
    return {
        doc_id: [{"id": t.id, "start": t.start, "end": t.end} for t in extract_techniques(doc["content"], kb)]
        for doc_id, doc in gold.items()
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shared", type=Path, default=SHARED)
    ap.add_argument("--out", type=Path, help="write the model refitted on all train reports here")
    ap.add_argument("--l2", type=float, nargs="+", default=[3e-4, 1e-4, 3e-5])
    ap.add_argument("--proc-weight", type=float, nargs="+", default=[0.0, 0.3, 1.0])
    ap.add_argument("--min-df", type=int, default=2)
    ap.add_argument("--min-count", type=int, default=3)
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--log", type=Path, help="append the tuning table (JSON lines) here")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    tram = scorer(args.shared)
    gold = tram.load_gold(args.shared / "data", "train")
    known = tram.tram_ids(args.shared / "data")
    sentences = [s for d, r in gold.items() for s in report_sentences(d, r["content"], r["spans"])]
    fit_part = [s for s in sentences if not is_tune_report(s.doc_id)]
    tune_gold = {d: r for d, r in gold.items() if is_tune_report(d)}
    log.info("%d train reports: %d to fit, %d to tune", len(gold), len(gold) - len(tune_gold), len(tune_gold))
    procedures = procedure_examples(args.shared)
    explicit = explicit_techniques(tune_gold)

    best: dict[str, Any] | None = None
    for l2 in args.l2:
        for pw in args.proc_weight:
            t0 = time.perf_counter()
            model = train(
                fit_part,
                procedures,
                l2=l2,
                min_df=args.min_df,
                min_count=args.min_count,
                proc_weight=pw,
                iters=args.iters,
            )
            rows = tune_scores(model, tune_gold, explicit, tram, known)
            top = max(rows, key=lambda r: r["objective"])
            if best is None:
                log.info(
                    "explicit ids and names only: %s", json.dumps(next(r for r in rows if r["threshold"] > 1))
                )
            top = {"l2": l2, "proc_weight": pw, **top, "seconds": round(time.perf_counter() - t0, 1)}
            log.info("tune %s", json.dumps(top))
            if args.log:
                with args.log.open("a", encoding="utf-8") as fh:
                    fh.write(json.dumps(top) + "\n")
            if best is None or top["objective"] > best["objective"]:
                best = top
    assert best is not None
    log.info("chosen %s", json.dumps(best))
    if args.out:
        model = train(
            sentences,
            procedures,
            l2=best["l2"],
            min_df=args.min_df,
            min_count=args.min_count,
            proc_weight=best["proc_weight"],
            iters=args.iters,
        )
        model.threshold = best["threshold"]
        model.max_per_sentence = best["cap"]
        extra = {
            "tuning": best,
            "min_df": args.min_df,
            "min_count": args.min_count,
            "trained_on": "TRAM 2 train (105 reports)",
        }
        file = model.save(args.out, extra)
        log.info("wrote %s (%.2f MB)", file, file.stat().st_size / 1e6)


if __name__ == "__main__":
    main()
