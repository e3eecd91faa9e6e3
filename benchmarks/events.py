"""Event extraction throughput: the encoder heads against the taggers alone, in one process and in several.

Usage::

    .venv/bin/python benchmarks/events.py [--n-process 2] [--docs 150] [--rounds 2] [--unlimited-blas]

Texts are the ``content`` of ``../shared/data/casie/dev/annotation/*.json`` (the corpus the events goal is set on)
when present, else the synthetic news-length corpus of ``benchmarks/pipeline.py``. Each measurement runs in a fresh
subprocess with the model loaded before the clock starts (the load time is printed apart), in chunks of 16
documents as ``python -m threatledger.extract.events`` reads them; rounds alternate the variants and the best round
of each is reported, since other work on a shared machine only ever slows a round down.

Variants:

* ``taggers, 1 process`` (the baseline: ``THREATLEDGER_ENCODER=off``, the 1.3.0 extractor);
* ``encoder, 1 process``: the shipped extractor, numpy's BLAS free to use every core;
* ``encoder, N processes``: forked workers (``threatledger.workers``), BLAS held to one thread in each;
* with ``--unlimited-blas``, also N forked workers without that limit (what ``-j N`` did before the limit: slow,
  minutes on 2 cores).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from typing import Any

from _machine import RssSampler, describe, load, maxrss_mb

from pipeline import corpus

CHUNK = 16


# the loaded extractor, inherited by the workers of the unlimited variant's pool through the fork (not pickled,
# as forked_map hands it over too, so that the two variants differ only in the BLAS limit)
_inherited: Any = None


def _events(extractor: Any, chunk: list[str]) -> int:
    return sum(len(found) for found in extractor.extract_many(chunk))


def _events_inherited(chunk: list[str]) -> int:
    return _events(_inherited, chunk)


def worker(docs: int, n_process: int, limit_blas: bool) -> dict[str, float | str | int]:
    from threatledger import workers
    from threatledger.extract.events import EventExtractor

    texts, _ = corpus(docs)
    started = time.perf_counter()
    extractor = EventExtractor.load()
    if extractor is None:
        raise SystemExit("the event model is not installed")
    extractor.extract_many(texts[:1])  # every lazy part loaded (encoder included)
    loading = time.perf_counter() - started
    chunks = [texts[i : i + CHUNK] for i in range(0, len(texts), CHUNK)]
    with RssSampler() as sampler:
        start = time.perf_counter()
        if n_process == 1:
            found = sum(_events(extractor, chunk) for chunk in chunks)
        elif limit_blas:
            found = sum(workers.forked_map(_events, chunks, n_process, extractor))
        else:
            import multiprocessing

            global _inherited
            _inherited = extractor
            with multiprocessing.get_context("fork").Pool(n_process) as pool:
                found = sum(pool.imap(_events_inherited, chunks))
        seconds = time.perf_counter() - start
    own, child = maxrss_mb()
    return {
        "seconds": seconds,
        "load_seconds": loading,
        "docs": len(texts),
        "events": found,
        "encoder": "yes" if extractor.uses_encoder else "no",
        "maxrss_mb": max(own, child),
        "tree_peak_mb": sampler.peak_mb,
        "tree_pss_peak_mb": sampler.pss_peak_mb,
        "load": load(),
    }


def measure(docs: int, n_process: int, encoder: bool, limit_blas: bool) -> dict[str, Any]:
    env = dict(os.environ)
    if not encoder:
        env["THREATLEDGER_ENCODER"] = "off"
    command = [sys.executable, __file__, "--worker", "--docs", str(docs), "--n-process", str(n_process)]
    if not limit_blas:
        command.append("--unlimited-blas")
    result = subprocess.run(command, check=True, capture_output=True, text=True, env=env)
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=150)
    parser.add_argument("--n-process", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--unlimited-blas", action="store_true")
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.docs, args.n_process, not args.unlimited_blas)))
        return 0
    n = args.n_process
    variants: list[tuple[str, int, bool, bool]] = [
        ("taggers, 1 process (baseline)", 1, False, True),
        ("encoder, 1 process", 1, True, True),
        (f"encoder, {n} processes, BLAS 1 thread each", n, True, True),
    ]
    if args.unlimited_blas:
        variants.append((f"encoder, {n} processes, BLAS unlimited", n, True, False))
    _, source = corpus(args.docs)
    print(describe())
    print(f"corpus: {args.docs} documents from {source}; best of {args.rounds} rounds")
    best: dict[str, dict[str, Any]] = {}
    for _ in range(args.rounds):
        for name, n_process, encoder, limit in variants:
            result = measure(args.docs, n_process, encoder, limit)
            if name not in best or result["seconds"] < best[name]["seconds"]:
                best[name] = result
    base = best[variants[0][0]]["seconds"]
    print(
        f"{'variant':<44} {'docs/s':>7} {'s':>7} {'load s':>7} {'events':>7} {'RSS MB':>7} {'PSS MB':>7}  vs baseline"
    )
    for name, *_ in variants:
        r = best[name]
        print(
            f"{name:<44} {r['docs'] / r['seconds']:7.1f} {r['seconds']:7.2f} {r['load_seconds']:7.2f} "
            f"{r['events']:7d} {r['tree_peak_mb']:7.0f} {r['tree_pss_peak_mb']:7.0f}  {base / r['seconds']:.2f}x"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
