"""Actor mentions in a sentence: the parties an attribution claim can hold responsible.

An actor is a named threat group, a criminal crew, a person, a state or state body, or a nationality used as
attribution ("Chinese hackers"). Generic nouns ("hackers", "the attackers") are never actors on their own.
Candidates come from the entity extractor's findings when present, the spaCy named entities, the designation
patterns of :mod:`threatledger.extract.cues` and naming constructions ("a group known as X").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from threatledger.extract import cues
from threatledger.extract.cues import words as _words
from threatledger.model import ClaimActor, Entity

if TYPE_CHECKING:
    from spacy.tokens import Span as SpacySpan
    from spacy.tokens import Token

__all__ = ["ActorMention", "find_actors", "kb_canonical", "state_of"]

_GROUP_RE = re.compile(cues.GROUP_NAME_PATTERN)
# Online handles: letters run into digits ("Cipher0007") or several capitals run together ("TheDarkOverlord").
_HANDLE_RE = re.compile(r"(?<![\w@])(?:[A-Za-z]{3,}\d{2,}\w*|(?:[A-Z][a-z]+){3,})\b")
_PERSON_HEADS = _words("man woman men women citizen citizens national nationals individual individuals")
_PERSON_HEADS_ALL = _PERSON_HEADS | _words("teenager teen student hacker person defendant defendants")
_ACTOR_HEADS = cues.GROUP_HEADS | cues.STATE_HEADS | _PERSON_HEADS_ALL
_STATE_SPONSOR = _words("state-sponsored state-backed nation-state government-backed state-linked")
_NAME_DEPS = _words("pobj oprd attr dobj appos")
_ENTITY_KIND = {
    "threat-actor": "group",
    "intrusion-set": "group",
    "person": "person",
    "country": "state",
}


@dataclass(frozen=True, slots=True)
class ActorMention:
    """An actor candidate: what a claim will carry, plus the parse token that heads it."""

    actor: ClaimActor
    head: int  # document token index of the phrase head
    first: int  # first document token index of the phrase
    last: int  # last document token index (inclusive)
    entity: str | None = None  # id of the Entity it came from
    country: str | None = None  # country name for states and nationalities


def kb_canonical(kb: object | None, text: str) -> str | None:
    """The knowledge base's canonical name for ``text`` (duck-typed ``resolve`` or ``lookup``), or None."""
    for method in ("resolve", "lookup"):
        function = getattr(kb, method, None)
        if function is None:
            continue
        found: Any = function(text)
        if isinstance(found, list | tuple):
            found = found[0] if found else None
        if isinstance(found, str):
            return found
        for attr in ("canonical", "name"):
            value = getattr(found, attr, None)
            if isinstance(value, str):
                return value
    return None


def state_of(text: str, kb: object | None = None) -> str | None:
    """Country name for a country, demonym or state body ("Chinese" -> "China", "the GRU" -> "Russia")."""
    key = re.sub(r"^(the|a|an)\s+", "", text.lower().strip(" .,'’\"")).removesuffix("’s").removesuffix("'s")
    if key in cues.STATES:
        return cues.STATES[key][0]
    if key in cues.STATE_BODIES:
        return cues.STATE_BODIES[key]
    country_code = getattr(kb, "country_code", None)
    if country_code is not None:
        code = country_code(text)
        if isinstance(code, str):
            for name, iso in cues.STATES.values():
                if iso == code:
                    return name
            return code
    return None


def _phrase(head: Token) -> tuple[int, int]:
    """Token range of the noun phrase headed by ``head``, left modifiers only (no clauses or prepositions)."""
    first = head.i
    for child in head.lefts:
        if child.dep_ in {
            "det",
            "amod",
            "compound",
            "nmod",
            "poss",
            "nummod",
            "npadvmod",
            "punct",
            "quantmod",
        }:
            first = min(first, child.left_edge.i)
    while first < head.i and head.doc[first].lemma_ in cues.CONFIDENCE_ADJECTIVES:
        first += 1  # "was confident Fancy Bear ... was": the adjective misparsed onto the name
    return first, head.i


def _np_head(token: Token) -> Token:
    """Climb from a name token to the head of the noun phrase it modifies ("LockBit" -> "gang")."""
    while token.dep_ in {"compound", "amod", "nmod", "npadvmod"} and token.head.i > token.i:
        head = token.head
        if head.lower_ in _ACTOR_HEADS or (token.dep_ == "compound" and head.pos_ == "PROPN"):
            token = head
        elif head.pos_ == "NOUN" and head.dep_ in {"compound", "amod"} and head.head.lower_ in _ACTOR_HEADS:
            token = head.head  # "Chinese military hackers", "the Lazarus hacking group"
        else:
            break
    return token


def _kind_for(head: Token, base: str, text: str) -> str:
    lower = head.lower_
    words = {t.lower_ for t in head.subtree if t.i <= head.i}
    if lower in cues.CRIMINAL_HEADS or "ransomware" in words or "extortion" in words:
        return "criminal-org"
    if base == "state" and lower in _PERSON_HEADS:
        return "person"
    if base in {"state", "person"}:
        return base
    if lower in cues.STATE_HEADS and any(w in cues.STATES for w in words):
        return "state"
    return base if base != "other" or not text else "other"


def _make(
    sent: SpacySpan, head: Token, base: str, canonical: str | None, country: str | None, entity: str | None
) -> ActorMention:
    doc = sent.doc
    first, last = _phrase(head)
    first = max(first, sent.start)
    span = doc[first : last + 1]
    kind = _kind_for(head, base, span.text)
    if kind == "state" and country and not canonical:
        canonical = country
    actor = ClaimActor(
        text=span.text, start=span.start_char, end=span.end_char, kind=kind, canonical=canonical
    )
    return ActorMention(actor=actor, head=head.i, first=first, last=last, entity=entity, country=country)


def _entity_candidates(
    sent: SpacySpan, entities: tuple[Entity, ...], kb: object | None
) -> list[ActorMention]:
    doc = sent.doc
    out: list[ActorMention] = []
    for entity in entities:
        base = _ENTITY_KIND.get(entity.type)
        if base is None and entity.type in {"malware", "organization"}:
            if entity.type == "organization" and entity.canonical.lower() not in cues.STATE_BODIES:
                continue
            base = "group" if entity.type == "malware" else "state"
        if base is None:
            continue
        for mention in entity.mentions:
            if mention.start < sent.start_char or mention.end > sent.end_char:
                continue
            span = doc.char_span(mention.start, mention.end, alignment_mode="expand")
            if span is None:
                continue
            head = _np_head(span.root)
            if entity.type == "malware" and head.lower_ not in cues.GROUP_HEADS and not _claims_credit(head):
                continue  # a tool is not its operator, unless the name speaks for its gang ("LockBit claimed")
            country = entity.canonical if base == "state" else state_of(entity.canonical, kb)
            canonical = entity.canonical
            out.append(_make(sent, head, base, canonical, country, entity.id))
    return out


def _claims_credit(token: Token) -> bool:
    """The subject of a claim of responsibility: "LockBit claimed responsibility", "Cl0p claimed to have stolen"."""
    verb = token.head
    if token.dep_ != "nsubj" or verb.lemma_ not in {"claim", "take", "admit"}:
        return False
    for child in verb.children:
        if child.dep_ == "dobj" and child.lemma_ in cues.CLAIM_RESPONSIBILITY_NOUNS:
            return True
        if (
            verb.lemma_ == "claim"
            and child.dep_ == "xcomp"
            and any(t.lemma_ in cues.ATTACK_VERBS and t.pos_ == "VERB" for t in child.subtree)
        ):
            return True
    return False


def _pattern_candidates(sent: SpacySpan, kb: object | None) -> list[ActorMention]:
    doc = sent.doc
    out: list[ActorMention] = []
    for match in _GROUP_RE.finditer(sent.text):
        start = sent.start_char + match.start()
        span = doc.char_span(start, start + len(match.group()), alignment_mode="expand")
        if span is not None:
            head = _np_head(span.root)
            name = match.group()
            out.append(_make(sent, head, "group", kb_canonical(kb, name) or name, None, None))
    for match in _HANDLE_RE.finditer(sent.text):
        start = sent.start_char + match.start()
        span = doc.char_span(start, start + len(match.group()), alignment_mode="expand")
        if span is not None and span.root.pos_ in {"PROPN", "NOUN", "X"}:
            out.append(_make(sent, _np_head(span.root), "person", match.group(), None, None))
    for ent in sent.ents:
        label, text = ent.label_, ent.text
        head = _np_head(ent.root)
        if label in {"NORP", "GPE", "LOC"} or text.lower() in cues.STATE_BODIES:
            country = state_of(text, kb)
            if country is None:
                continue
            if (
                label == "NORP"
                and head.i == ent.root.i
                and ent.root.dep_ not in {"nsubj", "nsubjpass", "pobj"}
            ):
                continue  # a bare demonym modifying nothing actor-like
            out.append(_make(sent, head, "state", None, country, None))
        elif label == "PERSON":
            out.append(_make(sent, head, "person", kb_canonical(kb, text), None, None))
        elif label == "ORG" and head.lower_ in cues.GROUP_HEADS:
            out.append(_make(sent, head, "group", kb_canonical(kb, text) or text, None, None))
    for token in sent:
        lower = token.lower_
        if lower in cues.STATE_BODIES and token.pos_ == "PROPN" and not token.ent_type_:
            out.append(_make(sent, _np_head(token), "state", None, cues.STATE_BODIES[lower], None))
        elif lower in cues.GROUP_HEADS | _PERSON_HEADS_ALL and token.pos_ == "NOUN":
            out.extend(_described_candidates(sent, token, kb))
        elif token.pos_ == "PROPN" and any(
            c.dep_ == "compound" and c.lower_ in cues.GROUP_HEADS for c in token.lefts
        ):
            # "the ransomware gang BlackCat": a name headed by its own designation
            out.append(_make(sent, token, "group", kb_canonical(kb, token.text) or token.text, None, None))
    return out


def _described_candidates(sent: SpacySpan, head: Token, kb: object | None) -> list[ActorMention]:
    """Actors named by description: "Chinese hackers", "a state-sponsored group", "a group known as X"."""
    out: list[ActorMention] = []
    # "a group known as X", "hackers who go by the name X", "who identified themselves as X"
    for child in head.children:
        if child.dep_ in {"acl", "relcl"} and child.lemma_ in cues.NAMING_VERBS:
            for named in child.subtree:
                if (
                    named.i > child.i
                    and (named.pos_ == "PROPN" or named.text.isupper())
                    and named.dep_ in _NAME_DEPS
                ):
                    return [_make(sent, _np_head(named), "group", kb_canonical(kb, named.text), None, None)]
    lefts = [t for t in head.subtree if t.i < head.i]
    names = [
        t for t in lefts if t.pos_ == "PROPN" and t.dep_ in {"compound", "nmod"} and not state_of(t.text, kb)
    ]
    if names and head.lower_ in cues.GROUP_HEADS:
        name = " ".join(t.text for t in names)
        return [_make(sent, head, "group", kb_canonical(kb, name) or name, None, None)]
    left_words = {t.lower_ for t in lefts}
    for t in lefts:
        country = state_of(t.text, kb)
        if country is not None and t.ent_type_ != "GPE":
            out.append(_make(sent, head, "state", None, country, None))
            return out
    if (
        left_words & _STATE_SPONSOR
        or {"state", "sponsored"} <= left_words
        or {"state", "backed"} <= left_words
    ):
        out.append(_make(sent, head, "state", None, None, None))
        return out
    return out


def _overlaps(a: ActorMention, b: ActorMention) -> bool:
    return a.first <= b.last and b.first <= a.last


def find_actors(
    sent: SpacySpan, entities: tuple[Entity, ...] = (), kb: object | None = None
) -> list[ActorMention]:
    """Actor candidates of one sentence, left to right, overlapping candidates merged (entity-backed first)."""
    ordered = _entity_candidates(sent, entities, kb) + _pattern_candidates(sent, kb)
    kept: list[ActorMention] = []
    for cand in ordered:
        clash = next((k for k in kept if _overlaps(k, cand)), None)
        if clash is None:
            kept.append(cand)
            continue
        # keep the wider phrase, carrying over canonical and country when the narrower one knew them
        wide, narrow = (
            (cand, clash) if (cand.last - cand.first) > (clash.last - clash.first) else (clash, cand)
        )
        actor = wide.actor
        canonical = actor.canonical or narrow.actor.canonical
        kind = actor.kind if actor.kind != "group" or narrow.actor.kind == "group" else narrow.actor.kind
        if narrow.actor.kind == "criminal-org" or actor.kind == "criminal-org":
            kind = "criminal-org"
        merged = ActorMention(
            actor=ClaimActor(actor.text, actor.start, actor.end, kind, canonical),
            head=wide.head,
            first=wide.first,
            last=wide.last,
            entity=wide.entity or narrow.entity,
            country=wide.country or narrow.country,
        )
        kept[kept.index(clash)] = merged
    return sorted(kept, key=lambda m: m.first)
