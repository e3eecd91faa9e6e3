"""Which attribution relations describe an operation: conditionals and habits are not claims about an incident.

"If the attackers are Russian, ..." and "APT29 typically targets diplomats" name an actor with an attack
predicate, but claim nothing about a particular incident; :mod:`threatledger.extract.claims` skips them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from threatledger.extract import cues

if TYPE_CHECKING:
    from spacy.tokens import Token

    from threatledger.extract.attribution import Relation

__all__ = ["is_conditional", "is_habitual"]


def is_conditional(token: Token) -> bool:
    """Whether ``token`` sits in a conditional or hypothetical clause."""
    for node in [token, *token.ancestors]:
        for child in node.children:
            if child.dep_ == "mark" and child.lower_ in cues.CONDITIONAL_MARKS:
                return True
            if child.dep_ == "advcl" and any(
                m.dep_ == "mark" and m.lower_ in {"if", "unless"} for m in child.children
            ):
                return True  # "X could hack the ministry if it wanted to"
    return False


def is_habitual(rel: Relation) -> bool:
    """Habits and capabilities ("tends to use", "typically targets", "is known for") rather than an operation."""
    pred = rel.predicate
    if rel.kind == "nominal" and pred.lemma_ in cues.INVOLVEMENT_NOUNS:
        return False  # "known for its role in the hack": a part in an operation, not a habit
    chain = [pred, *pred.ancestors]
    for node in chain[:3]:
        if node.lemma_ in cues.HABITUAL_VERBS:
            return True
        if node.lemma_ == "know" and any(c.lower_ == "for" for c in node.children):
            return True
        if any(c.lower_ in cues.HABITUAL_ADVERBS for c in node.children if c.dep_ == "advmod"):
            return True
    if rel.kind == "act" and pred.tag_ in {"VBZ", "VBP", "VB"}:
        auxes = [c for c in pred.children if c.dep_ == "aux"]
        if any(a.lower_ in {"can", "could"} for a in auxes) and not any(a.lemma_ == "have" for a in auxes):
            return True  # a capability ("can breach networks within hours"), not an operation
        if all(a.lemma_ == "do" for a in auxes) and (pred.tag_ != "VB" or auxes):
            return True
    return False
