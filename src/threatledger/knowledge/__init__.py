"""Knowledge: threat actors, malware, tools, ATT&CK techniques, sectors, countries and benign lists.

    from threatledger.knowledge import load_kb, country_code
    kb = load_kb(settings)            # galaxies + ATT&CK, cached on disk
    kb.lookup("Fancy Bear")           # -> [KBEntry, ...] with the clusters each came from

Nothing is read at import time.
"""

from __future__ import annotations

from threatledger.knowledge.base import KnowledgeBase, Target, alias_key
from threatledger.knowledge.countries import country_code, country_name
from threatledger.knowledge.entry import KBEntry, KBRelation, TechniqueEntry
from threatledger.knowledge.loader import VERSION, build_kb, load_kb

__all__ = [
    "VERSION",
    "KBEntry",
    "KBRelation",
    "KnowledgeBase",
    "Target",
    "TechniqueEntry",
    "alias_key",
    "build_kb",
    "country_code",
    "country_name",
    "load_kb",
]
