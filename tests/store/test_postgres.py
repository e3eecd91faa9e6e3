"""PostgreSQL backend: the dialect bridge, parity with SQLite on a real corpus, concurrent writers, `db copy`."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict
from multiprocessing import get_context
from pathlib import Path
from typing import Any

import pytest

from threatledger.config import Settings
from threatledger.pipeline import Extractors, ingest
from threatledger.store import SQLiteStore, open_store
from threatledger.store.postgres_copy import TABLES, copy_ledger, table_rows
from threatledger.store.postgres_sql import to_postgres

from .test_contract import NOW, document, extraction

ROOT = Path(__file__).resolve().parents[2]
CORPUS = [
    ROOT / "tests" / "resolve" / "data" / "incidents.jsonl",
    ROOT / "src" / "threatledger" / "data" / "demo",
]


def clock() -> dt.datetime:
    return dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


# -- the dialect bridge (no server needed) ---------------------------------------------------------------------
def test_placeholders_and_percent_signs() -> None:
    assert to_postgres("SELECT 1 FROM t WHERE a = ? AND b LIKE '%?%'") == (
        "SELECT 1 FROM t WHERE a = %s AND b LIKE '%%?%%'"
    )


def test_insert_or_ignore_and_replace() -> None:
    assert to_postgres("INSERT OR IGNORE INTO feeds(url, added) VALUES (?, ?)") == (
        "INSERT INTO feeds(url, added) VALUES (%s, %s) ON CONFLICT DO NOTHING"
    )
    assert to_postgres("INSERT OR REPLACE INTO extractions(doc_id, versions, data) VALUES (?,?,?)") == (
        "INSERT INTO extractions(doc_id, versions, data) VALUES (%s,%s,%s)"
        " ON CONFLICT (doc_id) DO UPDATE SET versions = EXCLUDED.versions, data = EXCLUDED.data"
    )
    with pytest.raises(Exception, match="REPLACE_KEYS"):
        to_postgres("INSERT OR REPLACE INTO mystery(a) VALUES (?)")


def test_upsert_set_uses_least_and_qualified_columns() -> None:
    sql = to_postgres(
        "INSERT INTO entities(id, first_seen) VALUES (?,?) ON CONFLICT(id) DO UPDATE SET"
        " first_seen = min(coalesce(first_seen, excluded.first_seen), excluded.first_seen)"
    )
    assert sql.endswith(
        "DO UPDATE SET first_seen = LEAST(coalesce(entities.first_seen, excluded.first_seen), excluded.first_seen)"
    )


def test_nulls_sort_as_in_sqlite() -> None:
    assert to_postgres("SELECT a FROM t ORDER BY coalesce(a, b) DESC, c LIMIT ?") == (
        "SELECT a FROM t ORDER BY coalesce(a, b) DESC NULLS LAST, c NULLS FIRST LIMIT %s"
    )


# -- parity with SQLite on a real corpus ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def extractors(tmp_path_factory: pytest.TempPathFactory) -> Extractors:
    # events off: the parity is about storage, and it keeps these tests independent of the event model
    return Extractors(Settings.load(str(tmp_path_factory.mktemp("x") / "unused.sqlite3")), with_events=False)


def ingest_corpus(location: str, extractors: Extractors) -> SQLiteStore:
    store = open_store(location)
    settings = Settings.load(location)
    report = ingest([str(p) for p in CORPUS], settings, store, extractors, clock=clock)
    assert not report.failed, [o.message for o in report.outcomes if o.status == "failed"]
    return store


@pytest.fixture
def pair(
    tmp_path: Path, postgres_url: str, extractors: Extractors
) -> Iterator[tuple[SQLiteStore, SQLiteStore]]:
    lite = ingest_corpus(str(tmp_path / "ledger.sqlite3"), extractors)
    pg = ingest_corpus(postgres_url, extractors)
    yield lite, pg
    lite.close()
    pg.close()


def reads(store: SQLiteStore) -> dict[str, Any]:
    """Every read method's answer on a ledger (search by matching documents: ranks differ by design)."""
    incidents = store.incidents(limit=1000)
    entities = store.entities(limit=1000)
    docs = store.list_documents(limit=1000)
    return {
        "documents": [asdict(d) for d in docs],
        "count": store.count_documents(),
        "incidents": incidents,
        "filtered": [
            store.incidents(f)
            for f in (
                {"country": "nl"},
                {"type": "ransomware"},
                {"since": "2024-01-01"},
                {"stance": "claimed"},
            )
        ],
        "incident": [store.incident(i["id"]) for i in incidents],
        "claims": store.claims(),
        "entities": entities,
        "by_name": [store.entities(name=e["names"][0]) for e in entities[:20]],
        "mentions": [store.entity_mentions(e["id"]) for e in entities[:20]],
        "indicators": store.indicators(limit=1000),
        "sightings": [store.sightings(d.id) for d in docs],
        "documents_of": [store.get_document(d.id) for d in docs[:5]],
        "extractions": [store.get_extraction(d.id) for d in docs[:5]],
        "near": [store.near_duplicates_of(d.id) for d in docs],
        "search": {
            q: sorted(h.doc_id for h in store.search(q, limit=100)) for q in ("ransomware", "Rotterdam")
        },
        "documents_after": store.documents_after(0),
        "incidents_of": store.incidents_of_documents([d.id for d in docs]),
    }


def test_postgres_ledger_matches_sqlite_after_ingest(pair: tuple[SQLiteStore, SQLiteStore]) -> None:
    lite, pg = pair
    for table in TABLES:
        assert table_rows(pg, table) == table_rows(lite, table), table.name
    assert reads(pg) == reads(lite)
    hits = pg.search("ransomware")
    assert hits and "[" in hits[0].snippet and hits[0].rank <= hits[-1].rank


def test_incident_operations_match_sqlite(pair: tuple[SQLiteStore, SQLiteStore]) -> None:
    for store in pair:
        ids = [i["id"] for i in store.incidents(limit=1000)]
        op = store.merge_incidents(ids[0], ids[1], NOW)
        assert store.incident(ids[1])["id"] == ids[0]  # type: ignore[index]
        reports = [r["report_id"] for r in store.incident(ids[0])["reports"]]  # type: ignore[index]
        new_id, split = store.split_incident(ids[0], reports[:1], NOW)
        assert new_id == reports[0]
        store.undo_incident_op(split, NOW)
        store.undo_incident_op(op, NOW)
        with pytest.raises(Exception, match="already undone"):
            store.undo_incident_op(op, NOW)
    lite, pg = pair
    assert pg.incident_ops() == lite.incident_ops()
    assert reads(pg) == reads(lite)


def test_watchlists_alerts_and_tokens_on_postgres(postgres_url: str) -> None:
    store = open_store(postgres_url)
    doc = document("Hackers breached NISC with CVE-2023-1234 ransomware.")
    marker = store.change_marker()
    store.save_document(doc, extraction(doc), NOW)
    assert store.documents_after(marker) == [doc.id]
    assert store.match_documents([doc.id], keyword="ransomware OR phishing") == [doc.id]
    assert store.match_documents([doc.id], keyword="phishing") == []
    watch = store.add_watchlist("jp", {"country": "JP"}, NOW, webhook_url="http://127.0.0.1:9/x")
    with pytest.raises(Exception, match="exists already"):
        store.add_watchlist("jp", {}, NOW)
    alert = store.add_alert(watch, "document", doc.id, "t", NOW, {"a": 1})
    assert alert and store.add_alert(watch, "document", doc.id, "t", NOW, {}) is None
    store.update_alert_delivery(alert, channel="webhook", status="delivered", attempts=1, at=NOW)
    (row,) = store.list_alerts("jp")
    assert row.webhook_status == "delivered" and row.attempts == 1 and row.data == {"a": 1}
    assert store.list_alerts(pending=True) == []
    token = store.add_token("ci", "ab" * 32, NOW)
    assert store.token_known("ab" * 32, NOW) and [t.id for t in store.list_tokens()] == [token.id]
    assert store.remove_token("ci") and store.remove_watchlist("jp")
    bundle = [
        {"id": "malware--1", "type": "malware", "modified": v, "name": "X"}
        for v in ("2024-01-01", "2024-02-01")
    ]
    assert (
        store.save_stix_objects(bundle, "b.json", NOW) == 2
        and store.save_stix_objects(bundle, "b.json", NOW) == 0
    )
    assert [o.version for o in store.stix_objects()] == ["2024-02-01"] and store.count_stix_objects() == 1
    assert store.integrity_check() == "ok"
    store.close()


# -- concurrent writers ------------------------------------------------------------------------------------------
DOCS = [f"Hackers breached NISC, the agency number {i} said. It was suspected." for i in range(12)]


def save_all(location: str, start: threading.Barrier | None = None) -> list[str]:
    store = open_store(location)
    if start is not None:
        start.wait()
    try:
        statuses = []
        for i, text in enumerate(DOCS):
            doc = document(text, url=f"https://a.example/{i}")
            statuses.append(store.save_document(doc, extraction(doc), NOW).status)
        return statuses
    finally:
        store.close()


def test_concurrent_threads_store_each_document_once(postgres_url: str) -> None:
    open_store(
        postgres_url
    ).close()  # migrate once up front; migrations also lock, but keep the race on saves
    start = threading.Barrier(4)
    results: list[list[str]] = []
    threads = [
        threading.Thread(target=lambda: results.append(save_all(postgres_url, start))) for _ in range(4)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert len(results) == 4
    added = sum(s.count("added") for s in results)
    assert added == len(DOCS) and all(set(s) <= {"added", "duplicate"} for s in results)
    store = open_store(postgres_url)
    assert store.count_documents() == len(DOCS)
    assert len(store.incidents(limit=100)) == len(DOCS) and len(store.claims()) == len(DOCS)
    assert len(store.entities()) == 1
    store.close()


def test_concurrent_processes_store_each_document_once(postgres_url: str) -> None:
    with ProcessPoolExecutor(3, mp_context=get_context("spawn")) as pool:
        results = list(pool.map(save_all, [postgres_url] * 3))
    assert sum(s.count("added") for s in results) == len(DOCS)
    store = open_store(postgres_url)
    assert store.count_documents() == len(DOCS) and store.migrate() == []
    store.close()


# -- db copy ------------------------------------------------------------------------------------------------------
def test_copy_round_trip_is_exact_and_idempotent(
    tmp_path: Path, postgres_url: str, extractors: Extractors
) -> None:
    lite = ingest_corpus(str(tmp_path / "a.sqlite3"), extractors)
    ids = [i["id"] for i in lite.incidents(limit=100)]
    lite.merge_incidents(ids[0], ids[1], NOW)
    lite.add_feed("https://feeds.example/rss", NOW)
    lite.add_token("ci", "cd" * 32, NOW)
    pg = open_store(postgres_url)
    first = copy_ledger(lite, pg, batch=7)
    again = copy_ledger(lite, pg, batch=7)
    assert first.rows == again.rows and first.rows["documents"] == lite.count_documents()
    back = open_store(str(tmp_path / "b.sqlite3"))
    copy_ledger(pg, back)
    for table in TABLES:
        expected = table_rows(lite, table)
        assert table_rows(pg, table) == expected, table.name
        assert table_rows(back, table) == expected, table.name
    assert reads(pg) == reads(lite) == reads(back)
    # operation ids continue after the copied ones
    assert pg.merge_incidents(ids[2], ids[3], NOW) == lite.merge_incidents(ids[2], ids[3], NOW)
    for store in (lite, pg, back):
        store.close()


def test_every_sqlite_migration_has_a_postgresql_twin() -> None:
    from threatledger.store import postgres_schema, sqlite_schema

    assert [m[:2] for m in postgres_schema.MIGRATIONS] == [m[:2] for m in sqlite_schema.MIGRATIONS]


def test_copy_covers_every_table(tmp_path: Path) -> None:
    lite = open_store(str(tmp_path / "l.sqlite3"))
    names = {
        r[0]
        for r in lite.conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        if not r[0].startswith(("documents_fts", "sqlite_")) and r[0] != "schema_migrations"
    }
    assert names == {t.name for t in TABLES}
    for table in TABLES:
        columns = {r[1] for r in lite.conn.execute(f"PRAGMA table_info({table.name})")}
        assert columns == set(table.columns), table.name
    lite.close()


def test_search_reaches_the_same_hits_by_either_path_to_the_newest_matches(postgres_url: str) -> None:
    store = open_store(postgres_url)
    try:
        store.RANK_WINDOW = 4
        for n in range(30):
            extra = " exfiltration exfiltration" if n % 10 == 3 else ""
            store.save_document(document(f"Report {n}: ransomware hit unit {n}.{extra}"), None, NOW)
        store.conn.execute("ANALYZE documents")
        # a word in every document is walked newest first; one in a tenth of them is read through the index
        assert store._walk_newest("(phraseto_tsquery('english', ?))", ["ransomware"], 4)
        assert not store._walk_newest("(phraseto_tsquery('english', ?))", ["exfiltration"], 4)
        results = {}
        for walk in (True, False):
            store._walk_newest = lambda *_args, walk=walk: walk  # type: ignore[method-assign]
            results[walk] = [
                [(h.doc_id, h.rank) for h in store.search(q, limit=3, offset=o)]
                for q in ("ransomware", "exfiltration", "ransomware NOT exfiltration")
                for o in (0, 3)
            ]
        assert results[True] == results[False]
        assert [len(page) for page in results[True]] == [3, 3, 3, 0, 3, 3]
    finally:
        store.close()
