"""How the entity extractor reconciles knowledge-base, cyber-model and spaCy spans: :class:`MergeRules`, every rule
off by default, and :data:`RULES`, the set the extractor uses (chosen by cross-validation on AnnoCTR train,
``training/ner/merge_cv.py``; docs/quality-ner.md)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["RULES", "MergeRules"]


@dataclass(frozen=True, slots=True)
class MergeRules:
    """How knowledge-base and cyber-model spans are reconciled (only when model spans are given).

    Every rule is off by default; :data:`RULES`, the set the extractor uses, was chosen by 5-fold
    cross-validation on AnnoCTR train (``training/ner/merge_cv.py``; docs/quality-ner.md), each report judged
    with a model trained without it.
    """

    # the model's MALWARE/TOOL label replaces the knowledge base's malware/tool type on a span both found
    model_type: bool = False
    # which types' knowledge-base spans give way to an overlapping model span of a cyber type with other bounds:
    # "never", "longer" (the model span contains the knowledge-base one), "shorter" (inside it), "always"
    model_bounds: str = "never"
    bounds_types: frozenset[str] = frozenset({"malware", "tool", "threat-actor"})
    # matcher policies (threatledger.knowledge.matcher) of malware/tool names kept only where the model tags an
    # overlapping cyber span: "exact" names are also English words, "cued" ones common words
    confirm: frozenset[str] = frozenset()
    # a model malware/tool span the knowledge base does not know is dropped when its text is an English word this
    # common (wordfreq Zipf; 0: never), when spaCy calls it a person, or when it is not name-shaped
    new_zipf: float = 0.0
    new_person: int = 0  # the fewest words a span spaCy calls a person must have to be dropped (0: never)
    new_shape: bool = False
    # every mention of a name takes the cyber type (malware/tool/threat-actor) the model gives most of its mentions
    vote: bool = False
    # a name the model tags as a cyber type somewhere is tagged at its other (same-case) mentions too
    propagate: bool = False
    # type words cut from the end of a malware span ("Epsilon ransomware" -> "Epsilon"), from either source
    trim: frozenset[str] = frozenset()
    # a model organisation span that starts with a country keeps its span but is named without it, with the
    # country as its own ("U.S. National Security Agency": "National Security Agency", US)
    org_country_prefix: bool = False
    # a spaCy organisation named by a place and an organisation word, around a shorter model place span (or a
    # sector span), is kept and the place dropped ("the Washington Post" over the location "Washington", "the
    # Financial Times" over the sector); otherwise organisations come from the model alone
    org_over_place: bool = False
    # spaCy organisations that no other source's span overlaps are kept too: "free" any, "named" those ending in
    # an organisation word ("Cabinet Office", "Sky News"); "never" leaves organisations to the model
    spacy_orgs: str = "never"


# model_type and confirm={"exact"} also won in cross-validation (+0.010 MALWARE F1) but lost with the model trained
# on all of train on its held-out slice (training/ner/heldout_rules.py), so they stay off
RULES = MergeRules(
    new_zipf=4.0,
    new_person=2,  # not 1: spaCy calls many one-word unknown names persons (1 was only 0.004 better in CV)
    trim=frozenset({"ransomware", "malware", "backdoor", "trojan", "botnet", "variant"}),
    # neutral in cross-validation (every AnnoCTR figure unchanged); they name news organisations right
    org_country_prefix=True,
    org_over_place=True,
    # about neutral in cross-validation (ORG 0.787 -> 0.783); names the organisations news articles cite that the
    # threat-report model misses ("Japan's Cabinet Office", "Sky News"); docs/quality-ner.md
    spacy_orgs="named",
)
