"""Victim sectors: the words news and reports use, mapped to the MISP sector cluster's names.

A word that is also an ordinary adjective or noun ("government", "financial", "energy", "defense") counts as a
sector only with a head noun after it ("government agencies", "energy sector", "financial institutions"); words
that name nothing but a sector ("healthcare", "banking", "aerospace") count alone.
"""

from __future__ import annotations

__all__ = ["HEAD_NOUNS", "SECTOR_TERMS"]

# term -> canonical sector (the MISP sector cluster's value)
_STANDALONE: dict[str, str] = {
    "healthcare": "Health",
    "health care": "Health",
    "hospitals": "Health",
    "banking": "Finance",
    "banks": "Finance",
    "financial institutions": "Finance",
    "financial services": "Finance",
    "aerospace": "Aerospace",
    "e-commerce": "eCommerce",
    "ecommerce": "eCommerce",
    "manufacturing": "Manufacturing",
    "telecommunications": "Telecoms",
    "telecoms": "Telecoms",
    "pharmaceutical": "Pharmacy",
    "pharmaceuticals": "Pharmacy",
    "petrochemical": "Petrochemical",
    "oil and gas": "Oil",
    "critical infrastructure": "Infrastructure",
    "defense industrial base": "Defense",
    "think tanks": "Think Tanks",
    "academia": "Academia - University",
    "universities": "Academia - University",
    "hospitality": "Hospitality",
    "insurance": "Insurance",
    "utilities": "Energy",
    "public utilities": "Energy",
    "law enforcement": "Police - Law enforcement",
    "automotive": "Automotive",
    "semiconductor": "Semi-conductors",
    "non-profit organizations": "Non-profit organisation",
    "ngos": "NGO",
    "fintech": "Finance",
    "cryptocurrency exchanges": "Finance",
    "logistics": "Logistic",
    "maritime": "Maritime",
}
# words that are a sector only before a head noun
_QUALIFIED: dict[str, str] = {
    "government": "Government, Administration",
    "governmental": "Government, Administration",
    "public": "Government, Administration",
    "financial": "Finance",
    "finance": "Finance",
    "energy": "Energy",
    "defense": "Defense",
    "defence": "Defense",
    "military": "Military",
    "technology": "Technology",
    "tech": "Technology",
    "education": "Education",
    "educational": "Education",
    "media": "News - Media",
    "news": "News - Media",
    "retail": "Retail",
    "gaming": "Game",
    "game": "Game",
    "video game": "Game",
    "transportation": "Transport",
    "transport": "Transport",
    "shipping": "Shipping",
    "chemical": "Chemical",
    "construction": "Construction",
    "legal": "Legal",
    "mining": "Mining",
    "agriculture": "Agriculture",
    "agricultural": "Agriculture",
    "diplomatic": "Diplomacy",
    "research": "Research - Innovation",
    "industrial": "Industrial",
    "engineering": "Engineering",
    "health": "Health",
    "medical": "Health",
    "aviation": "Civil Aviation",
    "airline": "Civil Aviation",
    "water": "Water",
    "electric": "Electric",
    "electricity": "Electric",
    "nuclear": "Energy",
    "oil": "Oil",
    "gas": "Gas",
    "entertainment": "Entertainment",
    "travel": "Travel",
    "hotel": "Hotels",
    "telecom": "Telecoms",
    "it": "IT",
    "software": "Technology",
    "security": "IT - Security",
    "payment": "Payment",
    "crypto": "Finance",
    "cryptocurrency": "Finance",
    "investment": "Investment",
    "accounting": "Accounting",
    "consulting": "Consulting",
    "marketing": "Marketing",
}
HEAD_NOUNS: tuple[str, ...] = (
    "sector",
    "sectors",
    "industry",
    "industries",
    "organizations",
    "organisations",
    "institutions",
    "companies",
    "firms",
    "entities",
    "agencies",
    "bodies",
    "providers",
    "operators",
    "vertical",
    "verticals",
)


def _terms() -> dict[str, str]:
    terms = dict(_STANDALONE)
    for word, canonical in {**_STANDALONE, **_QUALIFIED}.items():
        for head in HEAD_NOUNS:
            terms.setdefault(f"{word} {head}", canonical)
    return terms


SECTOR_TERMS: dict[str, str] = _terms()
