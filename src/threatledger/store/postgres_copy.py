"""Move a ledger between backends (``threatledger db copy``): SQLite to PostgreSQL, or back.

Tables are copied in dependency order with the same statement on both sides, an upsert keyed by each table's
primary key (``INSERT ... ON CONFLICT``, which SQLite and PostgreSQL both speak), so a copy can be interrupted and
re-run, and running it twice changes nothing. Rows whose state changes after they are written (feed polling,
incident merges, alert delivery, undone operations) are updated; everything else is insert-only. Generated
columns (PostgreSQL's ``rowid`` and search vector) are not copied: the target computes them, in the source's
insertion order.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from threatledger.store.sqlite import SQLiteStore

__all__ = ["TABLES", "CopyReport", "Table", "copy_ledger", "table_digest", "table_rows"]

Progress = Callable[[str, int, int], None]  # table, rows done, rows in the table


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    columns: tuple[str, ...]
    key: tuple[str, ...]
    updates: tuple[str, ...] = ()  # columns refreshed when the row exists already
    order: str = ""  # source order (defaults to the key)

    def select(self) -> str:
        cols = ", ".join(_quote(c) for c in self.columns)
        return f"SELECT {cols} FROM {self.name} ORDER BY {self.order or ', '.join(map(_quote, self.key))}"

    def upsert(self) -> str:
        cols = ", ".join(_quote(c) for c in self.columns)
        marks = ",".join("?" for _ in self.columns)
        sql = f"INSERT INTO {self.name}({cols}) VALUES ({marks}) ON CONFLICT"
        if not self.updates:
            return sql + " DO NOTHING"
        sets = ", ".join(f"{_quote(c)} = excluded.{_quote(c)}" for c in self.updates)
        return sql + f" ({', '.join(map(_quote, self.key))}) DO UPDATE SET {sets}"


def _quote(column: str) -> str:
    return f'"{column}"' if column == "end" else column


_DOCUMENT = (
    "id",
    "sha256",
    "url",
    "canonical_url",
    "title",
    "publisher",
    "author",
    "published",
    "fetched",
    "language",
    "source",
    "source_kind",
    "text",
    "near_duplicate_of",
)
_INCIDENT = (
    "type",
    "title",
    "victim",
    "country",
    "sector",
    "first_reported",
    "last_reported",
    "data",
    "merged_into",
)
_CLAIM = (
    "incident_id",
    "report_id",
    "doc_id",
    "stance",
    "claimant",
    "actor",
    "actor_canonical",
    "actor_kind",
    "made_on",
    "data",
)

# dependency order: a row's references are copied before it
TABLES: tuple[Table, ...] = (
    Table("documents", _DOCUMENT, ("id",), ("near_duplicate_of",), order="rowid"),
    Table("sightings", ("doc_id", "locator", "url", "seen_at", "kind"), ("doc_id", "locator"), order="rowid"),
    Table(
        "feeds",
        ("url", "title", "etag", "modified", "added", "last_polled", "last_status"),
        ("url",),
        ("title", "etag", "modified", "last_polled", "last_status"),
    ),
    Table("feed_items", ("feed_url", "guid", "doc_id", "seen_at"), ("feed_url", "guid")),
    Table("extractions", ("doc_id", "versions", "data"), ("doc_id",), ("versions", "data")),
    Table(
        "entities",
        ("id", "type", "canonical", "kb_ref", "country", "first_seen", "last_seen"),
        ("id",),
        ("kb_ref", "country", "first_seen", "last_seen"),
    ),
    Table("entity_names", ("entity_id", "name"), ("entity_id", "name")),
    Table(
        "entity_mentions", ("entity_id", "doc_id", "start", "end", "text"), ("entity_id", "doc_id", "start")
    ),
    Table(
        "indicators",
        ("doc_id", "type", "value", "start", "end", "text", "benign", "benign_reason"),
        ("doc_id", "start", "type"),
    ),
    Table("incidents", ("id", *_INCIDENT), ("id",), _INCIDENT),
    Table(
        "incident_reports",
        ("report_id", "incident_id", "doc_id", "published", "data"),
        ("report_id",),
        ("incident_id", "published", "data"),
    ),
    Table("incident_keys", ("report_id", "key"), ("key", "report_id")),
    Table("claims", ("id", *_CLAIM), ("id",), _CLAIM),
    Table(
        "incident_ops",
        ("id", "op", "incident_id", "other_id", "report_ids", "score", "reasons", "at", "undone_at"),
        ("id",),
        ("undone_at",),
    ),
    Table("doc_signatures", ("doc_id", "signature"), ("doc_id",)),
    Table("doc_bands", ("band_key", "doc_id"), ("band_key", "doc_id")),
    Table(
        "watchlists",
        ("id", "name", "filters", "webhook_url", "webhook_secret", "email", "created"),
        ("id",),
        ("filters", "webhook_url", "webhook_secret", "email"),
    ),
    Table(
        "alerts",
        (
            "id",
            "watchlist_id",
            "object_type",
            "object_id",
            "title",
            "created",
            "data",
            "webhook_status",
            "email_status",
            "attempts",
            "delivered_at",
        ),
        ("id",),
        ("webhook_status", "email_status", "attempts", "delivered_at"),
    ),
    Table("api_tokens", ("id", "name", "sha256", "created", "last_used"), ("id",), ("last_used",)),
    Table(
        "stix_objects",
        ("id", "version", "type", "spec_version", "data", "source", "doc_id", "imported_at"),
        ("id", "version"),
    ),
)


@dataclass(slots=True)
class CopyReport:
    rows: dict[str, int]  # rows read from the source, per table
    source_version: int
    target_version: int


def copy_ledger(
    source: SQLiteStore, target: SQLiteStore, *, batch: int = 500, progress: Progress | None = None
) -> CopyReport:
    """Copy every table of ``source`` into ``target`` (both migrated to the same schema version)."""
    from threatledger.errors import StoreError

    source_version, target_version = source.schema_version(), target.schema_version()
    if source_version != target_version:
        raise StoreError(
            f"schema versions differ (source {source_version}, target {target_version}); "
            "run `threatledger db migrate` on the older one"
        )
    counts: dict[str, int] = {}
    for table in TABLES:
        total = int(source.conn.execute(f"SELECT count(*) FROM {table.name}").fetchone()[0])
        done = 0
        if progress:
            progress(table.name, 0, total)
        upsert = table.upsert()
        for rows in _batches(source, table, batch):
            with target.transaction() as conn:
                conn.executemany(upsert, rows)
            done += len(rows)
            if progress:
                progress(table.name, done, total)
        counts[table.name] = done
    _after_copy(target)
    return CopyReport(counts, source_version, target_version)


def _batches(store: SQLiteStore, table: Table, size: int) -> Iterator[list[tuple[Any, ...]]]:
    cursor = store.conn.execute(table.select())
    while True:
        rows = cursor.fetchmany(size)
        if not rows:
            return
        yield [tuple(row[i] for i in range(len(table.columns))) for row in rows]


def _after_copy(target: SQLiteStore) -> None:
    """Copied operation ids were given explicitly: move PostgreSQL's identity past them."""
    from threatledger.store.postgres import PostgresStore

    if isinstance(target, PostgresStore):
        target.conn.execute(
            "SELECT setval(pg_get_serial_sequence('incident_ops', 'id'), coalesce(max(id), 0) + 1, false)"
            " FROM incident_ops"
        )


def table_rows(store: SQLiteStore, table: Table) -> list[tuple[Any, ...]]:
    """A table's copied columns, sorted: equal lists mean equal tables (for checks and tests)."""
    rows = [
        tuple(bytes(row[i]) if isinstance(row[i], memoryview) else row[i] for i in range(len(table.columns)))
        for row in store.conn.execute(table.select()).fetchall()
    ]
    return sorted(rows, key=lambda r: json.dumps(r, default=lambda v: v.hex(), sort_keys=True))


def table_digest(store: SQLiteStore, table: Table) -> str:
    """A short digest of :func:`table_rows`."""
    data = json.dumps(table_rows(store, table), default=lambda v: v.hex()).encode()
    return hashlib.sha256(data).hexdigest()[:16]
