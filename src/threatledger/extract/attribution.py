"""Dependency-parse rules that tie an actor mention to an attribution predicate, a stance and a claimant.

The rules read one spaCy sentence. A *relation* is the predicate that holds the actor responsible ("X hacked",
"carried out by X", "attributed to X", "X was behind", "X claimed responsibility", "X denied involvement"); the
*scope* is the chain of heads from the actor up to the claimant's speech-act verb, where hedges, negations and
disputes are read; the *claimant* is the subject of that verb (or "according to X", or the outlet behind a
report). Reduced relative clauses on a noun ("the hacks attributed to X") are presupposed by the sentence's
author, so their claimant is the article itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from threatledger.extract import cues
from threatledger.extract.cues import words

if TYPE_CHECKING:
    from spacy.tokens import Span as SpacySpan
    from spacy.tokens import Token

__all__ = [
    "Relation",
    "according_to",
    "cited_sources",
    "claimant_of",
    "is_outlet",
    "is_parenthetical",
    "not_attributed",
    "phrase",
    "position",
    "relations",
    "stance_of",
]

_SUBJ = words("nsubj nsubjpass csubj")
_NOUNS = words("NOUN PROPN PRON")
_VERBS = words("VERB AUX")
_NAME_DEPS = words("pobj oprd attr dobj appos")
_BEHIND_NOUNS = words(
    "culprit culprits perpetrator perpetrators author authors mastermind origin origins work"
)
_AGENTIVE = cues.ATTACK_VERBS | words("sponsor steer back direct order fund")
_CLAIM_VERBS = words("claim admit boast brag take accept")
_REPORTING = (
    cues.SPEECH_VERBS | cues.BELIEF_VERBS | cues.ATTRIBUTION_VERBS | cues.LINK_VERBS | cues.DENIAL_VERBS
) | cues.DISPUTE_VERBS
_ANON_SOURCES = words(
    "source sources expert experts official officials people person insider insiders analyst"
)
_NOMINAL_HEADS = cues.INVOLVEMENT_NOUNS | words("meddling interference use origin origins")
_REFLEXIVES = words("themselves itself himself herself")
_PART_NOUNS = words("segment part member members faction branch unit wing subgroup arm")
_TRY_VERBS = words("attempt try manage seek begin continue start plan")
_OWN_CLAIM_VERBS = words("say claim state announce post tweet write boast brag admit declare tell")
_FUTURE = words("will would 'll shall")
_WH = words("which that who whose")
# Verbs whose subject "it" is an organisation speaking ("It said the attack ..."), not an expletive.
_IT_SPEAKS = words("say tell state announce write report add deny confirm blame accuse attribute claim")


@dataclass(frozen=True, slots=True)
class Relation:
    """How an actor is held responsible: the predicate token and the kind of link."""

    kind: str  # act | behind | agent | attributed | accused | nominal | claims | deny | according
    predicate: Token


def phrase(token: Token) -> tuple[int, int]:
    """Token range [first, last] of the noun phrase headed by ``token`` (left modifiers, "of" complements)."""
    first = token.i
    for child in token.lefts:
        if child.dep_ in {"det", "amod", "compound", "nmod", "poss", "nummod", "npadvmod", "quantmod"}:
            first = min(first, child.left_edge.i)
    last = token.i
    for child in token.rights:
        if child.dep_ == "prep" and child.lower_ == "of" and token.pos_ == "PROPN":
            last = max(last, child.right_edge.i)
        elif child.dep_ in {"compound", "flat"}:
            last = max(last, child.i)
    return first, last


def position(token: Token) -> Token:
    """The token whose syntactic role counts for ``token``: through appositions, conjunctions and naming clauses."""
    current = token
    for _ in range(6):
        head = current.head
        if current.dep_ in {"appos", "conj"} and head.pos_ in _NOUNS and head.i != current.i:
            current = head
            continue
        if current.dep_ == "pobj" and head.lower_ == "of" and head.head.lemma_ in _PART_NOUNS:
            current = head.head  # "a segment of the Lazarus group"
            continue
        naming = _naming_clause(current)
        if naming is not None:
            current = naming.head
            continue
        break
    return current


def _naming_clause(token: Token) -> Token | None:
    """The naming verb ("known as", "dubbed", "go by the name") whose clause introduces ``token``."""
    if token.dep_ not in _NAME_DEPS:
        return None
    node = token
    for _ in range(4):
        node = node.head
        if (
            node.lemma_ in cues.NAMING_VERBS
            and node.dep_ in {"acl", "relcl"}
            and (node.head.lower_ in cues.GROUP_HEADS or node.head.pos_ == "PROPN")
        ):
            return node
        if node.dep_ == "ROOT":
            return None
    return None


def _subject(verb: Token) -> Token | None:
    """The subject of ``verb``, inherited through conjoined verbs and skipping copular clause heads."""
    node = verb
    for _ in range(4):
        for child in node.children:
            if child.dep_ in {"nsubj", "csubj"}:
                return child
            if child.dep_ == "agent":
                for obj in child.children:
                    if obj.dep_ == "pobj":
                        return obj
        if node.dep_ == "conj" or (node.dep_ == "ccomp" and node.lemma_ == "be" and node is not verb):
            node = node.head
            while node.dep_ == "ccomp" and node.lemma_ == "be" and node.head.i != node.i:
                node = node.head
            continue
        if node.dep_ == "conj" or (node.dep_ == "advcl" and node.tag_ == "VBG"):
            node = node.head  # "X complained about the hacks, blaming Y": X blames
            continue
        return None
    return None


def _as_subject(pos: Token) -> list[tuple[Token, bool]]:
    """Predicates that ``pos`` is the subject of, with whether the predicate is passive."""
    out: list[tuple[Token, bool]] = []
    if pos.dep_ in _SUBJ and pos.head.i != pos.i:
        verb = pos.head
        out.append((verb, pos.dep_ == "nsubjpass"))
        out.extend((c, False) for c in _conjoined(verb) if c.pos_ == "VERB")
        if is_parenthetical(verb):  # the sentence's real verb, hung below the participle
            out.extend((c, False) for c in verb.children if c.dep_ == "ccomp" and not _has_subj(c))
        for attr in verb.children:
            if attr.dep_ == "attr" and verb.lemma_ == "be":
                out.extend((c, False) for c in attr.children if c.dep_ == "relcl" and _wh_subject(c))
    for child in pos.children:
        if child.dep_ == "relcl" and _wh_subject(child) is not None:
            subj = _wh_subject(child)
            out.append((child, subj is not None and subj.dep_ == "nsubjpass"))
        elif child.dep_ == "acl" and child.tag_ == "VBN":
            out.append((child, True))
        elif child.dep_ == "acl" and child.tag_ == "VBG":
            out.append((child, False))
    return out


def _conjoined(verb: Token) -> list[Token]:
    """Verbs conjoined to ``verb`` that share its subject ("are back at it and have breached")."""
    out: list[Token] = []
    todo = [verb]
    while todo:
        node = todo.pop()
        for child in node.children:
            if child.dep_ == "conj" and child.pos_ in _VERBS and not _has_subj(child):
                out.append(child)
                todo.append(child)
    return out


def _has_subj(verb: Token) -> bool:
    return any(c.dep_ in _SUBJ for c in verb.children)


def _wh_subject(verb: Token) -> Token | None:
    for child in verb.children:
        if child.dep_ in _SUBJ and child.lower_ in {"which", "that", "who"}:
            return child
    return None


def _mentions_attack(token: Token) -> bool:
    """Whether the subtree under ``token`` names an attack or responsibility for one."""
    for t in token.subtree:
        if t.lemma_ in cues.ATTACK_VERBS and t.pos_ == "VERB":
            return True
        if (
            t.lemma_ in cues.ATTACK_NOUNS
            or t.lower_ == "behind"
            or t.lemma_ in cues.RESPONSIBILITY_ADJECTIVES
        ):
            return True
    return False


def _denies_part(clause: Token) -> bool:
    """A denied complement that is about taking part: "it was behind", "playing any role", "hacking them"."""
    if clause.lemma_ in cues.ATTACK_VERBS - words("demand ransom use"):
        return True
    return any(
        t.lower_ == "behind" or t.lemma_ in cues.RESPONSIBILITY_ADJECTIVES | cues.INVOLVEMENT_NOUNS
        for t in clause.subtree
    )


def _claims_own_attack(verb: Token) -> bool:
    """The subject claims its own attack: "X said it was behind", "X posted the files on its leak site",
    "X listed the casino as a victim"."""
    if verb.lemma_ in _OWN_CLAIM_VERBS:
        for clause in verb.children:
            if clause.dep_ != "ccomp" or any(
                c.dep_ == "neg" or c.lower_ in cues.HEDGE_MODALS | _FUTURE for c in clause.children
            ):
                continue
            subj = next((c for c in clause.children if c.dep_ in _SUBJ), None)
            if subj is None or subj.lower_ not in {"it", "they", "we", "i"}:
                continue
            own = _subject_relation(clause, subj.dep_ == "nsubjpass")
            if own is not None and own.kind in {"act", "behind"}:
                return True
    if verb.lemma_ in cues.PUBLISH_VERBS and not any(
        c.dep_ == "aux" and c.lower_ in cues.HEDGE_MODALS | _FUTURE | words("can") for c in verb.children
    ):
        for prep in (c for c in verb.children if c.dep_ == "prep"):
            for obj in (o for o in prep.children if o.dep_ == "pobj"):
                on_site = prep.lower_ in {"on", "to"} and obj.lemma_ in cues.LEAK_SITE_NOUNS
                if on_site and any(t.lower_ in {"leak", "its", "their"} for t in obj.lefts):
                    return True
                if prep.lower_ == "as" and obj.lemma_ == "victim":
                    return True
    return False


def _copular_relation(verb: Token) -> bool:
    for child in verb.children:
        if child.dep_ == "prep" and child.lower_ in {"behind", "from"}:
            return True
        if child.dep_ == "acomp" and child.lemma_ in cues.RESPONSIBILITY_ADJECTIVES:
            return True
        if child.dep_ == "attr" and child.lemma_ in _BEHIND_NOUNS:
            return True
    return False


def _subject_relation(verb: Token, passive: bool) -> Relation | None:
    lemma = verb.lemma_
    objects = {c.lemma_ for c in verb.children if c.dep_ in {"dobj", "attr"}}
    if lemma in _CLAIM_VERBS and (objects & cues.CLAIM_RESPONSIBILITY_NOUNS):
        return Relation("claims", verb)
    if (
        lemma == "claim"
        and not passive
        and any(c.dep_ in {"xcomp", "ccomp"} and _mentions_attack(c) for c in verb.children)
    ):
        return Relation("claims", verb)
    if not passive and _claims_own_attack(verb):
        return Relation("claims", verb)
    if lemma in cues.DENIAL_VERBS and not passive:
        if objects & cues.INVOLVEMENT_NOUNS or any(
            c.dep_ in {"ccomp", "xcomp"} and _denies_part(c) for c in verb.children
        ):
            return Relation("deny", verb)
        return None
    if lemma == "be" or verb.pos_ == "AUX":
        return Relation("behind", verb) if _copular_relation(verb) else None
    if passive:
        if lemma in cues.ATTRIBUTION_VERBS:
            return Relation("accused", verb)
        if lemma in cues.BELIEF_VERBS | cues.LINK_VERBS | words(
            "say report allege think involve"
        ) and _mentions_attack(verb):
            return Relation("behind", verb)
        return None
    if lemma in cues.ATTACK_VERBS:
        return Relation("act", verb)
    if lemma in _TRY_VERBS and any(
        c.dep_ == "xcomp" and c.lemma_ in cues.ATTACK_VERBS for c in verb.children
    ):
        return Relation("act", verb)
    if any(c.dep_ == "prep" and any(o.lemma_ == "suspicion" for o in c.children) for c in verb.children):
        return Relation("act", verb)  # "fell under suspicion"
    if lemma in cues.HEDGE_VERBS and any(c.dep_ == "xcomp" and _mentions_attack(c) for c in verb.children):
        return Relation("act", verb)
    return None


def relations(token: Token) -> list[Relation]:
    """Every predicate that holds the actor headed by ``token`` responsible."""
    pos = position(token)
    found: list[Relation] = []
    head = pos.head
    if pos.dep_ == "pobj" and head.lower_ == "to" and head.head.lower_ == cues.ACCORDING:
        # "According to X, the hack took place after he ...": the actor speaking of its own attack
        if token.ent_type_ not in {"GPE", "NORP"} and _mentions_attack(token.sent.root):
            return [Relation("claims", head.head)]
        return []
    naming = _naming_clause(token)
    self_named = naming is not None and any(c.lower_ in _REFLEXIVES for c in naming.children)
    for verb, passive in _as_subject(pos):
        rel = _subject_relation(verb, passive)
        if rel is not None:
            # "hackers who identified themselves as X demanded ...": a self-named actor claims its own attack
            found.append(Relation("claims", verb) if self_named and rel.kind == "act" else rel)
    if pos.dep_ == "pobj" and head.lower_ == "by":
        target = head.head
        if target.pos_ == "VERB" and target.lemma_ in _AGENTIVE:
            found.append(Relation("agent", target))
        elif target.pos_ == "VERB" and target.lemma_ in cues.DENIAL_VERBS:
            found.append(Relation("deny", target))
        elif target.pos_ == "NOUN" and (target.lemma_ in cues.ATTACK_NOUNS or target.lower_.endswith("ing")):
            found.append(Relation("agent", target))
    elif pos.dep_ == "pobj" and head.lower_ in {"to", "on", "with"}:
        target = head.head
        if target.dep_ == "dobj" and target.head.lemma_ in cues.ATTRIBUTION_VERBS:
            target = target.head  # "attributing the attack to X" parsed with "to X" on the noun
        if target.lemma_ in cues.ATTRIBUTION_VERBS | cues.LINK_VERBS | words("attribution link"):
            found.append(Relation("attributed", target))
    elif pos.dep_ == "pobj" and head.lower_ == "of" and head.head.lemma_ in cues.SIGNATURE_NOUNS:
        found.append(Relation("nominal", head.head))  # "bears the hallmarks of X"
    elif pos.dep_ == "pobj" and head.lower_ == "with" and head.head.lemma_ in words("consistent"):
        found.append(Relation("nominal", head.head))  # "consistent with X"
    elif pos.dep_ == "pobj" and head.lower_ == "for" and head.head.lemma_ == "work":
        found.append(Relation("agent", head.head))
    elif pos.dep_ == "pobj" and head.lower_ == "of" and head.head.lemma_ in cues.ATTACK_NOUNS:
        if head.head.tag_ == "NNS" or any(
            c.lower_ in {"previous", "past", "earlier"} for c in head.head.children
        ):
            found.append(Relation("agent", head.head))
    elif pos.dep_ == "pobj" and head.lower_ == "from" and head.head.lemma_ == "be":
        found.append(Relation("behind", head.head))
    elif pos.dep_ == "dobj" and head.lemma_ in cues.ATTRIBUTION_VERBS | cues.LINK_VERBS | words("name"):
        found.append(Relation("accused", head))
    elif pos.dep_ in {"poss", "amod", "compound", "nmod"} and head.pos_ == "NOUN":
        hedged = any(c.lower_ in cues.HEDGE_ADJECTIVES for c in head.children)
        if head.lemma_ in _NOMINAL_HEADS or (hedged and head.lemma_ in cues.ATTACK_NOUNS):
            found.append(Relation("nominal", head))
    role = _own_role(pos.head) if pos.dep_ in {"nsubj", "nsubjpass", "dobj"} else None
    if role is not None:
        found.append(Relation("nominal", role))  # "X is known for its role in the hack"
    return found


def _own_role(verb: Token) -> Token | None:
    """The first involvement noun of the clause owned by "its"/"their" and about an attack: "its suspected role in
    hacking"."""
    for t in verb.subtree:
        if (
            t.dep_ != "poss"
            or t.lower_ not in {"its", "their"}
            or t.head.lemma_ not in cues.INVOLVEMENT_NOUNS
        ):
            continue
        for prep in t.head.children:
            if (
                prep.dep_ == "prep"
                and prep.lower_ == "in"
                and any(o.lemma_ in cues.ATTACK_NOUNS or o.lemma_ in cues.ATTACK_VERBS for o in prep.children)
            ):
                return t.head
    return None


def _ancestors(token: Token) -> list[Token]:
    """``token`` and its heads up to the root, stopping above a clause that modifies a noun."""
    chain = [token]
    node = token
    while node.head.i != node.i:
        if (
            node.dep_ in {"relcl", "acl"}
            and node.head.pos_ in _NOUNS
            and node.lemma_ not in _REPORTING
            and not _content_clause(node)
            and node.head.dep_ != "attr"  # "the attackers were hackers working for X": part of what is said
        ):
            break
        if node.dep_ in {"conj", "ccomp"} and is_parenthetical(node.head):
            break  # "X, believed to be ..., breached": the hedge is about X, not the breach
        node = node.head
        chain.append(node)
        if node.dep_ in {"relcl", "acl"} and node.lemma_ in _REPORTING:
            break
    return chain


def _content_clause(clause: Token) -> bool:
    """A "that" clause holding the content of a noun: "the claim that X was behind", "no evidence that X ..."."""
    if clause.head.lemma_ not in cues.CONTENT_NOUNS or _wh_subject(clause) is not None:
        return False
    return any(c.dep_ == "mark" and c.lower_ == "that" for c in clause.children) or clause.dep_ == "acl"


def is_parenthetical(verb: Token) -> bool:
    """A participle the parser took for the main verb: "The X hackers, believed to be tied to Y, breached ..."."""
    if verb.tag_ not in {"VBN", "VBD"} or verb.lemma_ not in _REPORTING | words("say report know"):
        return False
    subj = next((c for c in verb.children if c.dep_ in {"nsubj", "nsubjpass"}), None)
    if subj is None or verb.i == 0 or verb.doc[verb.i - 1].text != "," or subj.i > verb.i:
        return False
    has_aux = any(c.dep_ in {"aux", "auxpass"} for c in verb.children)
    return not has_aux and any(c.dep_ == "xcomp" for c in verb.children)


def _scope(token: Token, rel: Relation, claim_verb: Token | None) -> list[Token]:
    scope: list[Token] = [c for c in token.children if c.dep_ in {"amod", "advmod"}]
    chain = _ancestors(rel.predicate)
    if claim_verb is not None and claim_verb in chain:
        chain = chain[: chain.index(claim_verb) + 1]
    for node in chain:
        scope.append(node)
        for child in node.children:
            if child.dep_ in {"aux", "auxpass", "advmod", "neg", "acomp", "amod"}:
                scope.append(child)
            elif child.dep_ == "dobj" and child.lemma_ in cues.DISPUTE_NOUNS:
                scope.append(child)  # "cast doubt on the theory that ..."
            elif child.dep_ == "det" and child.lower_ == "no" and node.lemma_ in cues.CONTENT_NOUNS:
                scope.append(child)  # "no evidence that ..."
            elif child.dep_ == "prep" and child.lower_ == "under":
                scope.extend(o for o in child.children if o.dep_ == "pobj")  # "fell under suspicion"
    for child in rel.predicate.children:
        if child.dep_ in {"xcomp", "prep", "pcomp", "oprd", "ccomp"}:
            scope.extend(
                g for g in child.subtree if g.dep_ in {"pcomp", "xcomp", "aux", "advmod"} or g is child
            )
    return scope


def stance_of(token: Token, rel: Relation, claim_verb: Token | None) -> str:
    """The stance the claimant takes on the actor's responsibility."""
    if rel.kind == "claims":
        return "claimed-responsibility"
    if rel.kind == "deny":
        return "denied"
    scope = _scope(token, rel, claim_verb)
    lemmas = {t.lemma_ for t in scope}
    lowers = {t.lower_ for t in scope}
    negated = any(t.dep_ == "neg" or (t.dep_ == "det" and t.lower_ == "no") for t in scope)
    if lemmas & cues.DISPUTE_VERBS or lemmas & cues.DISPUTE_NOUNS or negated:
        return "disputed"
    if claim_verb is not None and claim_verb.lemma_ in cues.DENIAL_VERBS:
        return "disputed"
    if (
        lemmas & (cues.BELIEF_VERBS | cues.LINK_VERBS | cues.HEDGE_VERBS | cues.HEDGE_NOUNS)
        or lowers & (cues.HEDGE_MODALS | cues.HEDGE_ADVERBS | cues.HEDGE_ADJECTIVES)
        or (rel.kind == "attributed" and rel.predicate.lemma_ in cues.LINK_VERBS)
    ):
        return "suspected"
    if claim_verb is not None and claim_verb.lemma_ in cues.CONFIRM_VERBS:
        return "confirmed"
    return "asserted"


def claimant_of(rel: Relation, actor_tokens: range, bounds: range) -> tuple[Token | None, Token | None]:
    """(claimant head token, its speech-act verb); (None, None) when the article itself makes the claim.

    ``bounds`` are the sentence's token indices: a parse that runs across a line break is not followed out of it.
    """
    for node in _ancestors(rel.predicate):
        if node.i not in bounds:
            break
        if (
            node.dep_ in {"relcl", "acl"}
            and node.lemma_ in cues.SPEECH_VERBS
            and node.head.pos_ in _NOUNS
            and node.head.lemma_ not in cues.GENERIC_ACTOR_HEADS
            and node.i not in actor_tokens
            and node.head.i not in actor_tokens
            and not any(
                c.dep_ == "nsubj" and not any(t.lower_ in _WH for t in c.subtree) for c in node.children
            )
        ):
            return node.head, node  # "officials who said", not "attacks that investigators attributed"
        if node.pos_ not in _VERBS or is_parenthetical(node):
            continue
        confident = node.lemma_ == "be" and _confident(node)
        if node.lemma_ not in _REPORTING and not confident and not _casts_doubt(node):
            continue
        subj = _subject(node)
        if subj is None or subj.i not in bounds or subj.lower_ in {"which", "that", "who"}:
            continue
        if subj.lower_ == "it" and (subj.dep_ != "nsubj" or node.lemma_ not in _IT_SPEAKS):
            continue  # "it is believed", "it suggests": no speaker
        if any(t.i in actor_tokens for t in subj.subtree) and rel.kind not in {"claims", "deny"}:
            continue
        return subj, node
    return None, None


def _confident(copula: Token) -> bool:
    """ "X was confident (that) Y was responsible", also when the parser hangs the adjective on Y."""
    for child in copula.children:
        if child.dep_ == "acomp" and child.lemma_ in cues.CONFIDENCE_ADJECTIVES:
            return True
        if child.dep_ == "ccomp":
            doc = copula.doc
            nxt = doc[copula.i + 1] if copula.i + 1 < len(doc) else None
            if nxt is not None and nxt.lemma_ in cues.CONFIDENCE_ADJECTIVES and nxt.i < child.i:
                return True
    return False


def _casts_doubt(verb: Token) -> bool:
    """A verb whose object is a dispute noun: "cast doubt on", "raised questions about"."""
    return any(
        c.dep_ == "dobj" and c.lemma_ in cues.DISPUTE_NOUNS | words("question questions")
        for c in verb.children
    )


def according_to(sent: SpacySpan) -> Token | None:
    """X of "according to X" in the sentence."""
    for token in sent:
        if token.lower_ == cues.ACCORDING:
            for prep in token.children:
                for obj in prep.children:
                    if obj.dep_ == "pobj":
                        return obj
            for obj in token.head.children if token.head.lower_ == "to" else ():
                if obj.dep_ == "pobj":
                    return obj
    return None


def cited_sources(verb: Token | None) -> Token | None:
    """The object of "citing"/"quoting" attached to the claimant's verb (or to its subject)."""
    if verb is None:
        return None
    for node in (verb, *(c for c in verb.children if c.dep_ in _SUBJ)):
        for child in node.children:
            if child.lemma_ in cues.CITE_VERBS and child.dep_ in {"advcl", "xcomp", "acl", "conj"}:
                for obj in child.children:
                    if obj.dep_ == "dobj":
                        return obj
    return None


def promoted_claimant(subj: Token, verb: Token) -> tuple[Token, Token] | None:
    """Anonymous sources reported by an outlet: the outlet claims, the sources are cited."""
    anonymous = subj.lemma_ in _ANON_SOURCES or any(
        c.dep_ == "conj" and c.lemma_ in _ANON_SOURCES for c in subj.children
    )  # "Government and private sector sources"
    if not anonymous or subj.pos_ == "PROPN":
        return None
    if verb.lemma_ in words("tell say speak"):
        # "sources told the Financial Times", "officials said to Reuters": the outlet reports them
        for child in verb.children:
            outlet = child if child.dep_ in {"dobj", "dative"} else None
            if child.dep_ == "prep" and child.lower_ == "to":
                outlet = next((o for o in child.children if o.dep_ == "pobj"), None)
            if outlet is not None and is_outlet(outlet):
                return outlet, verb
    for node in verb.ancestors:
        if node.pos_ in _VERBS and node.lemma_ in cues.SPEECH_VERBS:
            higher = _subject(node)
            if higher is not None and higher.i != subj.i:
                return higher, node
    return None


def is_outlet(token: Token) -> bool:
    """Whether the noun phrase headed by ``token`` names a news organisation ("the Financial Times", "the paper")."""
    if token.lemma_ in cues.OUTLET_HEADS and token.pos_ == "NOUN":
        return True
    first, last = phrase(token)
    names = token.doc[first : last + 1]
    return any(t.pos_ == "PROPN" and t.lower_ in cues.OUTLET_NAME_WORDS for t in names)


def not_attributed(sent: SpacySpan) -> list[tuple[Token | None, Token]]:
    """(subject, verb) for each refusal or absence of attribution ("X has not publicly attributed the incident")."""
    out: list[tuple[Token | None, Token]] = []
    for token in sent:
        if token.lemma_ not in cues.ATTRIBUTION_VERBS | words("name identify"):
            continue
        negated = any(c.dep_ == "neg" for c in token.children)
        refused = token.dep_ == "xcomp" and token.head.lemma_ in {"decline", "refuse"}
        if negated or refused:
            verb = token.head if refused else token
            out.append((_subject(verb), token))
    return out
