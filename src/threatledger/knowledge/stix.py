"""Read a MITRE ATT&CK STIX bundle (enterprise-attack.json): groups, software and techniques."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from threatledger.errors import KnowledgeError
from threatledger.knowledge.entry import KBEntry, TechniqueEntry

__all__ = ["read_attack_bundle"]

log = logging.getLogger(__name__)

_TYPES = {"intrusion-set": "threat-actor", "malware": "malware", "tool": "tool"}


def _attack_id(obj: dict[str, Any]) -> str | None:
    for ref in obj.get("external_references") or []:
        if isinstance(ref, dict) and ref.get("source_name") == "mitre-attack" and ref.get("external_id"):
            return str(ref["external_id"])
    return None


def read_attack_bundle(path: Path, domain: str = "enterprise") -> tuple[list[KBEntry], list[TechniqueEntry]]:
    """Active groups and software as entries ("attack:G0007"), and every technique with its revocation."""
    try:
        bundle = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise KnowledgeError(
            f"cannot read the ATT&CK bundle: {exc}; re-run `threatledger kb update`", locator=str(path)
        ) from exc
    objects = bundle.get("objects") if isinstance(bundle, dict) else None
    if not isinstance(objects, list):
        raise KnowledgeError("not a STIX bundle (no 'objects' list)", locator=str(path))
    by_stix_id: dict[str, str] = {}
    for obj in objects:
        aid = _attack_id(obj) if isinstance(obj, dict) else None
        if aid:
            by_stix_id[str(obj.get("id"))] = aid
    revoked_by: dict[str, str] = {}
    for obj in objects:
        if obj.get("type") == "relationship" and obj.get("relationship_type") == "revoked-by":
            src, dst = by_stix_id.get(str(obj.get("source_ref"))), by_stix_id.get(str(obj.get("target_ref")))
            if src and dst:
                revoked_by[src] = dst
    source = f"attack:{domain}"
    entries: list[KBEntry] = []
    techniques: list[TechniqueEntry] = []
    for obj in objects:
        otype, aid = obj.get("type"), by_stix_id.get(str(obj.get("id")))
        if aid is None:
            continue
        deprecated = bool(obj.get("x_mitre_deprecated"))
        if otype == "attack-pattern" and aid.startswith("T"):
            techniques.append(
                TechniqueEntry(
                    id=aid,
                    name=str(obj.get("name") or aid),
                    parent=aid.split(".")[0] if "." in aid else None,
                    revoked_by=revoked_by.get(aid),
                    deprecated=deprecated,
                    source=source,
                    domain=domain,
                    tactics=tuple(
                        str(k.get("phase_name"))
                        for k in obj.get("kill_chain_phases") or []
                        if isinstance(k, dict)
                    ),
                )
            )
        elif otype in _TYPES and not deprecated and not obj.get("revoked"):
            name = str(obj.get("name") or aid)
            raw_aliases = obj.get("aliases") or obj.get("x_mitre_aliases") or []
            aliases = tuple(dict.fromkeys(a for a in raw_aliases if isinstance(a, str) and a != name))
            entries.append(
                KBEntry(
                    id=f"attack:{aid}",
                    type=_TYPES[str(otype)],
                    canonical=name,
                    aliases=aliases,
                    sources=(source,),
                    category="intrusion-set" if otype == "intrusion-set" else None,
                    external_id=aid,
                )
            )
    log.debug("read %d entries and %d techniques from %s", len(entries), len(techniques), path)
    return entries, techniques
