"""Records of the knowledge base: one entry per cluster value, links between entries, ATT&CK techniques.

Entry types (what the scorers and the rest of the pipeline read):

    threat-actor   actors and intrusion sets (threat-actor, mitre-intrusion-set, microsoft-activity-group, 360net)
    malware        malware families, ransomware included; ``category`` keeps the finer kind ("ransomware", "rat",
                   "botnet", ...) so a ransomware family stays recognisable without a type of its own
    tool           dual-use and offensive tools (mitre-tool, tool)
    organization   intelligence agencies and intelligence producers (``category`` "intelligence-agency",
                   "producer": security vendors, CERTs)
    sector         victim sectors
    vulnerability  branded vulnerabilities (Heartbleed)

Entries from different clusters are never merged: they are linked (``same-as`` when the data says they are the
same thing, ``overlaps-with`` when they only share an alias) and the extractor groups by the ``same-as`` family.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["KBEntry", "KBRelation", "TechniqueEntry"]


@dataclass(frozen=True, slots=True)
class KBEntry:
    id: str  # "misp:<cluster>:<uuid>" or "attack:<G/S id>"
    type: str  # threat-actor | malware | tool | organization | sector | vulnerability
    canonical: str
    aliases: tuple[str, ...]  # every other name the source gives, canonical excluded
    sources: tuple[
        str, ...
    ]  # the clusters or bundles the entry came from ("misp:threat-actor", "attack:enterprise")
    category: str | None = None  # finer kind: ransomware, rat, intelligence-agency, ...
    country: str | None = None  # ISO alpha-2 of the (suspected) state sponsor or home country
    external_id: str | None = None  # ATT&CK id (G0007, S0154) when the source has one
    uuid: str | None = None
    related: tuple[str, ...] = ()  # ids of linked entries (see KnowledgeBase.related for the kind of link)

    @property
    def names(self) -> tuple[str, ...]:
        return (self.canonical, *self.aliases)


@dataclass(frozen=True, slots=True)
class KBRelation:
    source: str
    target: str
    type: str  # same-as | overlaps-with | <the galaxy's own relation type: similar, uses, ...>
    reason: str  # what in the data made the link: "shared uuid", "name 'APT28'", "related: similar"


@dataclass(frozen=True, slots=True)
class TechniqueEntry:
    id: str  # T1566 or T1566.001
    name: str  # "Phishing", or "Spearphishing Attachment" for a sub-technique
    parent: str | None = None  # T1566 for T1566.001
    revoked_by: str | None = None  # the replacement technique id when ATT&CK revoked this one
    deprecated: bool = False
    source: str = "misp:mitre-attack-pattern"
    domain: str = "enterprise"  # enterprise | mobile | pre (the packaged cluster mixes the matrices)
    tactics: tuple[str, ...] = ()  # kill-chain phase names: "reconnaissance", "execution", ...
