"""The ledger store: the only code that speaks SQL.

``open_store(settings.db)`` picks the backend from the location: a path or ``sqlite:///PATH`` gives SQLite,
``postgresql://...`` gives PostgreSQL (the ``[postgres]`` extra).
"""

from __future__ import annotations

from pathlib import Path

from threatledger.errors import ConfigError
from threatledger.store.base import DocumentRow, FeedRow, SaveResult, SearchHit, Store
from threatledger.store.sqlite import SQLiteStore

__all__ = ["DocumentRow", "FeedRow", "SQLiteStore", "SaveResult", "SearchHit", "Store", "open_store"]


def open_store(location: str) -> SQLiteStore:
    """Open (and migrate) the ledger at ``location``."""
    if location.startswith(("postgresql://", "postgres://")):
        from threatledger.store.postgres import PostgresStore  # a subclass: the SQLite store is the reference

        return PostgresStore(location)
    if location.startswith("sqlite:///"):
        location = location[len("sqlite:///") :]
    elif location.startswith("sqlite://"):
        raise ConfigError("write SQLite locations as sqlite:///PATH (three slashes)")
    return SQLiteStore(Path(location).expanduser())
