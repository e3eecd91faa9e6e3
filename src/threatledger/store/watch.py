"""SQL for watchlists, alerts and API tokens (migration 3), mixed into the SQLite store.

Alerts are keyed by (watchlist, object type, object id), so evaluating the same documents twice adds nothing.
Tokens are kept as sha256 digests only; the clear token is shown once when it is created.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from threatledger.errors import StoreError
from threatledger.ids import canonical_json, make_id

__all__ = ["AlertRow", "TokenRow", "WatchStoreMixin", "WatchlistRow"]


@dataclass(frozen=True, slots=True)
class WatchlistRow:
    id: str
    name: str
    filters: dict[str, str]
    created: str
    webhook_url: str | None = None
    webhook_secret: str | None = None
    email: str | None = None


@dataclass(frozen=True, slots=True)
class AlertRow:
    id: str
    watchlist_id: str
    watchlist: str
    object_type: str  # incident | document
    object_id: str
    title: str | None
    created: str
    data: dict[str, Any]
    webhook_status: str | None  # None (no webhook) | pending | delivered | failed: ...
    email_status: str | None
    attempts: int
    delivered_at: str | None


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: str
    name: str
    created: str
    last_used: str | None


def _watchlist(row: sqlite3.Row) -> WatchlistRow:
    return WatchlistRow(
        id=row["id"],
        name=row["name"],
        filters=json.loads(row["filters"]),
        created=row["created"],
        webhook_url=row["webhook_url"],
        webhook_secret=row["webhook_secret"],
        email=row["email"],
    )


def _alert(row: sqlite3.Row) -> AlertRow:
    return AlertRow(
        id=row["id"],
        watchlist_id=row["watchlist_id"],
        watchlist=row["watchlist"],
        object_type=row["object_type"],
        object_id=row["object_id"],
        title=row["title"],
        created=row["created"],
        data=json.loads(row["data"]),
        webhook_status=row["webhook_status"],
        email_status=row["email_status"],
        attempts=int(row["attempts"]),
        delivered_at=row["delivered_at"],
    )


_ALERT_SELECT = "SELECT a.*, w.name AS watchlist FROM alerts a JOIN watchlists w ON w.id = a.watchlist_id"


def _marks(values: Sequence[Any]) -> str:
    return ",".join("?" * len(values))


class WatchStoreMixin:
    """Watchlist, alert and token tables; needs ``conn`` and ``transaction()`` from the store it is mixed into."""

    conn: sqlite3.Connection

    if TYPE_CHECKING:

        def transaction(self) -> AbstractContextManager[sqlite3.Connection]: ...

    # -- change markers -----------------------------------------------------------------------------------------
    def change_marker(self) -> int:
        """A high-water mark of stored documents; pass it to :meth:`documents_after` after an ingest."""
        row = self.conn.execute("SELECT coalesce(max(rowid), 0) FROM documents").fetchone()
        return int(row[0])

    def documents_after(self, marker: int) -> list[str]:
        rows = self.conn.execute("SELECT id FROM documents WHERE rowid > ? ORDER BY rowid", (marker,))
        return [r[0] for r in rows]

    def incidents_of_documents(self, doc_ids: Sequence[str]) -> list[str]:
        if not doc_ids:
            return []
        rows = self.conn.execute(
            f"SELECT DISTINCT incident_id FROM incident_reports WHERE doc_id IN ({_marks(doc_ids)})"
            " ORDER BY incident_id",
            list(doc_ids),
        )
        return [r[0] for r in rows]

    def match_documents(
        self, doc_ids: Sequence[str], *, keyword: str | None = None, cve: str | None = None
    ) -> list[str]:
        """Those of ``doc_ids`` whose text matches ``keyword`` (FTS expression) and mention ``cve``."""
        if not doc_ids:
            return []
        sql = f"SELECT d.id FROM documents d WHERE d.id IN ({_marks(doc_ids)})"
        args: list[Any] = list(doc_ids)
        if keyword:
            from threatledger.store.sqlite import fts_query

            expression = fts_query(keyword)
            if not expression:
                return []
            sql += " AND d.rowid IN (SELECT rowid FROM documents_fts WHERE documents_fts MATCH ?)"
            args.append(expression)
        if cve:
            sql += (
                " AND d.id IN (SELECT doc_id FROM indicators WHERE type = 'cve' AND upper(value) = upper(?))"
            )
            args.append(cve)
        try:
            return [r[0] for r in self.conn.execute(sql + " ORDER BY d.rowid", args)]
        except sqlite3.OperationalError as exc:
            raise StoreError(f"cannot match documents against {keyword!r}: {exc}") from exc

    # -- watchlists ---------------------------------------------------------------------------------------------
    def add_watchlist(
        self,
        name: str,
        filters: dict[str, str],
        created: str,
        *,
        webhook_url: str | None = None,
        webhook_secret: str | None = None,
        email: str | None = None,
    ) -> WatchlistRow:
        watch_id = make_id("watchlist", name=name)
        try:
            with self.transaction() as conn:
                conn.execute(
                    "INSERT INTO watchlists(id, name, filters, webhook_url, webhook_secret, email, created)"
                    " VALUES (?,?,?,?,?,?,?)",
                    (watch_id, name, canonical_json(filters), webhook_url, webhook_secret, email, created),
                )
        except sqlite3.IntegrityError as exc:
            raise StoreError(f"a watchlist named {name!r} exists already; remove it first") from exc
        return WatchlistRow(watch_id, name, dict(filters), created, webhook_url, webhook_secret, email)

    def list_watchlists(self) -> list[WatchlistRow]:
        rows = self.conn.execute("SELECT * FROM watchlists ORDER BY name")
        return [_watchlist(r) for r in rows]

    def get_watchlist(self, key: str) -> WatchlistRow | None:
        """A watchlist by id or name."""
        row = self.conn.execute("SELECT * FROM watchlists WHERE id = ? OR name = ?", (key, key)).fetchone()
        return _watchlist(row) if row else None

    def remove_watchlist(self, key: str) -> bool:
        """Remove a watchlist (by id or name) and its alerts."""
        with self.transaction() as conn:
            cur = conn.execute("DELETE FROM watchlists WHERE id = ? OR name = ?", (key, key))
            return cur.rowcount > 0

    # -- alerts -------------------------------------------------------------------------------------------------
    def add_alert(
        self,
        watchlist: WatchlistRow,
        object_type: str,
        object_id: str,
        title: str | None,
        created: str,
        data: dict[str, Any],
    ) -> str | None:
        """Record a match; returns the new alert id, or None when this watchlist already alerted on it."""
        alert_id = make_id("alert", watchlist=watchlist.id, object_type=object_type, object_id=object_id)
        with self.transaction() as conn:
            cur = conn.execute(
                "INSERT OR IGNORE INTO alerts(id, watchlist_id, object_type, object_id, title, created, data,"
                " webhook_status, email_status) VALUES (?,?,?,?,?,?,?,?,?)",
                (
                    alert_id,
                    watchlist.id,
                    object_type,
                    object_id,
                    title,
                    created,
                    canonical_json(data),
                    "pending" if watchlist.webhook_url else None,
                    "pending" if watchlist.email else None,
                ),
            )
        return alert_id if cur.rowcount > 0 else None

    def list_alerts(
        self, watchlist: str | None = None, limit: int = 100, offset: int = 0, *, pending: bool = False
    ) -> list[AlertRow]:
        sql = _ALERT_SELECT
        where: list[str] = []
        args: list[Any] = []
        if watchlist:
            where.append("(w.id = ? OR w.name = ?)")
            args += [watchlist, watchlist]
        if pending:
            where.append("(a.webhook_status = 'pending' OR a.email_status = 'pending')")
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY a.created DESC, a.id LIMIT ? OFFSET ?"
        args += [limit, offset]
        return [_alert(r) for r in self.conn.execute(sql, args)]

    def get_alert(self, alert_id: str) -> AlertRow | None:
        row = self.conn.execute(_ALERT_SELECT + " WHERE a.id = ?", (alert_id,)).fetchone()
        return _alert(row) if row else None

    def update_alert_delivery(
        self, alert_id: str, *, channel: str, status: str, attempts: int, at: str
    ) -> None:
        if channel not in ("webhook", "email"):
            raise ValueError(f"unknown delivery channel {channel!r}")
        column = f"{channel}_status"
        with self.transaction() as conn:
            conn.execute(
                f"UPDATE alerts SET {column} = ?, attempts = attempts + ?,"
                " delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END WHERE id = ?",
                (status, attempts, status, at, alert_id),
            )

    # -- API tokens ---------------------------------------------------------------------------------------------
    def add_token(self, name: str, digest: str, created: str) -> TokenRow:
        token_id = make_id("token", sha256=digest)
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO api_tokens(id, name, sha256, created) VALUES (?,?,?,?)",
                (token_id, name, digest, created),
            )
        return TokenRow(token_id, name, created, None)

    def token_known(self, digest: str, used_at: str | None = None) -> bool:
        row = self.conn.execute("SELECT id FROM api_tokens WHERE sha256 = ?", (digest,)).fetchone()
        if row is None:
            return False
        if used_at:
            with self.transaction() as conn:
                conn.execute("UPDATE api_tokens SET last_used = ? WHERE id = ?", (used_at, row["id"]))
        return True

    def list_tokens(self) -> list[TokenRow]:
        rows = self.conn.execute("SELECT id, name, created, last_used FROM api_tokens ORDER BY created, id")
        return [TokenRow(r["id"], r["name"], r["created"], r["last_used"]) for r in rows]

    def remove_token(self, key: str) -> bool:
        with self.transaction() as conn:
            cur = conn.execute("DELETE FROM api_tokens WHERE id = ? OR name = ?", (key, key))
            return cur.rowcount > 0
