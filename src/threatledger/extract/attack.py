"""ATT&CK techniques named in text: explicit ids (T1566, T1566.001) and exact technique names.

Ids are resolved to the technique current in the knowledge base (a revoked id is followed to its replacement;
unknown ids are dropped). Names match case-insensitively when they have several words ("Spearphishing
Attachment", "process injection"); one-word names ("PowerShell", "Rundll32") match only as written and only when
the word is not common English (wordfreq Zipf < 3). Reconnaissance and resource-development sub-techniques,
named after an asset ("IP Addresses", "Domains"), match only as ATT&CK writes them. Enterprise techniques win over mobile ones of
the same name.

Given a :class:`~threatledger.extract.attack_model.TechniqueModel`, techniques described in prose are added too:
each sentence the model scores above its threshold yields the technique with the sentence as its span, unless the
sentence already names that technique explicitly.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from threatledger.model import Technique

if TYPE_CHECKING:
    from threatledger.extract.attack_model import TechniqueModel
    from threatledger.knowledge.base import KnowledgeBase
    from threatledger.knowledge.entry import TechniqueEntry

__all__ = ["NAME", "VERSION", "extract_techniques"]

NAME = "attack"
VERSION = "1"

_ID = re.compile(r"(?<![\w.])T\d{4}(?:\.\d{3})?(?![\w])")
_COMMON_ZIPF = 3.0
_MIN_ONE_WORD = 4
_PRE_COMPROMISE = frozenset({"reconnaissance", "resource-development"})


def extract_techniques(
    text: str, kb: KnowledgeBase, model: TechniqueModel | None = None
) -> tuple[Technique, ...]:
    """Explicit ids and names, and (with ``model``) techniques of the sentences it recognises."""
    found: dict[tuple[str, int, int], Technique] = {}
    for m in _ID.finditer(text):
        tech = kb.current_technique(m.group())
        if tech is not None:
            found[(tech.id, m.start(), m.end())] = Technique(
                tech.id, tech.name, m.start(), m.end(), m.group()
            )
    taken = [(t.start, t.end) for t in found.values()]
    for pattern, flags_ci in kb.memo(f"{NAME}/{VERSION}", lambda: _name_patterns(kb)):
        for m in pattern.finditer(text):
            if any(m.start() < e and s < m.end() for s, e in taken):
                continue
            tech = _best(kb, m.group())
            if tech is None or (not flags_ci and m.group() != tech.name):
                continue
            found[(tech.id, m.start(), m.end())] = Technique(
                tech.id, tech.name, m.start(), m.end(), m.group()
            )
            taken.append((m.start(), m.end()))
    if model is not None:
        explicit = list(found.values())
        for hit in model.predict(text):
            tech = kb.current_technique(hit.id)
            if tech is None or tech.deprecated:
                continue
            if any(t.id == tech.id and hit.start <= t.start and t.end <= hit.end for t in explicit):
                continue
            found[(tech.id, hit.start, hit.end)] = Technique(
                tech.id, tech.name, hit.start, hit.end, text[hit.start : hit.end]
            )
    return tuple(sorted(found.values(), key=lambda t: (t.start, t.id)))


def _best(kb: KnowledgeBase, name: str) -> TechniqueEntry | None:
    """The current technique for a name: revocations followed, sub-technique names preferred to none."""
    candidates = []
    for tech in kb.techniques_named(name):
        current = kb.current_technique(tech.id)
        if current is not None and not current.deprecated:
            candidates.append(current)
    if not candidates:
        return None
    return min(candidates, key=lambda t: (t.domain != "enterprise", len(t.id), t.id))


def _name_patterns(kb: KnowledgeBase) -> list[tuple[re.Pattern[str], bool]]:
    """Two alternations, longest names first: case-insensitive names, and names matched only as written."""
    from wordfreq import zipf_frequency

    multi: set[str] = set()
    single: set[str] = set()
    for tech in kb.techniques():
        if tech.deprecated or tech.revoked_by:
            continue
        name = tech.name.strip()
        if " " in name:
            # pre-compromise sub-techniques are named after the asset gathered ("IP Addresses", "Domains"):
            # those phrases mean the technique only as ATT&CK writes them
            asset = tech.parent is not None and set(tech.tactics) <= _PRE_COMPROMISE
            (single if asset else multi).add(name)
        elif len(name) >= _MIN_ONE_WORD and zipf_frequency(name, "en") < _COMMON_ZIPF:
            single.add(name)
    out: list[tuple[re.Pattern[str], bool]] = []
    for names, ci in ((multi, True), (single, False)):
        if names:
            alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
            flags = re.IGNORECASE if ci else 0
            out.append((re.compile(rf"(?<![\w-])(?:{alternation})(?![\w-])", flags), ci))
    return out
