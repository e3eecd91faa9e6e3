"""API throughput on loopback: requests/s and latency of the read endpoints, alone and while an ingest writes.

Usage::

    .venv/bin/python benchmarks/api_load.py [--docs 5000] [--threads 4] [--seconds 20] [--ingest-docs 60]

A ledger of ``--docs`` documents (with one incident and one claim each, as in ``benchmarks/search.py``) is
served by ``threatledger serve`` in a subprocess. A small load generator (``--threads`` threads, each with its own
httpx client, requests chosen at random from the read endpoints) runs for ``--seconds`` twice: first alone (the
baseline), then while ``threatledger ingest`` writes ``--ingest-docs`` new articles into the same ledger (SQLite
WAL: one writer, readers do not wait for it). Errors of any kind are counted and reported.
"""

from __future__ import annotations

import argparse
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
from _corpus import documents
from _machine import describe, load
from search import build

ENDPOINTS = [
    "/api/documents?limit=20",
    "/api/search?q=ransomware",
    "/api/search?q=LockBit",
    "/api/incidents",
    "/api/incidents?country=JP&actor=LockBit&since=2024-01-01",
    "/api/entities",
    "/api/indicators",
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _wait_up(base: str, deadline_s: float = 60) -> None:
    deadline = time.monotonic() + deadline_s
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/documents?limit=1", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("the server did not start")


def hammer(base: str, threads: int, seconds: float) -> tuple[int, int, list[float]]:
    """(requests, errors, latencies in ms) of ``threads`` clients for ``seconds``."""
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def run(seed: int) -> None:
        nonlocal errors
        rng = random.Random(seed)
        with httpx.Client(base_url=base, timeout=30) as client:
            while time.monotonic() < stop:
                started = time.perf_counter()
                try:
                    ok = client.get(rng.choice(ENDPOINTS)).status_code == 200
                except httpx.HTTPError:
                    ok = False
                elapsed = (time.perf_counter() - started) * 1000
                with lock:
                    latencies.append(elapsed)
                    errors += 0 if ok else 1

    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    return len(latencies), errors, latencies


def report(label: str, seconds: float, result: tuple[int, int, list[float]]) -> None:
    count, errors, latencies = result
    latencies.sort()
    p95 = latencies[int(0.95 * (len(latencies) - 1))] if latencies else 0.0
    print(
        f"{label:32} {count / seconds:7.1f} req/s  p50 {statistics.median(latencies or [0]):6.1f} ms  "
        f"p95 {p95:6.1f} ms  {count} requests, {errors} errors; load {load()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=5000)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--ingest-docs", type=int, default=60)
    args = parser.parse_args(argv)
    print(describe())
    with tempfile.TemporaryDirectory(prefix="tl-api-") as tmp:
        work = Path(tmp)
        db = work / "ledger.sqlite3"
        build(db, args.docs).close()
        folder = work / "incoming"
        folder.mkdir()
        for number, (title, _published, text) in enumerate(documents(args.ingest_docs, seed=8)):
            (folder / f"{number:04d}.txt").write_text(f"{title}\n\n{text}\n", encoding="utf-8")
        port = _free_port()
        base = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [sys.executable, "-m", "threatledger", "--db", str(db), "serve", "--port", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            _wait_up(base)
            print(f"\nserver: threatledger serve (uvicorn, one process); {args.threads} client threads\n")
            report("baseline: reads alone", args.seconds, hammer(base, args.threads, args.seconds))
            writer = subprocess.Popen(
                [sys.executable, "-m", "threatledger", "--db", str(db), "ingest", str(folder)],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            time.sleep(8)  # past the model load: the writer is writing while the readers run
            report("reads while an ingest writes", args.seconds, hammer(base, args.threads, args.seconds))
            still_writing = writer.poll() is None
            writer.wait(timeout=900)
            print(
                f"ingest: exit status {writer.returncode}; "
                f"{'still writing when the read phase ended' if still_writing else 'finished during the read phase'}"
            )
        finally:
            server.terminate()
            server.wait(timeout=30)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
