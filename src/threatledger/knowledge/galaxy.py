"""Read MISP galaxy cluster files (the folder pymispgalaxies ships, or a plain misp-galaxy ``clusters/`` checkout).

Each cluster value becomes one :class:`KBEntry`; ``mitre-attack-pattern`` values become :class:`TechniqueEntry`
records with revocations resolved from the cluster's ``revoked-by`` relations.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threatledger.errors import KnowledgeError
from threatledger.knowledge.countries import country_code
from threatledger.knowledge.entry import KBEntry, TechniqueEntry

__all__ = ["CLUSTERS", "GalaxyRelation", "packaged_clusters_dir", "read_clusters", "read_techniques"]

log = logging.getLogger(__name__)

# cluster file stem -> (entry type, category). Order is priority: the first cluster naming a thing gives the
# representative of its same-as family (curated actor clusters before vendor lists, ATT&CK before catch-alls).
CLUSTERS: dict[str, tuple[str, str | None]] = {
    "threat-actor": ("threat-actor", None),
    "mitre-intrusion-set": ("threat-actor", "intrusion-set"),
    "microsoft-activity-group": ("threat-actor", "microsoft-activity-group"),
    "360net": ("threat-actor", "360net"),
    "mitre-malware": ("malware", None),
    "malpedia": ("malware", None),
    "ransomware": ("malware", "ransomware"),
    "rat": ("malware", "rat"),
    "backdoor": ("malware", "backdoor"),
    "stealer": ("malware", "stealer"),
    "banker": ("malware", "banker"),
    "botnet": ("malware", "botnet"),
    "wiper": ("malware", "wiper"),
    "android": ("malware", "android"),
    "cryptominers": ("malware", "cryptominer"),
    "exploit-kit": ("tool", "exploit-kit"),
    "mitre-tool": ("tool", None),
    "tool": ("tool", None),
    "intelligence-agencies": ("organization", "intelligence-agency"),
    "producer": ("organization", "producer"),
    "sector": ("sector", None),
    "branded_vulnerability": ("vulnerability", None),
}
TECHNIQUE_CLUSTER = "mitre-attack-pattern"
_ATTACK_SUFFIX = re.compile(r"\s+-\s+([GSTC]\d{4}(?:\.\d{3})?)\s*$")
_DEPRECATED = re.compile(r"^\s*(?:\(?deprecated\b|this object is deprecated)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class GalaxyRelation:
    """A relation a cluster value declares towards another uuid (``related`` in the galaxy format)."""

    source: str  # entry id
    dest_uuid: str
    type: str


def packaged_clusters_dir() -> Path:
    """The clusters folder inside the installed pymispgalaxies package."""
    import importlib.util

    spec = importlib.util.find_spec("pymispgalaxies")  # no import: the package's import is slow
    if spec is None or spec.origin is None:
        raise KnowledgeError("pymispgalaxies is not installed; run `pip install pymispgalaxies`")
    return Path(spec.origin).resolve().parent / "data" / "misp-galaxy" / "clusters"


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KnowledgeError(
            f"cannot read galaxy cluster file: {exc}; re-run `threatledger kb update` or delete the file",
            locator=str(path),
        ) from exc
    if not isinstance(data, dict) or not isinstance(data.get("values"), list):
        raise KnowledgeError(
            "not a MISP galaxy cluster file (no 'values' list); remove it from the knowledge folder",
            locator=str(path),
        )
    return data


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [v for v in value if isinstance(v, str)]
    return []


def _country(meta: dict[str, Any]) -> str | None:
    for raw in _strings(meta.get("country")) + _strings(meta.get("cfr-suspected-state-sponsor")):
        raw = raw.strip()
        if len(raw) == 2 and raw.isalpha():
            return raw.upper()
        code = country_code(raw)
        if code:
            return code
    return None


def read_clusters(folder: Path) -> tuple[list[KBEntry], list[GalaxyRelation]]:
    """Entries and declared relations of the known clusters present in ``folder`` (others are ignored)."""
    if not folder.is_dir():
        raise KnowledgeError(
            "galaxy clusters folder not found; run `threatledger kb update` or reinstall pymispgalaxies",
            locator=str(folder),
        )
    entries: list[KBEntry] = []
    relations: list[GalaxyRelation] = []
    for stem, (etype, category) in CLUSTERS.items():
        path = folder / f"{stem}.json"
        if not path.is_file():
            log.debug("cluster %s absent from %s", stem, folder)
            continue
        for entry, rels in _cluster_entries(_read_json(path), stem, etype, category, path):
            entries.append(entry)
            relations.extend(rels)
    return entries, relations


def _cluster_entries(
    data: dict[str, Any], stem: str, etype: str, category: str | None, path: Path
) -> Iterator[tuple[KBEntry, list[GalaxyRelation]]]:
    for value in data["values"]:
        name = value.get("value")
        uuid = value.get("uuid")
        if not isinstance(name, str) or not isinstance(uuid, str):
            log.warning("%s: skipping a value without name or uuid", path)
            continue
        meta = value.get("meta") if isinstance(value.get("meta"), dict) else {}
        external_id = meta.get("external_id") if isinstance(meta.get("external_id"), str) else None
        suffix = _ATTACK_SUFFIX.search(name)
        if suffix:
            name = name[: suffix.start()]
            external_id = external_id or suffix.group(1)
        name = name.strip()
        aliases: list[str] = []
        for alias in _strings(meta.get("synonyms")):
            alias = _ATTACK_SUFFIX.sub("", alias).strip()
            if alias and alias != name and alias not in aliases:
                aliases.append(alias)
        entry_id = f"misp:{stem}:{uuid}"
        rels = [
            GalaxyRelation(entry_id, rel["dest-uuid"], str(rel.get("type") or "related-to"))
            for rel in value.get("related") or []
            if isinstance(rel, dict) and isinstance(rel.get("dest-uuid"), str)
        ]
        yield (
            KBEntry(
                id=entry_id,
                type=etype,
                canonical=name,
                aliases=tuple(aliases),
                sources=(f"misp:{stem}",),
                category=category,
                country=_country(meta),
                external_id=external_id,
                uuid=uuid,
            ),
            rels,
        )


def read_techniques(folder: Path) -> list[TechniqueEntry]:
    """ATT&CK techniques from ``mitre-attack-pattern.json`` (empty when the folder lacks it)."""
    path = folder / f"{TECHNIQUE_CLUSTER}.json"
    if not path.is_file():
        return []
    values = _read_json(path)["values"]
    by_uuid: dict[str, str] = {}
    for value in values:
        meta = value.get("meta") or {}
        tid = meta.get("external_id")
        if isinstance(tid, str) and tid.startswith("T"):
            by_uuid[str(value.get("uuid"))] = tid
    out: list[TechniqueEntry] = []
    for value in values:
        tid = by_uuid.get(str(value.get("uuid")))
        if tid is None:
            continue
        name = _ATTACK_SUFFIX.sub("", str(value.get("value") or "")).strip()
        revoked_by = None
        for rel in value.get("related") or []:
            if rel.get("type") == "revoked-by":
                revoked_by = by_uuid.get(str(rel.get("dest-uuid")))
        out.append(
            TechniqueEntry(
                id=tid,
                name=name,
                parent=tid.split(".")[0] if "." in tid else None,
                revoked_by=revoked_by,
                deprecated=bool(_DEPRECATED.match(str(value.get("description") or ""))),
                source=f"misp:{TECHNIQUE_CLUSTER}",
                domain=_domain(value.get("meta") or {}),
                tactics=tuple(
                    dict.fromkeys(
                        p.split(":")[-1] for p in _strings((value.get("meta") or {}).get("kill_chain"))
                    )
                ),
            )
        )
    return out


def _domain(meta: dict[str, Any]) -> str:
    phases = [p.split(":")[0] for p in _strings(meta.get("kill_chain"))]
    if phases and all(p.startswith("mobile-attack") for p in phases):
        return "mobile"
    if phases and all(p == "pre-attack" for p in phases):
        return "pre"
    return "enterprise"
