"""SQL for STIX objects imported verbatim (migration 5), mixed into the SQLite store.

Objects are keyed by (id, version), the version being ``modified`` (else ``created``, else empty for
cyber-observables), so importing the same bundle twice adds nothing and a newer version of an object is kept
beside the older one. Reports that became documents remember the document id.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from threatledger.ids import canonical_json

__all__ = ["StixObjectRow", "StixObjectsStoreMixin", "stix_version"]


@dataclass(frozen=True, slots=True)
class StixObjectRow:
    id: str
    version: str
    type: str
    data: dict[str, Any]
    source: str
    doc_id: str | None
    imported_at: str


def stix_version(obj: Mapping[str, Any]) -> str:
    """What tells two versions of one STIX object apart."""
    return str(obj.get("modified") or obj.get("created") or "")


def _row(row: sqlite3.Row) -> StixObjectRow:
    return StixObjectRow(
        id=row["id"],
        version=row["version"],
        type=row["type"],
        data=json.loads(row["data"]),
        source=row["source"],
        doc_id=row["doc_id"],
        imported_at=row["imported_at"],
    )


class StixObjectsStoreMixin:
    conn: sqlite3.Connection

    if TYPE_CHECKING:

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    def save_stix_objects(
        self,
        objects: Iterable[Mapping[str, Any]],
        source: str,
        imported_at: str,
        doc_ids: Mapping[str, str] | None = None,
    ) -> int:
        """Keep ``objects`` as they are, in one transaction; returns how many (id, version) pairs were new."""
        doc_ids = doc_ids or {}
        added = 0
        with self.transaction() as conn:
            for obj in objects:
                cur = conn.execute(
                    "INSERT OR IGNORE INTO stix_objects(id, version, type, spec_version, data, source, doc_id,"
                    " imported_at) VALUES (?,?,?,?,?,?,?,?)",
                    (
                        obj["id"],
                        stix_version(obj),
                        obj["type"],
                        obj.get("spec_version"),
                        canonical_json(obj),
                        source,
                        doc_ids.get(obj["id"]),
                        imported_at,
                    ),
                )
                added += cur.rowcount
        return added

    def stix_object(self, object_id: str, version: str | None = None) -> StixObjectRow | None:
        """One imported object: the given version, or the latest."""
        if version is not None:
            row = self.conn.execute(
                "SELECT * FROM stix_objects WHERE id = ? AND version = ?", (object_id, version)
            ).fetchone()
        else:
            row = self.conn.execute(
                "SELECT * FROM stix_objects WHERE id = ? ORDER BY version DESC LIMIT 1", (object_id,)
            ).fetchone()
        return _row(row) if row else None

    def stix_object_versions(self, object_id: str) -> list[str]:
        rows = self.conn.execute(
            "SELECT version FROM stix_objects WHERE id = ? ORDER BY version", (object_id,)
        )
        return [r[0] for r in rows]

    def stix_objects(self, type: str | None = None, limit: int = 100, offset: int = 0) -> list[StixObjectRow]:
        """The latest version of each imported object, optionally of one type, ordered by id."""
        sql = (
            "SELECT s.* FROM stix_objects s WHERE s.version = (SELECT max(v.version) FROM stix_objects v"
            " WHERE v.id = s.id)"
        )
        args: list[Any] = []
        if type:
            sql += " AND s.type = ?"
            args.append(type)
        sql += " ORDER BY s.id LIMIT ? OFFSET ?"
        args += [limit, offset]
        return [_row(r) for r in self.conn.execute(sql, args)]

    def count_stix_objects(self, type: str | None = None) -> int:
        if type:
            row = self.conn.execute("SELECT count(DISTINCT id) FROM stix_objects WHERE type = ?", (type,))
        else:
            row = self.conn.execute("SELECT count(DISTINCT id) FROM stix_objects")
        return int(row.fetchone()[0])
