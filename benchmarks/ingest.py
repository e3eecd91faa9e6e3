"""End-to-end ingest throughput into SQLite, and the store size on disk.

Usage::

    .venv/bin/python benchmarks/ingest.py [--extract-docs 500] [--store-docs 10000] [--base-docs 100]

Two measurements, because full extraction of 10,000 news-length documents takes far longer than a benchmark
should on a laptop:

1. extraction included: ``--extract-docs`` synthesised articles written as ``.txt`` files and ingested with
   ``pipeline.ingest`` (read, normalise, duplicate and near-duplicate checks, every extractor, incident
   resolution, one transaction per document) -- what ``threatledger ingest FOLDER -j N`` does -- with each of
   ``--processes``, against the baseline of one document at a time (``ingest_item``: normalise, extract,
   write, the next);
2. store only: ``--store-docs`` documents saved with ``SQLiteStore.save_document`` and precomputed findings.
   ``--base-docs`` distinct articles are extracted first (not timed); each stored document is one of them with a
   unique closing paragraph appended (so its spans still index its text) and that article's findings. No
   resolution step: this measures the writes (documents, FTS5 index, sightings, findings) alone.

Documents are random mixes of CASIE news sentences (see ``benchmarks/_corpus.py``). The baseline in the same run
is the cost of the bare document rows: the same texts inserted into a table with the same FTS5 index and no
findings.
"""

from __future__ import annotations

import argparse
import dataclasses
import sqlite3
import tempfile
import time
from pathlib import Path

from _corpus import documents, sentence_pool
from _machine import describe, load, maxrss_mb

from threatledger.config import Settings
from threatledger.ids import make_id, text_sha256
from threatledger.model import Document
from threatledger.pipeline import Extractors, ingest, ingest_item
from threatledger.sources.files import iter_items
from threatledger.store import SQLiteStore


def _size_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6


def _checkpoint(store: SQLiteStore) -> None:
    store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")


def extraction_ingest(work: Path, count: int, extractors: Extractors, processes: list[int]) -> None:
    folder = work / "articles"
    folder.mkdir()
    for number, (title, _published, text) in enumerate(documents(count, seed=2)):
        (folder / f"{number:05d}.txt").write_text(f"{title}\n\n{text}\n", encoding="utf-8")
    runs: list[tuple[str, int]] = [("baseline: one document at a time (ingest_item)", 0)]
    runs += [(f"ingest, batched, {n} process{'es' if n > 1 else ''}", n) for n in processes]
    for label, n in runs:
        db = work / f"extract-{n}.sqlite3"
        settings = Settings.load(db=str(db))
        store = SQLiteStore(db)
        start = time.perf_counter()
        if n == 0:
            outcomes = [
                ingest_item(item, store, extractors).status
                for item in iter_items([folder], settings)
                if not isinstance(item, Exception)
            ]
            summary = {s: outcomes.count(s) for s in ("added", "duplicate", "near-duplicate", "failed")}
        else:
            summary = ingest([str(folder)], settings, store, extractors, processes=n).summary()
        seconds = time.perf_counter() - start
        _checkpoint(store)
        counts = {
            t: store.conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
            for t in ("entities", "indicators")
        }
        store.close()
        print(
            f"extraction included, {label}: {count} docs in {seconds:.1f}s = {count / seconds:.2f} docs/s "
            f"({summary}); store {_size_mb(db):.1f} MB, {counts['entities']} entities, "
            f"{counts['indicators']} indicators; load {load()}"
        )


def store_only(work: Path, count: int, base_count: int, extractors: Extractors) -> None:
    bases = [
        Document(
            id=make_id("document", sha256=text_sha256(t)),
            text=t,
            sha256=text_sha256(t),
            title=title,
            published=p,
        )
        for title, p, t in documents(base_count, seed=3)
    ]
    started = time.perf_counter()
    found = list(extractors.run_many(bases, n_process=2))
    print(
        f"  (precomputing findings of {base_count} base articles took {time.perf_counter() - started:.0f}s)"
    )
    pool, _ = sentence_pool()
    db = work / "store.sqlite3"
    store = SQLiteStore(db)
    baseline_db = work / "baseline.sqlite3"
    bare = sqlite3.connect(baseline_db, isolation_level=None)
    bare.executescript(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        "CREATE TABLE documents (id TEXT PRIMARY KEY, sha256 TEXT UNIQUE, title TEXT, published TEXT, text TEXT);"
        "CREATE VIRTUAL TABLE documents_fts USING fts5(title, text, content='documents', content_rowid='rowid',"
        " tokenize='porter unicode61');"
        "CREATE TRIGGER documents_ai AFTER INSERT ON documents BEGIN"
        " INSERT INTO documents_fts(rowid, title, text) VALUES (new.rowid, new.title, new.text); END;"
    )
    variants = []
    for number in range(count):
        base, extraction = bases[number % base_count], found[number % base_count]
        text = f"{base.text}\n\nEditor's note {number}: {pool[number % len(pool)]}"
        sha = text_sha256(text)
        doc = dataclasses.replace(
            base, id=make_id("document", sha256=sha), text=text, sha256=sha, source=f"bench/{number}.txt"
        )
        variants.append((doc, dataclasses.replace(extraction, doc_id=doc.id)))
    start = time.perf_counter()
    for doc, _ in variants:
        with_tx = bare.execute("BEGIN IMMEDIATE")
        with_tx.execute(
            "INSERT INTO documents VALUES (?,?,?,?,?)",
            (doc.id, doc.sha256, doc.title, doc.published, doc.text),
        )
        bare.execute("COMMIT")
    bare_seconds = time.perf_counter() - start
    start = time.perf_counter()
    for doc, extraction in variants:
        store.save_document(doc, extraction, "2025-01-01T00:00:00+00:00")
    seconds = time.perf_counter() - start
    _checkpoint(store)
    bare.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    stored = store.count_documents()
    integrity = store.integrity_check()
    store.close()
    bare.close()
    print(
        f"store only: {count} docs in {seconds:.1f}s = {count / seconds:.0f} docs/s; "
        f"{stored} stored, integrity {integrity}; store {_size_mb(db):.0f} MB ({_size_mb(db) * 1e3 / count:.1f} KB/doc)"
    )
    print(
        f"  baseline (bare document rows + FTS5, one transaction each): {count / bare_seconds:.0f} docs/s, "
        f"{_size_mb(baseline_db):.0f} MB; load {load()}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--extract-docs", type=int, default=500)
    parser.add_argument("--store-docs", type=int, default=10_000)
    parser.add_argument("--base-docs", type=int, default=100)
    parser.add_argument("--processes", type=int, nargs="+", default=[1, 2], help="batched ingest runs")
    args = parser.parse_args(argv)
    print(describe())
    print(f"documents: {sentence_pool()[1]}, 14 sentences each (about 360 words)")
    with tempfile.TemporaryDirectory(prefix="tl-bench-") as tmp:
        work = Path(tmp)
        extractors = Extractors(Settings.load(db=str(work / "unused.sqlite3")))
        extractors.warm()  # loading is not part of the measurement
        if args.store_docs:
            store_only(work, args.store_docs, args.base_docs, extractors)
        if args.extract_docs:
            extraction_ingest(work, args.extract_docs, extractors, args.processes)
    own, children = maxrss_mb()
    print(f"peak memory: {own:.0f} MB (largest child {children:.0f} MB); load average after {load()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
