"""Attribution claims: who says which actor is behind an attack, with which stance, citing whom.

    claims = extract_claims(doc_id, sdoc, entities, kb)     # tuple[Claim, ...], incident not yet assigned

A claim is stored as "CLAIMANT says ACTOR is behind INCIDENT (STANCE, citing CITES)", never as a fact. The claimant
is ``None`` when the article states it on its own. Sentences that are conditional, habitual, "no comment" or page
debris make no claims. Incidents are assigned by :func:`threatledger.extract.incidents.extract_incidents`.

Run ``python -m threatledger.extract.claims DIR`` to print claims and incidents of every ``DIR/*.txt`` as JSON Lines.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from threatledger.extract import attribution as rules
from threatledger.extract import cues
from threatledger.extract.actors import ActorMention, find_actors, state_of
from threatledger.extract.claim_filters import is_conditional, is_habitual
from threatledger.ids import make_id
from threatledger.model import Claim, ClaimActor, Entity, Mention

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token
    from spacy.tokens import Span as SpacySpan

__all__ = ["NAME", "VERSION", "extract_claims", "sentences"]

NAME = "claims"
VERSION = "2"

_NO_COMMENT = re.compile(cues.NO_COMMENT_PATTERN, re.IGNORECASE)
_PERSON_PRONOUNS = cues.words("he she him his her")
_ORG_PRONOUNS = cues.words("it its")
_PLURAL_PRONOUNS = cues.words("they them their we our")
# Definite descriptions of an organisation ("the company said", "the agency confirmed").
_ORG_HEADS = cues.words("""company firm agency ministry department government organisation organization vendor provider
    business operator utility bank insurer hospital university school city council authority authorities office
    bureau regulator campaign party group lab centre center institute service watchdog retailer maker""")
_ENTITY_KINDS = {"person": "person", "organization": "org", "country": "state", "threat-actor": "org"}
_SPACY_KINDS = {"PERSON": "person", "ORG": "org", "GPE": "state"}
_STATE_REFERENCES = cues.words("it its government regime")


@dataclass(frozen=True, slots=True)
class _Referent:
    """An earlier name a pronoun or a definite description can point back to."""

    start: int
    text: str
    kind: str  # person | org | outlet | state
    entity: str | None
    subject: bool = False  # heads or modifies a clause subject: the likelier antecedent


@dataclass(slots=True)
class _Memory:
    """What the document established before a sentence (for "the newspaper", "the company", "he")."""

    by_text: dict[str, str] = field(default_factory=dict)  # lower-cased mention text -> entity id
    referents: list[_Referent] = field(default_factory=list)  # in text order


def sentences(sdoc: Doc) -> list[SpacySpan]:
    """spaCy's sentences, cut again at line breaks (headlines, captions and bylines stand on their own lines)."""
    out: list[SpacySpan] = []
    for sent in sdoc.sents:
        start = sent.start
        for token in sent:
            if "\n" in token.text_with_ws and token.i + 1 < sent.end:
                if token.i + 1 > start and not (token.is_space and token.i == start):
                    out.append(sdoc[start : token.i + 1])
                start = token.i + 1
        if start < sent.end:
            out.append(sdoc[start : sent.end])
    return [s for s in out if not all(t.is_space for t in s)]


def _mention(doc: Doc, first: int, last: int) -> Mention:
    """The tokens first..last as a mention, without quotes or punctuation at either end ("“experts”" -> "experts")."""
    while first < last and (doc[first].is_punct or doc[first].is_quote):
        first += 1
    while last > first and (doc[last].is_punct or doc[last].is_quote):
        last -= 1
    span = doc[first : last + 1]
    return Mention(start=span.start_char, end=span.end_char, text=span.text)


def _claimant_head(subj: Token) -> Token:
    """A report's author: "a report by the Financial Times said" -> "the Financial Times"."""
    if subj.lemma_ in cues.REPORT_NOUNS:
        for child in subj.children:
            if child.dep_ == "prep" and child.lower_ in {"by", "from"}:
                for obj in child.children:
                    if obj.dep_ == "pobj":
                        return obj
            if child.dep_ == "poss":
                return child
    return subj


def _is_debris(sent: SpacySpan) -> bool:
    """Captions, promo lines, bylines: fragments without a finite verb or far too short to be a statement."""
    alpha = [t for t in sent if t.is_alpha]
    if len(alpha) < 4:
        return True
    return not any(t.pos_ in {"VERB", "AUX"} and t.tag_ not in {"VBG"} for t in sent)


def _entity_for(text: str, memory: _Memory) -> str | None:
    return memory.by_text.get(text.lower().removeprefix("the "))


def _wanted_kind(head: Token) -> str | None:
    """What kind of referent an anaphoric claimant needs; None when the claimant is a name of its own."""
    lower = head.lower_
    if lower in _PERSON_PRONOUNS:
        return "person"
    if lower in _ORG_PRONOUNS:
        return "org"
    if lower in _PLURAL_PRONOUNS:
        return "plural"
    first = head.doc[rules.phrase(head)[0]]
    if head.pos_ != "NOUN" or first.lower_ not in {"the", "this", "that"}:
        return None
    if head.lemma_ in cues.OUTLET_HEADS:
        return "outlet"
    if head.lemma_ in _ORG_HEADS:
        return "org"
    return None


def _resolve(head: Token, claimant: Mention, memory: _Memory) -> _Referent | None:
    """The most recent earlier name compatible with an anaphoric claimant ("It", "the paper", "he")."""
    wanted = _wanted_kind(head)
    if wanted is None:
        return None
    earlier = [r for r in memory.referents if r.start < claimant.start]
    if wanted == "outlet":
        pool = [r for r in earlier if r.kind == "outlet"]
    elif wanted == "person":
        pool = [r for r in earlier if r.kind == "person"]
    elif wanted == "plural":
        pool = [r for r in earlier if r.kind in {"org", "outlet"}]
    else:
        kinds = {"org", "state"} if head.lower_ in _STATE_REFERENCES else {"org"}
        pool = [r for r in earlier if r.kind in kinds]
        named = [r for r in pool if head.lower_ in r.text.lower().split()]
        pool = named or pool  # "the agency" -> the last name that says "Agency"
    if not pool:
        return None
    # within the last few names, a subject outranks a name in an object or a prepositional phrase
    recent = pool[-3:]
    return next((r for r in reversed(recent) if r.subject), recent[-1])


def _referents(sdoc: Doc, entities: tuple[Entity, ...]) -> list[_Referent]:
    """Names of people, organisations and news outlets in text order, entity-backed where an entity covers them."""
    found: dict[int, _Referent] = {}
    for entity in entities:
        kind = _ENTITY_KINDS.get(entity.type)
        if kind is None:
            continue
        for m in entity.mentions:
            found[m.start] = _Referent(m.start, m.text, kind, entity.id)
    for ent in sdoc.ents:
        kind = _SPACY_KINDS.get(ent.label_)
        if kind is not None and not any(ent.start_char <= s < ent.end_char for s in found):
            found[ent.start_char] = _Referent(ent.start_char, ent.text, kind, None)
    out: list[_Referent] = []
    for ref in sorted(found.values(), key=lambda r: r.start):
        span = sdoc.char_span(ref.start, ref.start + len(ref.text), alignment_mode="expand")
        if span is None:
            out.append(ref)
            continue
        kind = ref.kind
        if kind == "org" and (rules.is_outlet(span.root) or _told(span.root)):
            kind = "outlet"
        out.append(_Referent(ref.start, ref.text, kind, ref.entity, _in_subject(span.root)))
    return out


def _in_subject(token: Token) -> bool:
    node = token
    for _ in range(3):
        if node.dep_ in {"nsubj", "nsubjpass"}:
            return True
        if node.dep_ not in {"compound", "poss", "appos"} or node.head.i == node.i:
            return False
        node = node.head
    return False


def _told(token: Token) -> bool:
    """The addressee of a statement ("told Forbes", "said to Reuters", "according to X") is an outlet."""
    if token.dep_ in {"dative", "dobj"} and token.head.lemma_ == "tell":
        return True
    return (
        token.dep_ == "pobj" and token.head.lower_ == "to" and token.head.head.lemma_ in {"say", "according"}
    )


def _note_reporter(head: Token, claimant: Mention, verb: Token | None, memory: _Memory) -> None:
    """A named organisation that reports ("X reported", "a report by X") is an outlet for "the newspaper"."""
    if head.pos_ != "PROPN" or not (verb is not None and verb.lemma_ in cues.words("report write publish")):
        return
    for i, ref in enumerate(memory.referents):
        if ref.start == claimant.start or ref.start == head.idx:
            memory.referents[i] = _Referent(ref.start, ref.text, "outlet", ref.entity)


def _build(
    sent: SpacySpan,
    mention: ActorMention,
    rel: rules.Relation,
    memory: _Memory,
    doc_id: str,
) -> Claim | None:
    doc = sent.doc
    token = doc[mention.head]
    actor_tokens = range(mention.first, mention.last + 1)
    subj, verb = rules.claimant_of(rel, actor_tokens, range(sent.start, sent.end))
    cites_tok = rules.cited_sources(verb)
    if subj is not None and verb is not None:
        promoted = rules.promoted_claimant(subj, verb)
        if promoted is not None:
            cites_tok = subj
            subj, verb = promoted
    if subj is None:
        accord = rules.according_to(sent)
        if accord is not None:
            subj = accord
            if accord.i in actor_tokens or (rules.position(token) is accord and rel.kind != "deny"):
                rel = rules.Relation("claims", rel.predicate)
    stance = rules.stance_of(token, rel, verb)
    actor = mention.actor
    claimant: Mention | None = None
    claimant_entity: str | None = None
    if subj is not None:
        head = _claimant_head(subj)
        first, last = rules.phrase(head)
        claimant = _mention(doc, first, last)
        claimant_entity = _entity_for(claimant.text, memory)
        referent = _resolve(head, claimant, memory)
        if referent is not None:
            claimant_entity = referent.entity or claimant_entity
        _note_reporter(head, claimant, verb, memory)
        if stance == "denied":
            actor = _accused_self(doc, first, last, mention, sent)
    if stance == "claimed-responsibility" and claimant is None:
        claimant = Mention(actor.start, actor.end, actor.text)
    cites = None
    if cites_tok is not None:
        c_first, _ = rules.phrase(cites_tok)
        cites = _mention(doc, c_first, cites_tok.right_edge.i)
    evidence = Mention(sent.start_char, sent.end_char, sent.text)
    claim_id = make_id(
        "claim",
        doc=doc_id,
        sentence=[evidence.start, evidence.end],
        actor=[actor.start, actor.end],
        stance=stance,
        claimant=[claimant.start, claimant.end] if claimant else None,
    )
    return Claim(
        id=claim_id,
        incident=None,
        claimant=claimant,
        actor=actor,
        stance=stance,
        evidence=evidence,
        cites=cites,
        claimant_entity=claimant_entity,
    )


def _accused_self(doc: Doc, first: int, last: int, mention: ActorMention, sent: SpacySpan) -> ClaimActor:
    """A denial's actor is the denying party: its state when it names one ("China's ministry" -> China)."""
    span = doc[first : last + 1]
    for token in span:
        country = state_of(token.text)
        if country is not None:
            return ClaimActor(token.text, token.idx, token.idx + len(token.text), "state", country)
    if mention.first >= first and mention.last <= last:
        return mention.actor
    kind = mention.actor.kind if mention.actor.start >= span.start_char else "other"
    return ClaimActor(span.text, span.start_char, span.end_char, kind, mention.actor.canonical)


def _denial_claims(sent: SpacySpan, memory: _Memory, doc_id: str) -> list[Claim]:
    """Denials whose complement names no actor ("Russia has denied involvement", "X denied it was behind")."""
    out: list[Claim] = []
    for token in sent:
        if token.lemma_ not in cues.DENIAL_VERBS or token.pos_ != "VERB":
            continue
        subj = next((c for c in token.children if c.dep_ == "nsubj"), None)
        if subj is None or subj.pos_ == "PRON":
            continue
        rel = rules.Relation("deny", token)
        probe = rules.relations(subj)
        if not any(r.kind == "deny" for r in probe):
            continue
        first, last = rules.phrase(_claimant_head(subj))
        span = sent.doc[first : last + 1]
        country = state_of(span.text) or next((state_of(t.text) for t in span if state_of(t.text)), None)
        kind = "state" if country else ("group" if any(t.pos_ == "PROPN" for t in span) else "other")
        if kind == "other" and not any(t.pos_ == "PROPN" for t in span):
            continue
        actor = ClaimActor(span.text, span.start_char, span.end_char, kind, country)
        pseudo = ActorMention(actor=actor, head=subj.i, first=first, last=last)
        claim = _build(sent, pseudo, rel, memory, doc_id)
        if claim is not None:
            out.append(claim)
    return out


def _not_attributed_claims(sent: SpacySpan, memory: _Memory, doc_id: str) -> list[Claim]:
    out: list[Claim] = []
    doc = sent.doc
    for subj, verb in rules.not_attributed(sent):
        claimant = None
        entity = None
        if subj is not None and (subj.pos_ != "PRON" or _wanted_kind(subj) is not None):
            first, last = rules.phrase(subj)
            claimant = _mention(doc, first, last)
            entity = _entity_for(claimant.text, memory)
            referent = _resolve(subj, claimant, memory)
            if referent is not None:
                entity = referent.entity or entity
        actor = ClaimActor(text="", start=verb.idx, end=verb.idx, kind="other")
        evidence = Mention(sent.start_char, sent.end_char, sent.text)
        claim_id = make_id(
            "claim", doc=doc_id, sentence=[evidence.start, evidence.end], stance="not-attributed"
        )
        out.append(Claim(claim_id, None, claimant, actor, "not-attributed", evidence, None, entity))
    return out


def _sentence_claims(
    sent: SpacySpan, entities: tuple[Entity, ...], kb: object | None, memory: _Memory, doc_id: str
) -> list[Claim]:
    if _is_debris(sent) or _NO_COMMENT.search(sent.text):
        return []
    doc = sent.doc
    claims = _not_attributed_claims(sent, memory, doc_id)
    for mention in find_actors(sent, entities, kb):
        token = doc[mention.head]
        if mention.actor.text.lower() in cues.GENERIC_ACTOR_HEADS or is_conditional(token):
            continue
        for rel in rules.relations(token):
            if rel.predicate.i not in range(sent.start, sent.end):
                continue
            if is_habitual(rel) or is_conditional(rel.predicate):
                continue
            claim = _build(sent, mention, rel, memory, doc_id)
            if claim is not None:
                claims.append(claim)
    if not any(c.stance == "denied" for c in claims):
        claims.extend(_denial_claims(sent, memory, doc_id))
    return _dedupe(claims)


def _dedupe(claims: list[Claim]) -> list[Claim]:
    seen: set[tuple[int, int, str]] = set()
    out: list[Claim] = []
    for claim in claims:
        key = (claim.actor.start, claim.actor.end, claim.stance)
        if key not in seen:
            seen.add(key)
            out.append(claim)
    return out


def extract_claims(
    doc_id: str, sdoc: Doc, entities: tuple[Entity, ...] = (), kb: object | None = None
) -> tuple[Claim, ...]:
    """Attribution claims of one document, in text order (``incident`` left ``None``)."""
    memory = _Memory(referents=_referents(sdoc, entities))
    for entity in entities:
        for m in entity.mentions:
            memory.by_text[m.text.lower().removeprefix("the ")] = entity.id
        memory.by_text[entity.canonical.lower()] = entity.id
    out: list[Claim] = []
    for sent in sentences(sdoc):
        out.extend(_sentence_claims(sent, entities, kb, memory, doc_id))
    return tuple(out)


if __name__ == "__main__":
    from threatledger.extract.batch import main

    main()
