"""A document-type classifier: one L2-regularised logistic regression per CASIE type over word n-grams.

Trained on nine tenths of CASIE train; the regularisation strength is chosen by log-loss on the held-out tenth.
Written as ``doctypes.npz`` next to the taggers and read by ``threatledger.extract.events.DocTypes``.
"""

from __future__ import annotations

import argparse
import logging
from collections import Counter
from pathlib import Path

import numpy as np
from numpy.typing import NDArray
from training.events.corpus import TUNE_SPLITS, GoldDoc, read_split, split_tune

from threatledger.extract.events import CASIE_TYPES, DocTypes, ngrams

log = logging.getLogger("training.events.doctypes")
FINAL_L2 = 3e-3


def features(docs: list[GoldDoc], vocab: dict[str, int]) -> NDArray[np.float32]:
    x = np.zeros((len(docs), len(vocab)), dtype=np.float32)
    for i, d in enumerate(docs):
        for g in ngrams(d.text):
            j = vocab.get(g)
            if j is not None:
                x[i, j] = 1.0
    return x


def labels(docs: list[GoldDoc]) -> NDArray[np.float32]:
    return np.array(
        [[float(any(e.type == t for e in d.events)) for t in CASIE_TYPES] for d in docs], np.float32
    )


def fit_lr(
    x: NDArray[np.float32], y: NDArray[np.float32], l2: float, iters: int = 400
) -> tuple[NDArray[np.float32], NDArray[np.float32]]:
    """Full-batch gradient descent with Adam steps; deterministic."""
    w = np.zeros((x.shape[1], y.shape[1]), np.float32)
    b = np.zeros(y.shape[1], np.float32)
    m_w, v_w, m_b, v_b = np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)
    lr, b1, b2 = 0.05, 0.9, 0.999
    for step in range(1, iters + 1):
        p = 1.0 / (1.0 + np.exp(-(x @ w + b)))
        g_w = x.T @ (p - y) / len(x) + l2 * w
        g_b = (p - y).mean(axis=0)
        for param, grad, m, v in ((w, g_w, m_w, v_w), (b, g_b, m_b, v_b)):
            m *= b1
            m += (1 - b1) * grad
            v *= b2
            v += (1 - b2) * grad * grad
            param -= lr * (m / (1 - b1**step)) / (np.sqrt(v / (1 - b2**step)) + 1e-8)
    return w, b


def log_loss(
    x: NDArray[np.float32], y: NDArray[np.float32], w: NDArray[np.float32], b: NDArray[np.float32]
) -> float:
    p = np.clip(1.0 / (1.0 + np.exp(-(x @ w + b))), 1e-6, 1 - 1e-6)
    return float(-(y * np.log(p) + (1 - y) * np.log(1 - p)).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--data", type=Path, required=True)
    ap.add_argument("--out", type=Path, required=True, help="model folder; writes doctypes.npz")
    ap.add_argument(
        "--min-docs", type=int, default=3, help="keep n-grams seen in at least this many documents"
    )
    ap.add_argument("--tune-split", choices=TUNE_SPLITS, default="tenth", help="see corpus.split_tune")
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    fit, tune = split_tune(read_split(args.data / "train"), args.tune_split)
    df: Counter[str] = Counter()
    for d in fit:
        df.update(set(ngrams(d.text)))
    vocab = {g: i for i, g in enumerate(sorted(g for g, n in df.items() if n >= args.min_docs))}
    x_fit, y_fit = features(fit, vocab), labels(fit)
    x_tune, y_tune = features(tune, vocab), labels(tune)
    best: tuple[float, float] | None = None
    # with every document fitted (--tune-split all) the regularisation is the one chosen with the tenth held out
    for l2 in (FINAL_L2,) if args.tune_split == "all" else (1e-2, 3e-3, 1e-3, 3e-4, 1e-4):
        w, b = fit_lr(x_fit, y_fit, l2)
        loss = log_loss(x_tune, y_tune, w, b)
        log.info("l2 %g: held-out log-loss %.4f", l2, loss)
        if best is None or loss < best[0]:
            best = (loss, l2)
    assert best is not None
    w, b = fit_lr(x_fit, y_fit, best[1])
    DocTypes(tuple(vocab), w, b).save(args.out / "doctypes.npz")
    log.info("wrote %s (%d n-grams, l2 %g)", args.out / "doctypes.npz", len(vocab), best[1])


if __name__ == "__main__":
    main()
