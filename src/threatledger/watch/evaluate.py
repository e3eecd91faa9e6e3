"""Watchlists: saved filters evaluated against what an ingest or feed poll just added.

A watchlist with an incident filter (actor, country, sector, type, stance) alerts on incidents reported by the new
documents; one with only document filters (cve, keyword) alerts on the documents themselves; with both, on the
incidents whose new reports match the document filters. Alerts are deduplicated per watchlist and object.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Mapping
from typing import Any

from threatledger.errors import InputError
from threatledger.pipeline import Clock, system_clock
from threatledger.store import SQLiteStore
from threatledger.store.watch import WatchlistRow

__all__ = [
    "DOCUMENT_KEYS",
    "FILTER_KEYS",
    "INCIDENT_KEYS",
    "create_watchlist",
    "evaluate_watchlists",
    "validate_filters",
]

log = logging.getLogger(__name__)

INCIDENT_KEYS = ("actor", "country", "sector", "type", "stance")
DOCUMENT_KEYS = ("cve", "keyword")
FILTER_KEYS = INCIDENT_KEYS + DOCUMENT_KEYS
STANCES = (
    "asserted",
    "suspected",
    "confirmed",
    "denied",
    "disputed",
    "claimed-responsibility",
    "not-attributed",
)


def validate_filters(filters: Mapping[str, Any]) -> dict[str, str]:
    """Filters as stored: known keys only, non-empty strings, at least one."""
    unknown = sorted(set(filters) - set(FILTER_KEYS))
    if unknown:
        raise InputError(f"unknown watchlist filter(s) {', '.join(unknown)}; valid: {', '.join(FILTER_KEYS)}")
    clean: dict[str, str] = {}
    for key, value in filters.items():
        if value is None or value == "":
            continue
        if not isinstance(value, str):
            raise InputError(f"watchlist filter {key!r} must be a string, not {type(value).__name__}")
        clean[key] = value.strip()
    if not clean:
        raise InputError(f"a watchlist needs at least one filter ({', '.join(FILTER_KEYS)})")
    if "stance" in clean and clean["stance"] not in STANCES:
        raise InputError(f"unknown stance {clean['stance']!r}; valid: {', '.join(STANCES)}")
    if "cve" in clean:
        clean["cve"] = clean["cve"].upper()
    return clean


def create_watchlist(
    store: SQLiteStore,
    name: str,
    filters: Mapping[str, Any],
    *,
    webhook_url: str | None = None,
    email: str | None = None,
    clock: Clock = system_clock,
) -> WatchlistRow:
    """Save a watchlist; a webhook gets a fresh signing secret (returned in the row, shown to the user once)."""
    name = name.strip()
    if not name:
        raise InputError("a watchlist needs a name")
    if webhook_url and not webhook_url.startswith(("http://", "https://")):
        raise InputError(f"webhook {webhook_url!r} must be an http(s) URL")
    if email and "@" not in email:
        raise InputError(f"{email!r} is not an e-mail address")
    secret = secrets.token_hex(24) if webhook_url else None
    return store.add_watchlist(
        name,
        validate_filters(filters),
        clock().isoformat(),
        webhook_url=webhook_url or None,
        webhook_secret=secret,
        email=email or None,
    )


def _incident_filters(filters: Mapping[str, str]) -> dict[str, str]:
    return {k: v for k, v in filters.items() if k in INCIDENT_KEYS}


def _matches(
    store: SQLiteStore, watchlist: WatchlistRow, new_docs: list[str], touched: list[str]
) -> list[tuple[str, str, str | None]]:
    """(object type, object id, title) of everything new that ``watchlist`` matches."""
    filters = watchlist.filters
    docs = new_docs
    if "keyword" in filters or "cve" in filters:
        docs = store.match_documents(new_docs, keyword=filters.get("keyword"), cve=filters.get("cve"))
        if not docs:
            return []
    incident_filters = _incident_filters(filters)
    if not incident_filters:
        found = [(d, store.get_document(d)) for d in docs]
        return [("document", d, document.title if document else None) for d, document in found]
    candidates = set(store.incidents_of_documents(docs)) & set(touched)
    if not candidates:
        return []
    rows = store.incidents(incident_filters, limit=1_000_000)
    return [("incident", r["id"], r["title"]) for r in rows if r["id"] in candidates]


def evaluate_watchlists(
    store: SQLiteStore, since_marker: int | None, *, clock: Clock = system_clock
) -> list[str]:
    """Turn new matches into alerts; returns the ids of the alerts added.

    ``since_marker`` is ``store.change_marker()`` taken before the ingest or poll; None evaluates everything
    (matches already alerted on are skipped).
    """
    new_docs = store.documents_after(since_marker or 0)
    if not new_docs:
        return []
    touched = store.incidents_of_documents(new_docs)
    added: list[str] = []
    now = clock().isoformat()
    for watchlist in store.list_watchlists():
        for object_type, object_id, title in _matches(store, watchlist, new_docs, touched):
            path = f"/{'incidents' if object_type == 'incident' else 'documents'}/{object_id}"
            data = {
                "watchlist": watchlist.name,
                "filters": watchlist.filters,
                "object_type": object_type,
                "object_id": object_id,
                "title": title,
                "path": path,
            }
            alert_id = store.add_alert(watchlist, object_type, object_id, title, now, data)
            if alert_id:
                log.info("alert %s: %s matched %s %s", alert_id, watchlist.name, object_type, object_id)
                added.append(alert_id)
    return added
