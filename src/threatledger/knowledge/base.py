"""The knowledge base: entries from the galaxies and ATT&CK, alias index with provenance, links, the matcher.

    kb = load_kb(settings)            # cached on disk, keyed by the package versions and the source files
    kb.lookup("Fancy Bear")           # every entry that lists the name, each with its cluster (sources)
    kb.related("misp:threat-actor:…") # same-as / overlaps-with / the galaxy's own relations
    kb.resolve("Fancy Bear")          # the one target the extractor uses: type, canonical, kb_ref, country

Entries are never merged. Two entries are linked ``same-as`` when they share a uuid, when a galaxy relation says
"similar"/"same-as", or when they have the same type and the same canonical name or list each other's canonical name;
entries that merely share an alias are linked ``overlaps-with``. ``same-as`` families choose one representative
(the first cluster in :data:`~threatledger.knowledge.galaxy.CLUSTERS` order), whose canonical name the extractor
reports.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TypeVar, cast

from threatledger.knowledge.countries import country_aliases, country_name
from threatledger.knowledge.entry import KBEntry, KBRelation, TechniqueEntry
from threatledger.knowledge.galaxy import CLUSTERS, GalaxyRelation
from threatledger.knowledge.matcher import AliasMatcher, Pattern, alias_policy, tokens
from threatledger.knowledge.sectors import SECTOR_TERMS

__all__ = ["KnowledgeBase", "Target", "alias_key"]

log = logging.getLogger(__name__)

_SAME_AS_RELATIONS = frozenset({"same-as", "synonym", "synonym-of", "alias-of"})
_PRIORITY = {f"misp:{stem}": n for n, stem in enumerate(CLUSTERS)} | {"attack:enterprise": 1}
_SPACE = re.compile(r"[\s\u00a0]+")
T = TypeVar("T")


def alias_key(name: str) -> str:
    """How names are compared for lookup: NFKC, case-folded, whitespace collapsed, quotes unified."""
    text = unicodedata.normalize("NFKC", name).replace("’", "'").replace("‘", "'")
    return _SPACE.sub(" ", text).strip().casefold()


@dataclass(frozen=True, slots=True)
class Target:
    """What one matched name stands for, as the entity extractor reports it."""

    type: str
    canonical: str
    kb_ref: str
    country: str | None = None


class KnowledgeBase:
    """Read-only after construction; build with :meth:`build` or :func:`threatledger.knowledge.load_kb`."""

    def __init__(
        self,
        entries: dict[str, KBEntry],
        relations: tuple[KBRelation, ...],
        techniques: dict[str, TechniqueEntry],
        family: dict[str, str],
        matcher: AliasMatcher,
        provenance: tuple[str, ...],
    ) -> None:
        self._entries = entries
        self._relations: dict[str, list[KBRelation]] = defaultdict(list)
        for rel in relations:
            self._relations[rel.source].append(rel)
        self._techniques = techniques
        self._family = family
        self.matcher = matcher
        self.provenance = provenance  # what it was built from, for `kb status`
        self._index: dict[str, list[str]] = defaultdict(list)
        for entry in entries.values():
            for name in entry.names:
                ids = self._index[alias_key(name)]
                if entry.id not in ids:
                    ids.append(entry.id)
        self._memo: dict[str, object] = {}
        self._technique_names: dict[str, list[str]] = defaultdict(list)
        for tech in techniques.values():
            self._technique_names[alias_key(tech.name)].append(tech.id)

    # -- entries -------------------------------------------------------------------------------------------
    def __len__(self) -> int:
        return len(self._entries)

    def entries(self) -> Iterable[KBEntry]:
        return self._entries.values()

    def entry(self, entry_id: str) -> KBEntry | None:
        return self._entries.get(entry_id)

    def lookup(self, name: str) -> list[KBEntry]:
        """Every entry listing ``name`` as canonical name or alias, best-ranked first."""
        ids = self._index.get(alias_key(name), [])
        return sorted((self._entries[i] for i in ids), key=self._rank)

    def related(self, entry_id: str) -> tuple[KBRelation, ...]:
        return tuple(self._relations.get(entry_id, ()))

    def representative(self, entry_id: str) -> KBEntry | None:
        """The entry that speaks for the same-as family of ``entry_id``."""
        return self._entries.get(self._family.get(entry_id, entry_id))

    def resolve(self, name: str) -> Target | None:
        """The entity a name stands for: the same-as family listing it most often (cluster priority breaks ties)."""
        target = self.matcher.targets.get(alias_key(name))
        if target is not None:
            return Target(target[0], target[1], target[2], target[3] or None)
        return None

    def target(self, key: str) -> Target:
        payload = self.matcher.targets[key]
        return Target(payload[0], payload[1], payload[2], payload[3] or None)

    def memo(self, key: str, build: Callable[[], T]) -> T:
        """A value derived from this knowledge base, built once (compiled patterns of the extractors)."""
        if key not in self._memo:
            self._memo[key] = build()
        return cast("T", self._memo[key])

    # -- techniques ----------------------------------------------------------------------------------------
    def technique(self, technique_id: str) -> TechniqueEntry | None:
        return self._techniques.get(technique_id.upper())

    def current_technique(self, technique_id: str) -> TechniqueEntry | None:
        """The technique an id stands for today: revocations followed to their replacement."""
        tech = self.technique(technique_id)
        seen: set[str] = set()
        while tech is not None and tech.revoked_by and tech.id not in seen:
            seen.add(tech.id)
            tech = self._techniques.get(tech.revoked_by, tech)
        return tech

    def techniques_named(self, name: str) -> list[TechniqueEntry]:
        return [self._techniques[t] for t in self._technique_names.get(alias_key(name), [])]

    def techniques(self) -> Iterable[TechniqueEntry]:
        return self._techniques.values()

    # -- construction --------------------------------------------------------------------------------------
    def _rank(self, entry: KBEntry) -> tuple[int, str]:
        return (_PRIORITY.get(entry.sources[0], 99), entry.id)

    @classmethod
    def build(
        cls,
        entries: Iterable[KBEntry],
        galaxy_relations: Iterable[GalaxyRelation],
        techniques: Iterable[TechniqueEntry],
        provenance: tuple[str, ...] = (),
    ) -> KnowledgeBase:
        by_id: dict[str, KBEntry] = {}
        for entry in entries:
            by_id.setdefault(entry.id, entry)
        relations = _link(by_id, galaxy_relations)
        linked: dict[str, set[str]] = defaultdict(set)
        for rel in relations:
            linked[rel.source].add(rel.target)
        by_id = {
            i: _with_related(e, tuple(sorted(linked[i]))) if linked.get(i) else e for i, e in by_id.items()
        }
        family = _families(by_id, relations)
        techs = {t.id: t for t in techniques}
        matcher = _compile(by_id, family)
        log.info(
            "knowledge base: %d entries, %d links, %d techniques", len(by_id), len(relations), len(techs)
        )
        return cls(by_id, tuple(relations), techs, family, matcher, provenance)


def _with_related(entry: KBEntry, related: tuple[str, ...]) -> KBEntry:
    return KBEntry(
        id=entry.id, type=entry.type, canonical=entry.canonical, aliases=entry.aliases, sources=entry.sources,
        category=entry.category, country=entry.country, external_id=entry.external_id, uuid=entry.uuid,
        related=related,
    )  # fmt: skip


def _link(entries: dict[str, KBEntry], galaxy_relations: Iterable[GalaxyRelation]) -> list[KBRelation]:
    out: dict[tuple[str, str], KBRelation] = {}

    def add(a: str, b: str, kind: str, reason: str, symmetric: bool = True) -> None:
        if a == b:
            return
        pairs = [(a, b), (b, a)] if symmetric else [(a, b)]
        for s, t in pairs:
            old = out.get((s, t))
            if old is None or (old.type != "same-as" and kind == "same-as"):
                out[(s, t)] = KBRelation(s, t, kind, reason)

    by_uuid: dict[str, list[str]] = defaultdict(list)
    for entry in entries.values():
        if entry.uuid:
            by_uuid[entry.uuid].append(entry.id)
    for ids in by_uuid.values():
        for a in ids:
            for b in ids:
                if a < b and entries[a].type == entries[b].type:
                    add(a, b, "same-as", "shared uuid")
    for rel in galaxy_relations:
        for dest in by_uuid.get(rel.dest_uuid, []):
            same = rel.type in _SAME_AS_RELATIONS and entries[dest].type == entries[rel.source].type
            if same:
                add(rel.source, dest, "same-as", f"related: {rel.type}")
            elif (rel.source, dest) not in out:
                add(rel.source, dest, rel.type, "related", symmetric=False)
    by_name: dict[str, list[str]] = defaultdict(list)
    for entry in entries.values():
        for name in dict.fromkeys(alias_key(n) for n in entry.names):
            by_name[name].append(entry.id)
    for name, ids in by_name.items():
        if len(ids) < 2 or len(ids) > 50:  # a name listed by 50 entries is a word, not an identity
            continue
        for a in ids:
            for b in ids:
                if a >= b:
                    continue
                ea, eb = entries[a], entries[b]
                if ea.type == eb.type and ea.sources != eb.sources and _mutual(ea, eb):
                    add(a, b, "same-as", f"name {name!r}")
                else:
                    add(a, b, "overlaps-with", f"shared alias {name!r}")
    return list(out.values())


def _mutual(a: KBEntry, b: KBEntry) -> bool:
    """Same canonical name, or each lists the other's canonical name: one-way listings chain unrelated actors."""
    ca, cb = alias_key(a.canonical), alias_key(b.canonical)
    if ca == cb:
        return True
    return ca in {alias_key(n) for n in b.aliases} and cb in {alias_key(n) for n in a.aliases}


def _families(entries: dict[str, KBEntry], relations: list[KBRelation]) -> dict[str, str]:
    parent = {i: i for i in entries}

    def find(x: str) -> str:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for rel in relations:
        if rel.type == "same-as" and rel.source in parent and rel.target in parent:
            parent[find(rel.source)] = find(rel.target)
    members: dict[str, list[str]] = defaultdict(list)
    for i in entries:
        members[find(i)].append(i)
    family: dict[str, str] = {}
    for ids in members.values():
        rep = min(ids, key=lambda i: (_PRIORITY.get(entries[i].sources[0], 99), i))
        for i in ids:
            family[i] = rep
    return family


def _compile(entries: dict[str, KBEntry], family: dict[str, str]) -> AliasMatcher:
    """One target per alias: the same-as family whose members list it most often, then by cluster priority."""
    from wordfreq import zipf_frequency

    votes: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    written: dict[str, set[str]] = defaultdict(set)
    for entry in entries.values():
        if entry.type == "sector":
            continue  # sectors are matched from the curated term table
        for name in entry.names:
            key = alias_key(name)
            votes[key][family[entry.id]] += 1
            written[key].add(name.strip())
    country_forms = country_aliases()
    country_keys = {alias_key(f) for f in country_forms}
    family_country: dict[str, str] = {}
    for entry in sorted(entries.values(), key=lambda e: (_PRIORITY.get(e.sources[0], 99), e.id)):
        if entry.country:
            family_country.setdefault(family[entry.id], entry.country)
    targets: dict[str, tuple[str, ...]] = {}
    patterns: list[Pattern] = []
    for key, by_family in votes.items():
        if key in country_keys:
            continue  # "China" as an actor alias would hide the country
        rep_id = min(by_family, key=lambda f: (-by_family[f], _PRIORITY.get(entries[f].sources[0], 99), f))
        rep = entries[rep_id]
        targets[key] = (rep.type, rep.canonical, rep.id, family_country.get(rep_id, ""))
        zipf = zipf_frequency(key, "en")
        for name in sorted(written[key]):  # every spelling the sources use ("Fancy Bear", "FANCY BEAR")
            policy = alias_policy(name, zipf)
            if policy is not None:
                patterns.append(_pattern(name, policy, key, lower_ok=name.islower() or zipf < 1.0))
    for form, code in country_forms.items():
        key = alias_key(form)
        targets[key] = ("country", country_name(code), f"iso:{code}", code)
        patterns.append(_pattern(form, "exact", key))
    for term, canonical in SECTOR_TERMS.items():
        key = alias_key(term)
        targets.setdefault(key, ("sector", canonical, f"sector:{alias_key(canonical)}", ""))
        patterns.append(_pattern(term, "fold", key))
    return AliasMatcher((p for p in patterns if p.tokens), targets)


def _pattern(name: str, policy: str, key: str, lower_ok: bool = True) -> Pattern:
    toks = tuple(t[0] for t in tokens(name))
    return Pattern(tuple(t.casefold() for t in toks), toks, policy, key, lower_ok)
