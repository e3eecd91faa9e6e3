"""Search and incident-filter latency (p50/p95) on a ledger of 100,000 synthesised documents.

Usage::

    .venv/bin/python benchmarks/search.py [--docs 100000] [--db PATH] [--runs 200]
    .venv/bin/python benchmarks/search.py --postgres postgresql://user@127.0.0.1:5432/bench [--docs 100000]

The ledger is built through the store API (``SQLiteStore.save_document``, one transaction per document) with
small precomputed findings per document: one incident (victim, country, sector) and one attribution claim naming
a threat actor. Texts are five random CASIE news sentences plus a line naming the actor and victim (see
``benchmarks/_corpus.py``). ``--db`` keeps the built ledger at PATH and reuses it on the next run when it holds
``--docs`` documents (the build takes minutes; the queries do not). ``--postgres URL`` runs the same queries on a
PostgreSQL ledger in that (empty, or already built by this script) database instead.

Measured: ``store.search`` (FTS5 MATCH, bm25 ranking, snippets; 20 hits) for single frequent and rare words,
AND, OR, NOT and phrase queries; ``store.incidents`` (100 rows) with no filter, each of country / actor / since,
and all three. Each query is run ``--runs`` times after one warm-up run. The baseline in the same run is the bare
SQL the store builds on: an unranked full-text match returning 20 rowids (FTS5 ``MATCH``; on PostgreSQL the
``tsvector`` column's ``@@``), and ``SELECT id FROM incidents LIMIT 100``.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from _corpus import ACTORS, COUNTRIES, sentence_pool
from _machine import describe, load, maxrss_mb

from threatledger.ids import make_id, text_sha256
from threatledger.model import Claim, ClaimActor, Document, Extraction, Incident, Mention, Victim
from threatledger.store import SQLiteStore, open_store

SECTORS = ["healthcare", "energy", "finance", "logistics", "government", "education", "manufacturing"]
VICTIMS = [
    "Harbor",
    "Nordmark",
    "Kestrel",
    "Arden",
    "Velo",
    "Corvid",
    "Talus",
    "Brightwater",
    "Onyx",
    "Juniper",
]
KINDS = ["Water", "Bank", "Health", "Transit", "Logistics", "University", "Energy", "Council"]


def _record(number: int, pool: list[str], rng: random.Random) -> tuple[Document, Extraction]:
    actor = rng.choice(ACTORS)
    victim = f"{rng.choice(VICTIMS)} {rng.choice(KINDS)} {number % 997}"
    country = rng.choice(COUNTRIES)
    lead = f"{actor} claimed responsibility for the attack on {victim}."
    text = "\n\n".join([lead, *rng.sample(pool, 5)])
    published = f"20{rng.randint(16, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
    sha = text_sha256(text)
    doc_id = make_id("document", sha256=sha)
    document = Document(
        id=doc_id,
        text=text,
        sha256=sha,
        title=f"{victim} hit by {actor}",
        published=published,
        fetched="2025-01-01T00:00:00+00:00",
        source=f"bench/{number}",
    )
    incident_id = make_id("incident", doc=doc_id)
    incident = Incident(
        id=incident_id,
        type="ransomware",
        title=f"Ransomware attack on {victim}",
        victims=(Victim(name=victim, country=country, sector=rng.choice(SECTORS)),),
        attackers=(actor,),
    )
    claim = Claim(
        id=make_id("claim", doc=doc_id),
        incident=incident_id,
        claimant=None,
        actor=ClaimActor(text=actor, start=0, end=len(actor), kind="group", canonical=actor),
        stance="claimed-responsibility",
        evidence=Mention(0, len(lead), lead),
    )
    return document, Extraction(doc_id=doc_id, incidents=(incident,), claims=(claim,))


def build(store: SQLiteStore, count: int, label: str, postgres: bool) -> SQLiteStore:
    """Fill an empty ledger with ``count`` synthesised documents, or reuse one that holds exactly that many."""
    have = store.count_documents()
    if have == count:
        print(f"ledger: reusing {label} ({have} documents)")
        return store
    if have:
        raise SystemExit(f"{label} holds {have} documents, not {count}; empty it or pass another ledger")
    pool, source = sentence_pool()
    rng = random.Random(5)
    start = time.perf_counter()
    for number in range(count):
        document, extraction = _record(number, pool, rng)
        store.save_document(document, extraction, "2025-01-01T00:00:00+00:00")
        if number and number % 20000 == 0:
            print(f"  built {number} documents ({number / (time.perf_counter() - start):.0f} docs/s)")
    seconds = time.perf_counter() - start
    if postgres:
        store.conn.execute("ANALYZE")
        size = store.conn.execute("SELECT pg_database_size(current_database())").fetchone()[0] / 1e6
    else:
        store.conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        store.conn.execute("ANALYZE")
        path = store.path
        size = sum(p.stat().st_size for p in path.parent.glob(path.name + "*")) / 1e6
    print(
        f"ledger: built {count} documents from {source} in {seconds:.0f}s "
        f"({count / seconds:.0f} docs/s through save_document); {size:.0f} MB; load {load()}"
    )
    return store


def timed(fn: Callable[[], Any], runs: int) -> tuple[float, float, float, int]:
    """p50, p95 and max latency in ms, and the result size."""
    size = len(fn())
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(0.95 * (len(samples) - 1))], samples[-1], size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--docs", type=int, default=100_000)
    parser.add_argument("--db", type=Path)
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument(
        "--postgres", metavar="URL", help="a PostgreSQL database to build (or reuse) the ledger in"
    )
    args = parser.parse_args(argv)
    print(describe())
    with tempfile.TemporaryDirectory(prefix="tl-search-") as tmp:
        where = args.postgres or str(args.db or Path(tmp) / "ledger.sqlite3")
        store = open_store(where)
        label = getattr(store, "location", None) or str(store.path)
        label = f"postgresql {label}" if args.postgres else f"SQLite {label}"
        store = build(store, args.docs, label, bool(args.postgres))
        conn = store.conn
        bare_match = (
            "SELECT rowid FROM documents WHERE tsv @@ plainto_tsquery('english', 'ransomware') LIMIT 20"
            if args.postgres
            else "SELECT rowid FROM documents_fts WHERE documents_fts MATCH 'ransomware' LIMIT 20"
        )
        print(f"backend: {label}")
        queries: list[tuple[str, Callable[[], Any]]] = [
            ("baseline: bare full-text match 'ransomware' LIMIT 20", lambda: conn.execute(bare_match).fetchall()),
            ("search 'ransomware' (frequent)", lambda: store.search("ransomware")),
            ("search 'attack'", lambda: store.search("attack")),
            ("search 'LockBit' (actor)", lambda: store.search("LockBit")),
            ("search 'Brightwater' (title word)", lambda: store.search("Brightwater")),
            ("search 'exfiltration' (rarer)", lambda: store.search("exfiltration")),
            ("search 'ransomware AND hospital'", lambda: store.search("ransomware AND hospital")),
            ("search 'phishing OR malware'", lambda: store.search("phishing OR malware")),
            ("search 'ransomware NOT LockBit'", lambda: store.search("ransomware NOT LockBit")),
            ('search "claimed responsibility"', lambda: store.search('"claimed responsibility"')),
            ("search 'zyxwvut' (no hit)", lambda: store.search("zyxwvut")),
            ("baseline: SELECT id FROM incidents LIMIT 100", lambda: conn.execute(
                "SELECT id FROM incidents LIMIT 100").fetchall()),
            ("incidents (no filter)", lambda: store.incidents()),
            ("incidents country=JP", lambda: store.incidents({"country": "JP"})),
            ("incidents actor=LockBit", lambda: store.incidents({"actor": "LockBit"})),
            ("incidents since=2025-06-01", lambda: store.incidents({"since": "2025-06-01"})),
            ("incidents country+actor+since", lambda: store.incidents(
                {"country": "JP", "actor": "LockBit", "since": "2024-01-01"})),
            ("incidents actor=unknown (no hit)", lambda: store.incidents({"actor": "Nobody Group"})),
        ]  # fmt: skip
        print(f"\n{'query':50} {'p50':>8} {'p95':>8} {'max':>8} {'rows':>5}   ({args.runs} runs each)")
        worst = 0.0
        for label, fn in queries:
            p50, p95, peak, size = timed(fn, args.runs)
            if not label.startswith("baseline"):
                worst = max(worst, p95)
            print(f"{label:50} {p50:6.2f}ms {p95:6.2f}ms {peak:6.1f}ms {size:5}")
        print(f"\nworst p95 over store queries: {worst:.1f} ms (goal <= 50 ms); load average after {load()}")
        store.close()
    own, _ = maxrss_mb()
    print(f"peak memory: {own:.0f} MB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
