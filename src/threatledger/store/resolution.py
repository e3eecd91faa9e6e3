"""SQL for near-duplicate lookups and reversible incident merges/splits, mixed into the SQLite store.

Every merge or split, automatic or by hand, is a row in ``incident_ops`` with what it moved, its score and
reasons; undoing it moves the reports back and marks the row undone. Nothing is deleted.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

from threatledger.errors import StoreError

__all__ = ["ResolutionStoreMixin"]


def _marks(values: Sequence[object]) -> str:
    return ",".join("?" for _ in values)


class ResolutionStoreMixin:
    """Needs ``conn`` and ``transaction()`` from the store it is mixed into."""

    conn: sqlite3.Connection

    if TYPE_CHECKING:

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    # -- near duplicates --------------------------------------------------------------------------------------
    def near_duplicate_candidates(self, band_keys: Sequence[str], limit: int = 50) -> list[tuple[str, bytes]]:
        """Documents sharing an LSH band with the given keys, with their stored signatures."""
        if not band_keys:
            return []
        rows = self.conn.execute(
            f"SELECT DISTINCT s.doc_id, s.signature FROM doc_bands b JOIN doc_signatures s ON s.doc_id = b.doc_id"
            f" JOIN documents d ON d.id = s.doc_id"
            f" WHERE b.band_key IN ({_marks(band_keys)}) AND d.near_duplicate_of IS NULL LIMIT ?",
            [*band_keys, limit],
        )
        return [(r[0], bytes(r[1])) for r in rows]

    def near_duplicates_of(self, doc_id: str) -> list[dict[str, Any]]:
        rows = self.conn.execute(
            "SELECT id, title, url, publisher, published, source FROM documents WHERE near_duplicate_of = ?"
            " ORDER BY published, id",
            (doc_id,),
        )
        return [dict(r) for r in rows]

    @staticmethod
    def _save_signature(
        conn: sqlite3.Connection, doc_id: str, signature: bytes, band_keys: Sequence[str]
    ) -> None:
        conn.execute(
            "INSERT OR REPLACE INTO doc_signatures(doc_id, signature) VALUES (?, ?)", (doc_id, signature)
        )
        conn.executemany(
            "INSERT OR IGNORE INTO doc_bands(band_key, doc_id) VALUES (?, ?)",
            [(k, doc_id) for k in band_keys],
        )

    # -- incident candidates ----------------------------------------------------------------------------------
    def incident_candidates(self, keys: Sequence[str], limit: int = 50) -> list[dict[str, Any]]:
        """Live incidents sharing a lookup key (folded victim name or indicator), with their reports' data."""
        if not keys:
            return []
        rows = self.conn.execute(
            f"SELECT DISTINCT i.id, i.type, i.title, i.last_reported FROM incident_keys k"
            f" JOIN incident_reports r ON r.report_id = k.report_id JOIN incidents i ON i.id = r.incident_id"
            f" WHERE k.key IN ({_marks(keys)}) AND i.merged_into IS NULL"
            " ORDER BY i.last_reported DESC NULLS LAST, i.id LIMIT ?",  # past the limit: the most recent
            [*keys, limit],
        )
        out = []
        for row in rows:
            reports = self.conn.execute(
                "SELECT report_id, doc_id, published, data FROM incident_reports WHERE incident_id = ?",
                (row["id"],),
            ).fetchall()
            incident_keys = [
                r[0]
                for r in self.conn.execute(
                    "SELECT DISTINCT k.key FROM incident_keys k JOIN incident_reports r ON r.report_id = k.report_id"
                    " WHERE r.incident_id = ?",
                    (row["id"],),
                )
            ]
            out.append(
                {
                    **dict(row),
                    "keys": incident_keys,
                    "reports": [{**dict(r), "data": json.loads(r["data"])} for r in reports],
                }
            )
        return out

    @staticmethod
    def _save_keys(conn: sqlite3.Connection, report_id: str, keys: Sequence[str]) -> None:
        conn.executemany(
            "INSERT OR IGNORE INTO incident_keys(report_id, key) VALUES (?, ?)",
            [(report_id, k) for k in keys],
        )

    # -- reversible operations --------------------------------------------------------------------------------
    @staticmethod
    def _log_op(
        conn: sqlite3.Connection,
        op: str,
        incident_id: str,
        other_id: str | None,
        report_ids: Sequence[str],
        at: str,
        score: float | None = None,
        reasons: Sequence[str] = (),
    ) -> int:
        cur = conn.execute(
            "INSERT INTO incident_ops(op, incident_id, other_id, report_ids, score, reasons, at) VALUES (?,?,?,?,?,?,?)",
            (op, incident_id, other_id, json.dumps(list(report_ids)), score, json.dumps(list(reasons)), at),
        )
        return int(cur.lastrowid or 0)

    def _require_live(self, incident_id: str) -> None:
        row = self.conn.execute("SELECT merged_into FROM incidents WHERE id = ?", (incident_id,)).fetchone()
        if row is None:
            raise StoreError(f"no incident {incident_id!r}; `threatledger incidents` lists the ids")
        if row[0]:
            raise StoreError(
                f"incident {incident_id} was merged into {row[0]}; use that id (or undo the merge)"
            )

    def merge_incidents(
        self, target: str, source: str, at: str, reasons: Sequence[str] = ("by hand",)
    ) -> int:
        """Move every report and claim of ``source`` into ``target``; returns the operation id."""
        if target == source:
            raise StoreError("cannot merge an incident into itself")
        self._require_live(target)
        self._require_live(source)
        with self.transaction() as conn:
            moved = [
                r[0]
                for r in conn.execute(
                    "SELECT report_id FROM incident_reports WHERE incident_id = ?", (source,)
                )
            ]
            self._move_reports(conn, moved, target)
            conn.execute("UPDATE incidents SET merged_into = ? WHERE id = ?", (target, source))
            return self._log_op(conn, "merge", target, source, moved, at, None, reasons)

    def split_incident(self, incident_id: str, report_ids: Sequence[str], at: str) -> tuple[str, int]:
        """Move the given reports out of an incident into a new one (named after the first report)."""
        self._require_live(incident_id)
        with self.transaction() as conn:
            owned = {
                r[0]
                for r in conn.execute(
                    "SELECT report_id FROM incident_reports WHERE incident_id = ?", (incident_id,)
                )
            }
            missing = [r for r in report_ids if r not in owned]
            if missing or not report_ids:
                raise StoreError(
                    f"reports {missing or '(none given)'} are not part of incident {incident_id}; "
                    f"`threatledger incident {incident_id} --json` lists its reports"
                )
            if len(owned) == len(set(report_ids)):
                raise StoreError("a split must leave at least one report in the incident")
            new_id = report_ids[0]
            self._ensure_incident_row(conn, new_id, incident_id)
            self._move_reports(conn, report_ids, new_id)
            op = self._log_op(conn, "split", incident_id, new_id, report_ids, at)
        return new_id, op

    def undo_incident_op(self, op_id: int, at: str) -> dict[str, Any]:
        """Reverse a merge, split or automatic link."""
        row = self.conn.execute("SELECT * FROM incident_ops WHERE id = ?", (op_id,)).fetchone()
        if row is None:
            raise StoreError(f"no incident operation {op_id}; `threatledger incident ops ID` lists them")
        if row["undone_at"]:
            raise StoreError(f"operation {op_id} was already undone at {row['undone_at']}")
        reports = json.loads(row["report_ids"])
        with self.transaction() as conn:
            if row["op"] == "merge":
                self._move_reports(conn, reports, row["other_id"])
                conn.execute("UPDATE incidents SET merged_into = NULL WHERE id = ?", (row["other_id"],))
            elif row["op"] == "split":
                self._move_reports(conn, reports, row["incident_id"])
                conn.execute(
                    "UPDATE incidents SET merged_into = ? WHERE id = ?", (row["incident_id"], row["other_id"])
                )
            elif row["op"] == "auto-link":
                self._ensure_incident_row(conn, row["other_id"], row["incident_id"])
                self._move_reports(conn, reports, row["other_id"])
            conn.execute("UPDATE incident_ops SET undone_at = ? WHERE id = ?", (at, op_id))
        return {**dict(row), "undone_at": at}

    def incident_ops(self, incident_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT * FROM incident_ops"
        args: list[Any] = []
        if incident_id:
            sql += " WHERE incident_id = ? OR other_id = ?"
            args = [incident_id, incident_id]
        rows = self.conn.execute(sql + " ORDER BY id", args)
        return [
            {**dict(r), "report_ids": json.loads(r["report_ids"]), "reasons": json.loads(r["reasons"])}
            for r in rows
        ]

    @staticmethod
    def _ensure_incident_row(conn: sqlite3.Connection, new_id: str, like: str) -> None:
        """A row for ``new_id`` (re-using a retired one, or copied from ``like``)."""
        exists = conn.execute("SELECT 1 FROM incidents WHERE id = ?", (new_id,)).fetchone()
        if exists:
            conn.execute("UPDATE incidents SET merged_into = NULL WHERE id = ?", (new_id,))
            return
        conn.execute(
            "INSERT INTO incidents(id, type, title, victim, country, sector, first_reported, last_reported, data)"
            " SELECT ?, type, title, victim, country, sector, first_reported, last_reported, data"
            " FROM incidents WHERE id = ?",
            (new_id, like),
        )

    @staticmethod
    def _move_reports(conn: sqlite3.Connection, report_ids: Sequence[str], target: str) -> None:
        if not report_ids:
            return
        marks = _marks(report_ids)
        conn.execute(
            f"UPDATE incident_reports SET incident_id = ? WHERE report_id IN ({marks})", [target, *report_ids]
        )
        conn.execute(f"UPDATE claims SET incident_id = ? WHERE report_id IN ({marks})", [target, *report_ids])
        # reported range of the target follows its reports
        conn.execute(
            "UPDATE incidents SET first_reported = (SELECT min(published) FROM incident_reports WHERE incident_id = ?),"
            " last_reported = (SELECT max(published) FROM incident_reports WHERE incident_id = ?) WHERE id = ?",
            (target, target, target),
        )
