"""Distributed backfill throughput: documents/s in-process and on a local Dask cluster with 1 and 2 workers.

Usage::

    .venv/bin/python benchmarks/backfill.py [--docs 400] [--workers 1 2] [--batch 32] [--news]

The input is ``--docs`` short synthetic articles (``threatledger.scale.synthetic``, one JSONL file), or with
``--news`` news-length ones (14 sentences of CASIE news each, see ``benchmarks/_corpus.py``). Each run writes a
fresh SQLite ledger with the full pipeline: normalise, duplicate and near-duplicate checks, every extractor,
incident resolution, one transaction per document.

- baseline, ``ingest``: ``pipeline.ingest`` in this process (one core for everything; batched extraction, as
  ``threatledger ingest -j 1``);
- ``backfill N``: ``scale.backfill`` through ``LocalCluster(n_workers=N, threads_per_worker=1)``; this process
  writes, the workers normalise and extract.

Each backfilled ledger is then compared with the ingest's, table by table (the check of docs/scale.md; run it with
``--docs 2000`` for a few thousand documents). Model loading (spaCy, knowledge base, event model) is not timed on either side: the baseline loads before the
clock starts, and each cluster first backfills a 16-document warm-up corpus into a throwaway ledger.

The per-document overhead of the distributed path is ``(t_backfill_1 - t_ingest) / docs``. With one worker the
writer in this process runs in parallel with the worker, so on a machine with a second free core the distributed
path can beat the baseline even at one worker; the CPU time per document (``cpu ms/doc``: this process plus the
workers) shows what distribution costs, and ``writer`` the part of it spent in this process (the single writer: duplicate
checks, resolution, SQL, and the Dask scheduler of the local cluster). Figures depend on the machine and its load, which the script prints.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _machine import describe, load


def clock() -> dt.datetime:
    return dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def _cpu_self() -> float:
    usage = os.times()
    return usage.user + usage.system


def _workers_cpu(client: Any) -> float:
    import psutil

    def cpu() -> float:
        t = psutil.Process().cpu_times()
        return float(t.user + t.system)

    return float(sum(client.run(cpu).values()))


def run_ingest(source: Path, work: Path) -> dict[str, Any]:
    from threatledger.config import Settings
    from threatledger.pipeline import Extractors, ingest
    from threatledger.store import open_store

    settings = Settings.load(str(work / "ingest.sqlite3"))
    extractors = Extractors(settings)
    extractors.warm()  # every model and list loaded before the clock starts, as the workers do in their warm-up
    store = open_store(settings.db)
    cpu, start = _cpu_self(), time.perf_counter()
    report = ingest([str(source)], settings, store, extractors, clock=clock)
    seconds, cpu = time.perf_counter() - start, _cpu_self() - cpu
    store.close()
    return {"seconds": seconds, "cpu": cpu, "summary": report.summary()}


def run_backfill(source: Path, warmup: Path, work: Path, workers: int, batch: int) -> dict[str, Any]:
    from threatledger.config import Settings
    from threatledger.scale.backfill import backfill, local_client
    from threatledger.store import open_store

    settings = Settings.load(str(work / f"backfill-{workers}.sqlite3"))
    client = local_client(workers)
    try:
        scratch = open_store(str(work / f"warmup-{workers}.sqlite3"))
        backfill([str(warmup)], settings, scratch, client, batch=batch, clock=clock)
        scratch.close()
        store = open_store(settings.db)
        cpu, wcpu, start = _cpu_self(), _workers_cpu(client), time.perf_counter()
        report = backfill([str(source)], settings, store, client, batch=batch, clock=clock)
        seconds = time.perf_counter() - start
        cpu, wcpu = _cpu_self() - cpu, _workers_cpu(client) - wcpu
        store.close()
    finally:
        cluster = client.cluster
        client.close()
        cluster.close()
    return {"seconds": seconds, "cpu": cpu + wcpu, "client_cpu": cpu, "summary": report.summary()}


def _same_ledger(a: Path, b: Path) -> bool:
    from threatledger.store import open_store
    from threatledger.store.postgres_copy import TABLES, table_rows

    one, other = open_store(str(a)), open_store(str(b))
    try:
        return all(table_rows(one, t) == table_rows(other, t) for t in TABLES)
    finally:
        one.close()
        other.close()


def _news(path: Path, count: int) -> Path:
    from _corpus import documents

    with path.open("w", encoding="utf-8") as out:
        for n, (title, published, text) in enumerate(documents(count)):
            record = {
                "title": title,
                "published": published,
                "text": text,
                "url": f"https://news.example/{n}",
            }
            out.write(json.dumps(record) + "\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--docs", type=int, default=400)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument(
        "--news",
        action="store_true",
        help="news-length articles (14 CASIE sentences each) instead of short ones",
    )
    args = parser.parse_args()

    from threatledger.scale.synthetic import write_jsonl

    print(describe())
    with tempfile.TemporaryDirectory(prefix="tl-backfill-") as tmp:
        work = Path(tmp)
        source = (
            _news(work / "articles.jsonl", args.docs)
            if args.news
            else write_jsonl(work / "articles.jsonl", args.docs)
        )
        warmup = write_jsonl(work / "warmup.jsonl", 16, seed=99)
        rows: dict[str, dict[str, Any]] = {"ingest": run_ingest(source, work)}
        for n in args.workers:
            rows[f"backfill {n}"] = run_backfill(source, warmup, work, n, args.batch)
        same = {
            n: _same_ledger(work / "ingest.sqlite3", work / f"backfill-{n}.sqlite3") for n in args.workers
        }
    base = rows["ingest"]
    kind = "news-length" if args.news else "short synthetic"
    print(f"\n{args.docs} {kind} documents, batch {args.batch}; load average after the runs {load()}")
    print(f"{'run':<12} {'seconds':>8} {'docs/s':>8} {'ms/doc':>8} {'cpu ms/doc':>11} {'writer':>7}  summary")
    for name, r in rows.items():
        print(
            f"{name:<12} {r['seconds']:>8.1f} {args.docs / r['seconds']:>8.2f} "
            f"{1000 * r['seconds'] / args.docs:>8.1f} {1000 * r['cpu'] / args.docs:>11.1f} {1000 * r.get('client_cpu', r['cpu']) / args.docs:>7.1f}  {json.dumps(r['summary'])}"
        )
    print(
        "ledger equal to the ingest's, table by table: "
        + ", ".join(f"{n} worker(s) {'yes' if ok else 'NO'}" for n, ok in same.items())
    )
    if "backfill 1" in rows:
        one = rows["backfill 1"]
        wall = (one["seconds"] - base["seconds"]) / base["seconds"]
        cpu = (one["cpu"] - base["cpu"]) / base["cpu"]
        print(
            f"\ndistributed path at 1 worker vs in-process: wall {wall:+.1%} per document, CPU {cpu:+.1%} per document"
        )
    if "backfill 1" in rows and "backfill 2" in rows:
        print(
            f"speed-up 1 -> 2 workers: x{rows['backfill 1']['seconds'] / rows['backfill 2']['seconds']:.2f}"
        )


if __name__ == "__main__":
    main()
