"""Search ranks first and makes snippets for the page only; the hits are those of the one-query form."""

from __future__ import annotations

import random
from pathlib import Path

from threatledger.ids import make_id, text_sha256
from threatledger.model import Document
from threatledger.store import SQLiteStore
from threatledger.store.sqlite import fts_query

WORDS = [
    "ransomware",
    "attack",
    "hospital",
    "LockBit",
    "backups",
    "phishing",
    "port",
    "outage",
    "police",
    "data",
]


def _one_query(store: SQLiteStore, query: str, limit: int, offset: int) -> list[tuple[object, ...]]:
    rows = store.conn.execute(
        "SELECT d.id, snippet(documents_fts, 1, '[', ']', ' … ', 16) AS snippet,"
        " bm25(documents_fts, 5.0, 1.0) AS rank FROM documents_fts JOIN documents d"
        " ON d.rowid = documents_fts.rowid WHERE documents_fts MATCH ? ORDER BY rank LIMIT ? OFFSET ?",
        (fts_query(query), limit, offset),
    ).fetchall()
    return [(r["id"], r["snippet"], round(r["rank"], 9)) for r in rows]


def test_search_hits_match_the_one_query_form(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "ledger.sqlite3")
    rng = random.Random(4)
    for number in range(60):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(20, 200))) + f" report{number}."
        sha = text_sha256(text)
        document = Document(
            id=make_id("document", sha256=sha), text=text, sha256=sha, title=f"Report {number}"
        )
        store.save_document(document, None, "2024-01-01T00:00:00+00:00")
    for query in [
        "ransomware",
        "LockBit AND hospital",
        "phishing OR outage",
        '"ransomware attack"',
        "nothing",
    ]:
        for limit, offset in [(20, 0), (5, 10), (100, 0)]:
            hits = store.search(query, limit=limit, offset=offset)
            expected = _one_query(store, query, limit, offset)
            assert [(h.doc_id, h.snippet, round(h.rank, 9)) for h in hits] == expected, query
    store.close()


def test_incident_filters_use_the_migration_6_indexes(tmp_path: Path) -> None:
    store = SQLiteStore(tmp_path / "ledger.sqlite3")
    assert store.schema_version() >= 6

    def plan(sql: str, *args: object) -> str:
        return " ".join(str(row[3]) for row in store.conn.execute("EXPLAIN QUERY PLAN " + sql, args))

    newest = plan(
        "SELECT id FROM incidents i WHERE i.merged_into IS NULL ORDER BY i.last_reported DESC LIMIT 100"
    )
    assert "incidents_last" in newest and "TEMP B-TREE" not in newest
    assert "incidents_country_upper" in plan(
        "SELECT id FROM incidents i WHERE upper(i.country) = upper(?)", "jp"
    )
    actor = plan(
        "SELECT incident_id FROM claims WHERE lower(actor_canonical) = lower(?) OR lower(actor) = lower(?)",
        "a",
        "a",
    )
    assert "claims_actor_canonical_lower" in actor and "claims_actor_lower" in actor
    assert store.incidents({"country": "JP", "actor": "LockBit", "since": "2024-01-01"}) == []
    store.close()
