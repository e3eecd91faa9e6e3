"""What the TAXII server serves: three read-only collections over the ledger's STIX export, and the paging.

    all         every object of the STIX export
    incidents   incidents, reports, actors, victims, techniques, claims (opinions and notes): no indicators
    indicators  indicators, the observables they are based on, and the relationships from them

Every object's ``date_added`` is the fetch time of the first document it came from, so it does not move when
the server restarts, and ``added_after`` returns what the ledger learnt since a client last asked. Objects are
ordered by (date_added, id); the ``next`` token is the position of the last object of a page, so paging stays
correct while new documents arrive.
"""

from __future__ import annotations

import base64
import binascii
import json
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from threatledger.export.stix_vocabulary import THREATLEDGER_IDENTITY, stamp
from threatledger.ids import NAMESPACE
from threatledger.store import SQLiteStore

__all__ = [
    "COLLECTIONS",
    "STIX_MEDIA_TYPE",
    "TAXII_MEDIA_TYPE",
    "Collection",
    "Entry",
    "ObjectSource",
    "Query",
    "decode_next",
    "select",
]

TAXII_MEDIA_TYPE = "application/taxii+json;version=2.1"
STIX_MEDIA_TYPE = "application/stix+json;version=2.1"
_SCO = frozenset(
    {
        "artifact", "autonomous-system", "directory", "domain-name", "email-addr", "email-message", "file",
        "ipv4-addr", "ipv6-addr", "mac-addr", "mutex", "network-traffic", "process", "software", "url",
        "user-account", "windows-registry-key", "x509-certificate",
    }
)  # fmt: skip


def _indicator_side(obj: dict[str, Any]) -> bool:
    kind = obj["type"]
    if kind == "relationship":
        return str(obj["source_ref"]).startswith("indicator--")
    return kind == "indicator" or kind in _SCO


@dataclass(frozen=True, slots=True)
class Collection:
    alias: str
    title: str
    description: str
    holds: Callable[[dict[str, Any]], bool]

    @property
    def id(self) -> str:
        return str(uuid.uuid5(NAMESPACE, f"taxii-collection:{self.alias}"))

    def resource(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "alias": self.alias,
            "title": self.title,
            "description": self.description,
            "can_read": True,
            "can_write": False,
            "media_types": [STIX_MEDIA_TYPE],
        }


def _shared(obj: dict[str, Any]) -> bool:
    """The threatledger identity and extension definitions: every collection needs them to resolve refs."""
    return bool(obj["id"] == THREATLEDGER_IDENTITY or obj["type"] == "extension-definition")


COLLECTIONS: tuple[Collection, ...] = (
    Collection("all", "All", "Every object of the ledger's STIX 2.1 export.", lambda o: True),
    Collection(
        "incidents",
        "Incidents",
        "Incidents with their timeline, source reports, victims, actors, techniques, and attribution claims as "
        "opinions and notes. No indicators.",
        lambda o: _shared(o) or not _indicator_side(o),
    ),
    Collection(
        "indicators",
        "Indicators",
        "Indicators with STIX patterns, the observables they are based on, and what they indicate. Values on "
        "warning lists (benign) are not included.",
        lambda o: _shared(o) or _indicator_side(o),
    ),
)


@dataclass(frozen=True, slots=True)
class Entry:
    """One object as a collection holds it."""

    id: str
    date_added: str
    version: str
    obj: dict[str, Any]

    @property
    def key(self) -> tuple[str, str]:
        return (self.date_added, self.id)

    def manifest(self) -> dict[str, str]:
        return {
            "id": self.id,
            "date_added": self.date_added,
            "version": self.version,
            "media_type": STIX_MEDIA_TYPE,
        }


class ObjectSource:
    """The collections' entries, rebuilt from the ledger only when the ledger has changed."""

    def __init__(self, store_factory: Callable[[], SQLiteStore]) -> None:
        self._store_factory = store_factory
        self._lock = threading.Lock()
        self._marker: tuple[Any, ...] | None = None
        self._entries: dict[str, list[Entry]] = {}

    @staticmethod
    def _marker_of(store: SQLiteStore) -> tuple[Any, ...]:
        ops = store.incident_ops()
        return (store.change_marker(), len(ops), sum(1 for op in ops if op.get("undone_at")))

    def entries(self, store: SQLiteStore, collection: Collection) -> list[Entry]:
        from threatledger.export.stix import collect_stix

        with self._lock:
            marker = self._marker_of(store)
            if marker != self._marker:
                export = collect_stix(store)
                every = [
                    Entry(
                        o["id"],
                        export.date_added[o["id"]],
                        str(o.get("modified") or o.get("created") or export.date_added[o["id"]]),
                        o,
                    )
                    for o in export.objects
                ]
                every.sort(key=lambda e: e.key)
                self._entries = {c.alias: [e for e in every if c.holds(e.obj)] for c in COLLECTIONS}
                self._marker = marker
            return self._entries[collection.alias]


def encode_next(entry: Entry) -> str:
    return base64.urlsafe_b64encode(json.dumps(list(entry.key)).encode("utf-8")).decode("ascii").rstrip("=")


def decode_next(token: str) -> tuple[str, str]:
    """The position a ``next`` token stands for; ValueError when it is not one of ours."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValueError(f"not a next token: {token!r}") from exc
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise ValueError(f"not a next token: {token!r}")
    return value[0], value[1]


@dataclass(frozen=True, slots=True)
class Query:
    """The filters of a TAXII request (section 3.4 of TAXII 2.1)."""

    added_after: str | None = None
    ids: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    versions: frozenset[str] = frozenset()  # "last", "first", "all" or timestamps; empty: "last"
    spec_versions: frozenset[str] = frozenset()
    limit: int = 100
    after: tuple[str, str] | None = None  # from ``next``

    @classmethod
    def parse(cls, params: dict[str, str], max_limit: int) -> Query:
        """Filters from query parameters; ValueError names the bad one."""

        def listed(name: str) -> frozenset[str]:
            return frozenset(v.strip() for v in params.get(name, "").split(",") if v.strip())

        added_after = None
        if params.get("added_after"):
            added_after = stamp(params["added_after"], fallback="")
            if not added_after:
                raise ValueError(f"added_after is not a timestamp: {params['added_after']!r}")
        limit = max_limit
        if params.get("limit"):
            try:
                limit = int(params["limit"])
            except ValueError as exc:
                raise ValueError(f"limit is not a number: {params['limit']!r}") from exc
            if limit < 1:
                raise ValueError("limit must be at least 1")
            limit = min(limit, max_limit)
        after = decode_next(params["next"]) if params.get("next") else None
        return cls(
            added_after=added_after,
            ids=listed("match[id]"),
            types=listed("match[type]"),
            versions=listed("match[version]"),
            spec_versions=listed("match[spec_version]"),
            limit=limit,
            after=after,
        )

    def matches(self, entry: Entry) -> bool:
        if self.added_after and entry.date_added <= self.added_after:
            return False
        if self.after and entry.key <= self.after:
            return False
        if self.ids and entry.id not in self.ids:
            return False
        if self.types and entry.obj["type"] not in self.types:
            return False
        if self.spec_versions and entry.obj.get("spec_version", "2.1") not in self.spec_versions:
            return False
        specific = self.versions - {"last", "first", "all"}
        # the ledger holds one version of each object, so it is the first, the last and all of them
        return not (specific and self.versions <= specific and entry.version not in specific)


def select(entries: Sequence[Entry], query: Query) -> tuple[list[Entry], bool]:
    """One page of the entries the query matches, and whether more follow."""
    page: list[Entry] = []
    for entry in entries:
        if query.matches(entry):
            if len(page) == query.limit:
                return page, True
            page.append(entry)
    return page, False
