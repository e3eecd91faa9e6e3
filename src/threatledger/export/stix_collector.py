"""Gathers STIX objects while the exporter walks the ledger, merging the mentions of one object across documents.

An object met in several documents keeps the first value of each property (documents are walked oldest first),
the union of its list properties, the earliest ``created`` and the latest ``modified``; its ``date_added`` is the
earliest fetch time of those documents. Reports get their ``object_refs`` at the end, so objects added late (an
incident's victims) are still listed.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from stix2 import v21
from stix2.v21.base import _Observable

from threatledger.export.stix_vocabulary import (
    EPOCH,
    THREATLEDGER_IDENTITY,
    extension_definitions,
    stix_id,
    threatledger_identity,
)

if TYPE_CHECKING:
    from threatledger.export.stix import StixExport

__all__ = ["Collector"]

_CLASSES: dict[str, Any] = {
    "attack-pattern": v21.AttackPattern,
    "identity": v21.Identity,
    "incident": v21.Incident,
    "indicator": v21.Indicator,
    "intrusion-set": v21.IntrusionSet,
    "location": v21.Location,
    "malware": v21.Malware,
    "note": v21.Note,
    "opinion": v21.Opinion,
    "relationship": v21.Relationship,
    "report": v21.Report,
    "threat-actor": v21.ThreatActor,
    "tool": v21.Tool,
    "vulnerability": v21.Vulnerability,
}
# the order of types in a bundle: what others refer to comes first
_ORDER = {
    name: n
    for n, name in enumerate(
        (
            "extension-definition",
            "identity",
            "location",
            "intrusion-set",
            "threat-actor",
            "malware",
            "tool",
            "attack-pattern",
            "vulnerability",
            "incident",
            "indicator",
            "relationship",
            "opinion",
            "note",
            "report",
        )
    )
}
_IDENTITY_CLASS_RANK = {"organization": 0, "group": 1, "individual": 2, "system": 3, "class": 4, "unknown": 5}


class Collector:
    def __init__(self) -> None:
        self._props: dict[str, dict[str, Any]] = {}
        self._created: dict[str, str] = {}
        self._modified: dict[str, str] = {}
        self._added: dict[str, str] = {}
        self._refs: dict[str, set[str]] = defaultdict(set)
        self._incident_reports: dict[str, set[str]] = defaultdict(set)
        self._observables: dict[str, _Observable] = {}

    # -- adding -----------------------------------------------------------------------------------------------
    def _seen(self, object_id: str, added: str, report: str | None) -> None:
        self._added[object_id] = min(self._added.get(object_id, added), added)
        if report:
            self._refs[report].add(object_id)

    def put(
        self,
        stix_type: str,
        object_id: str,
        props: dict[str, Any],
        when: str,
        added: str,
        report: str | None,
        *,
        exact: tuple[str, str] | None = None,
    ) -> str:
        """Add or merge one SDO/SRO; ``exact`` fixes (created, modified) instead of deriving them."""
        clean = {k: v for k, v in props.items() if v is not None}
        existing = self._props.get(object_id)
        if existing is None:
            self._props[object_id] = {"type": stix_type, **clean}
        else:
            for key, value in clean.items():
                old = existing.get(key)
                if old is None:
                    existing[key] = value
                elif key == "identity_class":
                    existing[key] = min(old, value, key=lambda c: _IDENTITY_CLASS_RANK.get(c, 9))
                elif isinstance(old, list) and key != "object_refs":
                    old.extend(item for item in value if item not in old)
                    if key.endswith("_types") and len(old) > 1 and "unknown" in old:
                        old.remove("unknown")
        if exact is not None:
            self._created[object_id], self._modified[object_id] = exact
        else:
            self._created[object_id] = min(self._created.get(object_id, when), when)
            self._modified[object_id] = max(self._modified.get(object_id, when), when)
        self._seen(object_id, added, report)
        return object_id

    def relate(self, source: str, kind: str, target: str, when: str, added: str, report: str | None) -> str:
        object_id = stix_id("relationship", source=source, type=kind, target=target)
        props = {"relationship_type": kind, "source_ref": source, "target_ref": target}
        return self.put("relationship", object_id, props, when, added, report)

    def observable(self, observable: _Observable, added: str, report: str) -> str:
        """A cyber-observable; its id is the uuid5 STIX itself derives from its contributing properties."""
        object_id: str = observable["id"]
        self._observables.setdefault(object_id, observable)
        self._seen(object_id, added, report)
        return object_id

    def touch(self, object_id: str, added: str, report: str) -> None:
        """Record that ``report`` mentions an object made later (an incident)."""
        self._incident_reports[object_id].add(report)
        self._seen(object_id, added, report)

    # -- reading ----------------------------------------------------------------------------------------------
    def added_of(self, object_id: str) -> str | None:
        return self._added.get(object_id)

    def reports_of(self, object_id: str) -> list[str]:
        return sorted(self._incident_reports.get(object_id, ()))

    def has(self, object_id: str) -> bool:
        return object_id in self._props or object_id in self._observables

    # -- result -----------------------------------------------------------------------------------------------
    def _build(self, object_id: str) -> Any:
        props = dict(self._props[object_id])
        stix_type = props.pop("type")
        if stix_type == "report":
            props["object_refs"] = sorted(r for r in self._refs.get(object_id, ()) if self.has(r)) or [
                THREATLEDGER_IDENTITY
            ]
        props.setdefault("created_by_ref", THREATLEDGER_IDENTITY)
        return _CLASSES[stix_type](
            id=object_id,
            created=self._created[object_id],
            modified=self._modified[object_id],
            **props,
        )

    def finish(self) -> StixExport:
        from threatledger.export.stix import StixExport

        built: list[Any] = [threatledger_identity(), *extension_definitions()]
        added = {o["id"]: EPOCH for o in built}
        built += [self._build(object_id) for object_id in self._props]
        built += list(self._observables.values())
        added |= {k: v for k, v in self._added.items() if self.has(k)}
        objects = [json.loads(o.serialize()) for o in built]
        objects.sort(key=lambda o: (_ORDER.get(o["type"], 50), o["type"], o["id"]))
        return StixExport(tuple(objects), added)
