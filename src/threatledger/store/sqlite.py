"""SQLite backend: WAL mode, one writer with BEGIN IMMEDIATE, numbered migrations, FTS5 search."""

from __future__ import annotations

import json
import logging
import re
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from threatledger.errors import StoreError
from threatledger.ids import canonical_json
from threatledger.model import Claim, Document, Extraction, to_json
from threatledger.store.base import DocumentRow, FeedRow, Resolution, SaveResult, SearchHit
from threatledger.store.resolution import ResolutionStoreMixin
from threatledger.store.sqlite_schema import MIGRATIONS
from threatledger.store.stix_objects import StixObjectsStoreMixin
from threatledger.store.watch import WatchStoreMixin

__all__ = ["SQLiteStore"]

log = logging.getLogger(__name__)
_FTS_TOKEN = re.compile(r"[\w][\w.'-]*", re.UNICODE)


def fts_query(query: str) -> str:
    """A user query as a safe FTS5 expression: words are quoted, AND/OR/NOT and "phrases" are kept."""
    parts: list[str] = []
    for match in re.finditer(r'"([^"]+)"|(\S+)', query):
        phrase, word = match.group(1), match.group(2)
        if phrase:
            tokens = _FTS_TOKEN.findall(phrase)
            if tokens:
                parts.append('"' + " ".join(tokens) + '"')
        elif word in {"AND", "OR", "NOT"}:
            parts.append(word)
        else:
            tokens = _FTS_TOKEN.findall(word)
            parts.extend('"' + t.replace('"', "") + '"' for t in tokens)
    while parts and parts[-1] in {"AND", "OR", "NOT"}:
        parts.pop()
    while parts and parts[0] in {"AND", "OR", "NOT"}:
        parts.pop(0)
    return " ".join(parts)


_ACTOR_MATCHES = "lower(actor_canonical) = lower(?) OR lower(actor) = lower(?)"
#: the incidents-listing condition "a claim names this actor" (two parameters: the actor twice)
ACTOR_IN = f"i.id IN (SELECT incident_id FROM claims WHERE {_ACTOR_MATCHES})"

INSERT_DOCUMENT = (
    "INSERT INTO documents(id, sha256, url, canonical_url, title, publisher, author, published, fetched,"
    " language, source, source_kind, text) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)"
)


def document_row(d: Document) -> tuple[str | None, ...]:
    """A document's values in the column order of :data:`INSERT_DOCUMENT`."""
    return (d.id, d.sha256, d.url, d.canonical_url, d.title, d.publisher, d.author, d.published, d.fetched,
            d.language, d.source, d.source_kind, d.text)  # fmt: skip


def _where(conditions: list[tuple[str, Any]]) -> tuple[str, list[Any]]:
    """A WHERE clause from (condition, value) pairs, keeping only those whose value is given."""
    kept = [(c, v) for c, v in conditions if v]
    return (" WHERE " + " AND ".join(c for c, _ in kept) if kept else "", [v for _, v in kept])


class SQLiteStore(WatchStoreMixin, ResolutionStoreMixin, StixObjectsStoreMixin):
    """The default ledger: one file, safe against a crash mid-write."""

    # entity names compare case-insensitively (the column is COLLATE NOCASE); PostgreSQL overrides these
    _NAME_MATCH = "name = ?"
    _NAME_ORDER = "name, name COLLATE BINARY"
    #: search ranks at most this many of the most recently added matches (see :meth:`search`)
    RANK_WINDOW = 5000

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(
                f"cannot open the ledger: {exc}; check --db / THREATLEDGER_DB", locator=str(path)
            ) from exc
        self.conn.row_factory = sqlite3.Row
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute("PRAGMA synchronous=NORMAL")
        self.conn.execute("PRAGMA foreign_keys=ON")
        self.conn.execute("PRAGMA busy_timeout=30000")
        self.migrate()

    # -- plumbing ---------------------------------------------------------------------------------------------
    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; BEGIN IMMEDIATE takes the write lock up front so writers queue, not fail."""
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.conn
        except BaseException:
            self.conn.execute("ROLLBACK")
            raise
        else:
            self.conn.execute("COMMIT")

    def migrate(self) -> list[int]:
        """Apply pending migrations; returns the versions applied."""
        self.conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
        done = {row[0] for row in self.conn.execute("SELECT version FROM schema_migrations")}
        applied: list[int] = []
        for version, name, sql in MIGRATIONS:
            if version in done:
                continue
            with self.transaction() as conn:
                for statement in _split_sql(sql):
                    conn.execute(statement)
                conn.execute("INSERT INTO schema_migrations(version, name) VALUES (?, ?)", (version, name))
            applied.append(version)
            log.info("applied migration %d: %s", version, name)
        return applied

    def schema_version(self) -> int:
        row = self.conn.execute("SELECT max(version) FROM schema_migrations").fetchone()
        return int(row[0] or 0)

    def close(self) -> None:
        self.conn.close()

    def integrity_check(self) -> str:
        return str(self.conn.execute("PRAGMA integrity_check").fetchone()[0])

    # -- documents --------------------------------------------------------------------------------------------
    def find_duplicate(self, document: Document) -> SaveResult | None:
        row = self.conn.execute("SELECT id FROM documents WHERE sha256 = ?", (document.sha256,)).fetchone()
        if row:
            return SaveResult("duplicate", document.id, duplicate_of=row["id"], reason="same-content")
        if document.canonical_url:
            row = self.conn.execute(
                "SELECT id FROM documents WHERE canonical_url = ?", (document.canonical_url,)
            ).fetchone()
            if row:
                return SaveResult("duplicate", document.id, duplicate_of=row["id"], reason="same-url")
        return None

    def save_document(
        self,
        document: Document,
        extraction: Extraction | None,
        seen_at: str,
        resolution: Resolution | None = None,
    ) -> SaveResult:
        """Store a document with its findings in one transaction, or record a sighting of its duplicate.

        With a ``resolution``, a near-duplicate is stored as a sighting of its original (text kept, no findings),
        and the document's incidents are attached to the ledger incidents it names, each link logged.
        """
        res = resolution or Resolution()
        with self.transaction() as conn:
            duplicate = self.find_duplicate(document)
            if duplicate is not None:
                assert duplicate.duplicate_of is not None
                self._sighting(
                    conn, duplicate.duplicate_of, document.source or "", document.url, seen_at, "duplicate"
                )
                return duplicate
            d = document
            conn.execute(
                INSERT_DOCUMENT,
                document_row(d),
            )
            return self._save_findings(conn, document, extraction, res, seen_at)

    def _save_findings(
        self,
        conn: sqlite3.Connection,
        document: Document,
        extraction: Extraction | None,
        res: Resolution,
        seen_at: str,
    ) -> SaveResult:
        """After the document row: its sighting, and either the near-duplicate link or its findings and links."""
        d = document
        self._sighting(conn, d.id, d.source or "", d.url, seen_at, "original")
        if res.near_duplicate_of:
            conn.execute(
                "UPDATE documents SET near_duplicate_of = ? WHERE id = ?", (res.near_duplicate_of, d.id)
            )
            self._sighting(conn, res.near_duplicate_of, d.source or "", d.url, seen_at, "near-duplicate")
            return SaveResult(
                "near-duplicate", d.id, duplicate_of=res.near_duplicate_of, reason="near-duplicate"
            )
        if res.signature is not None:
            self._save_signature(conn, d.id, res.signature, res.band_keys)
        if extraction is not None:
            self._save_extraction(conn, document, extraction, res.links)
            for report_id, keys in res.keys.items():
                self._save_keys(conn, report_id, keys)
            for report_id, (score, reasons) in res.decisions.items():
                target = res.links.get(report_id)
                if target and target != report_id:
                    self._log_op(conn, "auto-link", target, report_id, [report_id], seen_at, score, reasons)
        return SaveResult("added", d.id)

    def add_sighting(self, doc_id: str, locator: str, url: str | None, seen_at: str, kind: str) -> None:
        with self.transaction() as conn:
            self._sighting(conn, doc_id, locator, url, seen_at, kind)

    @staticmethod
    def _sighting(
        conn: sqlite3.Connection, doc_id: str, locator: str, url: str | None, seen_at: str, kind: str
    ) -> None:
        conn.execute(
            "INSERT OR IGNORE INTO sightings(doc_id, locator, url, seen_at, kind) VALUES (?,?,?,?,?)",
            (doc_id, locator, url, seen_at, kind),
        )

    def _save_extraction(
        self, conn: sqlite3.Connection, document: Document, ex: Extraction, links: dict[str, str]
    ) -> None:
        data = to_json(ex)
        versions = data.pop("versions", {}) if isinstance(data, dict) else {}
        conn.execute(
            "INSERT OR REPLACE INTO extractions(doc_id, versions, data) VALUES (?,?,?)",
            (document.id, canonical_json(versions), canonical_json(data)),
        )
        seen = document.published or document.fetched
        for entity in ex.entities:
            conn.execute(
                "INSERT INTO entities(id, type, canonical, kb_ref, country, first_seen, last_seen)"
                " VALUES (?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET"
                " first_seen = min(coalesce(first_seen, excluded.first_seen), coalesce(excluded.first_seen, first_seen)),"
                " last_seen = max(coalesce(last_seen, excluded.last_seen), coalesce(excluded.last_seen, last_seen)),"
                " kb_ref = coalesce(kb_ref, excluded.kb_ref), country = coalesce(country, excluded.country)",
                (entity.id, entity.type, entity.canonical, entity.kb_ref, entity.country, seen, seen),
            )
            for name in {entity.canonical, entity.name, *entity.aliases, *(m.text for m in entity.mentions)}:
                conn.execute(
                    "INSERT OR IGNORE INTO entity_names(entity_id, name) VALUES (?,?)", (entity.id, name)
                )
            conn.executemany(
                'INSERT OR IGNORE INTO entity_mentions(entity_id, doc_id, start, "end", text) VALUES (?,?,?,?,?)',
                [(entity.id, document.id, m.start, m.end, m.text) for m in entity.mentions],
            )
        conn.executemany(
            'INSERT OR IGNORE INTO indicators(doc_id, type, value, start, "end", text, benign, benign_reason)'
            " VALUES (?,?,?,?,?,?,?,?)",
            [
                (document.id, i.type, i.value, i.start, i.end, i.text, int(i.benign), i.benign_reason)
                for i in ex.indicators
            ],
        )
        for incident in ex.incidents:
            incident_id = links.get(incident.id, incident.id)
            record = to_json(incident)
            victim = incident.victims[0] if incident.victims else None
            conn.execute(
                "INSERT INTO incidents(id, type, title, victim, country, sector, first_reported, last_reported, data)"
                " VALUES (?,?,?,?,?,?,?,?,?) ON CONFLICT(id) DO UPDATE SET"
                " first_reported = min(coalesce(first_reported, excluded.first_reported),"
                "                      coalesce(excluded.first_reported, first_reported)),"
                " last_reported = max(coalesce(last_reported, excluded.last_reported),"
                "                     coalesce(excluded.last_reported, last_reported)),"
                # a later report may know where the victim is, or its sector, when the first did not
                " country = coalesce(country, excluded.country), sector = coalesce(sector, excluded.sector)",
                (
                    incident_id,
                    incident.type,
                    incident.title,
                    victim.name if victim else None,
                    victim.country if victim else None,
                    victim.sector if victim else None,
                    seen,
                    seen,
                    canonical_json(record),
                ),
            )
            conn.execute(
                "INSERT OR REPLACE INTO incident_reports(report_id, incident_id, doc_id, published, data)"
                " VALUES (?,?,?,?,?)",
                (incident.id, incident_id, document.id, document.published, canonical_json(record)),
            )
        entity_names = {entity.id: entity.canonical for entity in ex.entities}
        for claim in ex.claims:
            record = to_json(claim)
            claim_incident = links.get(claim.incident, claim.incident) if claim.incident else None
            conn.execute(
                "INSERT OR REPLACE INTO claims(id, incident_id, report_id, doc_id, stance, claimant, actor,"
                " actor_canonical, actor_kind, made_on, data) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
                (
                    claim.id,
                    claim_incident,
                    claim.incident,
                    document.id,
                    claim.stance,
                    _claimant_name(claim, entity_names, document),
                    claim.actor.text,
                    claim.actor.canonical,
                    claim.actor.kind,
                    document.published,
                    canonical_json(record),
                ),
            )

    def get_document(self, doc_id: str) -> Document | None:
        row = self.conn.execute("SELECT * FROM documents WHERE id = ?", (doc_id,)).fetchone()
        if row is None:
            return None
        known = Document.__dataclass_fields__  # columns added by later migrations are not Document fields
        fields = {k: row[k] for k in row.keys() if k in known}  # noqa: SIM118 - sqlite3.Row has no items()
        return Document(**fields)

    def get_extraction(self, doc_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT data FROM extractions WHERE doc_id = ?", (doc_id,)).fetchone()
        return json.loads(row["data"]) if row else None

    def list_documents(
        self, since: str | None = None, limit: int = 100, offset: int = 0
    ) -> list[DocumentRow]:
        sql = (
            "SELECT d.id, d.title, d.url, d.canonical_url, d.publisher, d.published, d.fetched, d.source,"
            " (SELECT count(*) FROM sightings s WHERE s.doc_id = d.id) AS sightings FROM documents d"
        )
        args: list[Any] = []
        if since:
            sql += " WHERE coalesce(d.published, d.fetched) >= ?"
            args.append(since)
        sql += " ORDER BY coalesce(d.published, d.fetched) DESC, d.id LIMIT ? OFFSET ?"
        args += [limit, offset]
        return [DocumentRow(**dict(row)) for row in self.conn.execute(sql, args)]

    def count_documents(self) -> int:
        return int(self.conn.execute("SELECT count(*) FROM documents").fetchone()[0])

    def search(self, query: str, limit: int = 20, offset: int = 0) -> list[SearchHit]:
        expression = fts_query(query)
        if not expression:
            return []
        try:
            # Rank first, then make snippets for the page only: in one query SQLite builds the snippet of every
            # match before sorting, which made a frequent word cost seconds on a large ledger.
            # bm25 scores every match before the sort, so a word in most of a large ledger costs time in
            # proportion to the ledger. Past RANK_WINDOW matches, only the most recently added RANK_WINDOW (a
            # multiple of it that covers the requested page) are ranked: one seek finds the rowid where that
            # window starts, and FTS5 scores the rows from there on. Scores keep the whole ledger's statistics.
            window = self._rank_window(limit, offset)
            start = self.conn.execute(
                "SELECT rowid FROM documents_fts WHERE documents_fts MATCH ? ORDER BY rowid DESC LIMIT 1 OFFSET ?",
                (expression, window - 1),
            ).fetchone()
            ranked = self.conn.execute(
                "SELECT rowid, bm25(documents_fts, 5.0, 1.0) AS rank FROM documents_fts"
                " WHERE documents_fts MATCH ? AND rowid >= ? ORDER BY rank, rowid LIMIT ? OFFSET ?",
                (expression, start[0] if start else 0, limit, offset),
            ).fetchall()
            if not ranked:
                return []
            marks = ",".join("?" * len(ranked))
            rows = self.conn.execute(
                "SELECT documents_fts.rowid AS rowid, d.id, d.title, d.url, d.published,"
                " snippet(documents_fts, 1, '[', ']', ' … ', 16) AS snippet"
                " FROM documents_fts JOIN documents d ON d.rowid = documents_fts.rowid"
                f" WHERE documents_fts MATCH ? AND documents_fts.rowid IN ({marks})",
                (expression, *(r["rowid"] for r in ranked)),
            ).fetchall()
        except sqlite3.OperationalError as exc:
            raise StoreError(f"cannot search for {query!r}: {exc}; quote unusual words") from exc
        by_rowid = {r["rowid"]: r for r in rows}
        return [
            SearchHit(r["id"], r["title"], r["url"], r["published"], r["snippet"], float(rank))
            for rowid, rank in ranked
            if (r := by_rowid.get(rowid)) is not None
        ]

    def _rank_window(self, limit: int, offset: int) -> int:
        """How many of the newest matches a search ranks: the multiple of RANK_WINDOW that covers the page."""
        return -(-(offset + limit) // self.RANK_WINDOW) * self.RANK_WINDOW

    def sightings(self, doc_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT locator, url, seen_at, kind FROM sightings WHERE doc_id = ? ORDER BY seen_at, rowid",
            (doc_id,),
        )
        return [dict(r) for r in rows]

    # -- feeds ------------------------------------------------------------------------------------------------
    def add_feed(self, url: str, added: str) -> bool:
        with self.transaction() as conn:
            cur = conn.execute("INSERT OR IGNORE INTO feeds(url, added) VALUES (?, ?)", (url, added))
            return cur.rowcount > 0

    def list_feeds(self) -> list[FeedRow]:
        rows = self.conn.execute(
            "SELECT f.url, f.title, f.etag, f.modified, f.added, f.last_polled, f.last_status,"
            " (SELECT count(*) FROM feed_items i WHERE i.feed_url = f.url) AS items FROM feeds f ORDER BY f.added, f.url"
        )
        return [FeedRow(**dict(r)) for r in rows]

    def update_feed(
        self, url: str, *, polled: str, status: str, etag: str | None, modified: str | None, title: str | None
    ) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE feeds SET last_polled = ?, last_status = ?, etag = coalesce(?, etag),"
                " modified = coalesce(?, modified), title = coalesce(?, title) WHERE url = ?",
                (polled, status, etag, modified, title, url),
            )

    def feed_seen(self, feed_url: str, guid: str) -> bool:
        row = self.conn.execute(
            "SELECT 1 FROM feed_items WHERE feed_url = ? AND guid = ?", (feed_url, guid)
        ).fetchone()
        return row is not None

    def mark_feed_item(self, feed_url: str, guid: str, doc_id: str | None, seen_at: str) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO feed_items(feed_url, guid, doc_id, seen_at) VALUES (?,?,?,?)",
                (feed_url, guid, doc_id, seen_at),
            )

    # -- findings ---------------------------------------------------------------------------------------------
    def entities(
        self, type: str | None = None, name: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        sql = (
            "SELECT e.*, (SELECT count(DISTINCT doc_id) FROM entity_mentions m WHERE m.entity_id = e.id) AS documents"
            " FROM entities e"
        )
        where, args = _where(
            [
                ("e.type = ?", type),
                (f"e.id IN (SELECT entity_id FROM entity_names WHERE {self._NAME_MATCH})", name),
            ]
        )
        sql += where + " ORDER BY documents DESC, e.canonical, e.id LIMIT ?"
        args.append(limit)
        out = []
        for row in self.conn.execute(sql, args):
            record = dict(row)
            record["names"] = [
                r[0]
                for r in self.conn.execute(
                    f"SELECT name FROM entity_names WHERE entity_id = ? ORDER BY {self._NAME_ORDER}",
                    (row["id"],),
                )
            ]
            out.append(record)
        return out

    def entity_mentions(self, entity_id: str, limit: int = 100) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            'SELECT m.doc_id, m.start, m."end", m.text, d.title, d.published FROM entity_mentions m'
            " JOIN documents d ON d.id = m.doc_id WHERE m.entity_id = ? ORDER BY d.published, m.doc_id, m.start LIMIT ?",
            (entity_id, limit),
        )
        return [dict(r) for r in rows]

    def incidents(
        self, filters: dict[str, Any] | None = None, limit: int = 100, offset: int = 0
    ) -> list[dict[str, Any]]:
        filters = filters or {}
        where: list[str] = []
        args: list[Any] = []
        if filters.get("country"):
            where.append("upper(i.country) = upper(?)")
            args.append(filters["country"])
        if filters.get("sector"):
            where.append("lower(i.sector) = lower(?)")
            args.append(filters["sector"])
        if filters.get("type"):
            where.append("i.type = ?")
            args.append(filters["type"])
        if filters.get("since"):
            where.append("coalesce(i.last_reported, '') >= ?")
            args.append(filters["since"])
        if filters.get("until"):
            where.append("coalesce(i.first_reported, '') <= ?")
            args.append(filters["until"])
        if filters.get("actor"):
            where.append(self._actor_filter(filters["actor"], limit + offset))
            args += [filters["actor"], filters["actor"]]
        if filters.get("stance"):
            where.append("i.id IN (SELECT incident_id FROM claims WHERE stance = ?)")
            args.append(filters["stance"])
        if filters.get("victim"):
            where.append("lower(i.victim) = lower(?)")
            args.append(filters["victim"])
        where.append("i.merged_into IS NULL")
        # The page is chosen first and the counts made for its rows only: in one flat query SQLite counts the
        # reports and claims of every matching incident before sorting.
        page = (
            "SELECT i.id, i.type, i.title, i.victim, i.country, i.sector, i.first_reported, i.last_reported"
            " FROM incidents i WHERE "
            + " AND ".join(where)
            + " ORDER BY i.last_reported DESC, i.id LIMIT ? OFFSET ?"
        )
        sql = (
            "SELECT p.*, (SELECT count(*) FROM incident_reports r WHERE r.incident_id = p.id) AS reports,"
            " (SELECT count(*) FROM claims c WHERE c.incident_id = p.id) AS claims"
            f" FROM ({page}) AS p ORDER BY p.last_reported DESC, p.id"
        )
        args += [limit, offset]
        return [dict(r) for r in self.conn.execute(sql, args)]

    def _actor_filter(self, actor: str, rows: int) -> str:
        """The incidents-listing condition for one actor, shaped by how many claims name it.

        For an actor with few incidents, collecting them and sorting is cheapest. For a prolific one (more claims
        than the square root of rows wanted x incidents in the ledger), walking the newest incidents and
        checking each one's claims reaches a page sooner than sorting thousands of incidents.
        """
        total = self.conn.execute("SELECT coalesce(max(rowid), 0) FROM incidents").fetchone()[0]
        threshold = max(1, int((rows * total) ** 0.5))
        named = self.conn.execute(
            f"SELECT count(*) FROM (SELECT 1 FROM claims WHERE {_ACTOR_MATCHES} LIMIT ?)",
            (actor, actor, threshold),
        ).fetchone()[0]
        if named >= threshold:
            return f"EXISTS (SELECT 1 FROM claims c WHERE c.incident_id = i.id AND ({_ACTOR_MATCHES}))"
        return ACTOR_IN

    def incident(self, incident_id: str) -> dict[str, Any] | None:
        row = self.conn.execute("SELECT * FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        if row is None:
            # a report's own incident id leads to the incident it was linked to
            link = self.conn.execute(
                "SELECT incident_id FROM incident_reports WHERE report_id = ?", (incident_id,)
            ).fetchone()
            return self.incident(link[0]) if link and link[0] != incident_id else None
        if row["merged_into"]:
            return self.incident(row["merged_into"])
        record = dict(row)
        record["data"] = json.loads(record["data"])
        record["reports"] = [
            {**dict(r), "data": json.loads(r["data"])}
            for r in self.conn.execute(
                "SELECT r.report_id, r.doc_id, r.published, r.data, d.title, d.url, d.publisher"
                " FROM incident_reports r JOIN documents d ON d.id = r.doc_id WHERE r.incident_id = ?"
                " ORDER BY r.published, r.doc_id, r.report_id",
                (incident_id,),
            )
        ]
        record["claims"] = self.claims(incident_id=incident_id)
        return record

    def claims(self, incident_id: str | None = None, doc_id: str | None = None) -> list[dict[str, Any]]:
        sql = (
            "SELECT c.id, c.incident_id, c.doc_id, c.stance, c.claimant, c.actor, c.actor_canonical, c.actor_kind,"
            " c.made_on, c.data, d.title AS doc_title, d.url AS doc_url, d.publisher FROM claims c"
            " JOIN documents d ON d.id = c.doc_id"
        )
        where, args = _where([("c.incident_id = ?", incident_id), ("c.doc_id = ?", doc_id)])
        sql += where + " ORDER BY c.made_on, c.doc_id, c.id"
        return [{**dict(r), "data": json.loads(r["data"])} for r in self.conn.execute(sql, args)]

    def indicators(
        self, value: str | None = None, type: str | None = None, limit: int = 100
    ) -> list[dict[str, Any]]:
        sql = 'SELECT doc_id, type, value, start, "end", text, benign, benign_reason FROM indicators'
        where, args = _where([("value = ?", value), ("type = ?", type)])
        sql += where + " ORDER BY value, doc_id, start, type LIMIT ?"
        args.append(limit)
        return [{**dict(r), "benign": bool(r["benign"])} for r in self.conn.execute(sql, args)]


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements, keeping trigger bodies (BEGIN ... END;) whole."""
    statements: list[str] = []
    buffer: list[str] = []
    depth = 0
    for line in script.splitlines():
        stripped = line.strip()
        if not stripped:
            continue
        buffer.append(line)
        upper = stripped.upper()
        if upper.endswith("BEGIN"):
            depth += 1
        if upper in {"END;"}:
            depth -= 1
        if stripped.endswith(";") and depth == 0:
            statements.append("\n".join(buffer))
            buffer = []
    if buffer:
        statements.append("\n".join(buffer))
    return statements


def _claimant_name(claim: Claim, entity_names: dict[str, str], document: Document) -> str:
    """Who makes the claim, as analysts read it: the entity a pronoun or description refers to ("It" -> NISC),
    else the words of the claimant, else the outlet itself."""
    if claim.claimant_entity and claim.claimant_entity in entity_names:
        return entity_names[claim.claimant_entity]
    if claim.claimant is not None:
        return claim.claimant.text
    return document.publisher or "the article"
