"""Incidents: the attacks a document describes, with victims, timeline, attackers as claimed and statements.

    incidents, claims = extract_incidents(document, sdoc, found, kb)

Sentences that describe an attack on a victim open or continue an incident; a victim phrase that shares a content
word or an acronym with an earlier victim continues that incident, any other victim opens a new one, and sentences
that only refer back ("the breach", "the attack", or a victim's name) continue the incident last mentioned. Claims
from :mod:`threatledger.extract.claims` take the incident of their sentence.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from threatledger.extract import cues, timeline
from threatledger.extract.actors import state_of
from threatledger.extract.claims import extract_claims, sentences
from threatledger.ids import make_id
from threatledger.model import (
    Claim,
    DatePoint,
    Document,
    Extraction,
    Incident,
    Mention,
    TimeExpression,
    Victim,
    to_json,
)

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token
    from spacy.tokens import Span as SpacySpan

__all__ = ["NAME", "VERSION", "claim_json", "extract_incidents", "incident_json"]

NAME = "incidents"
VERSION = "1"

_VICTIM_VERBS = cues.words(
    "hack breach compromise infiltrate penetrate attack hit target infect encrypt disrupt"
)
_ATTACK_WORDS = cues.ATTACK_NOUNS | cues.words("hack hacked breached compromised hit")
_PHRASE_STOPS = cues.words("in by with since after before during")
_GENERIC_REFERENCES = cues.words("attack cyberattack incident activity operation campaign")
_STOP = cues.words("the a an of for and its his her their our japan’s 's ’s national")
_SECTORS = (
    ("government", cues.words("agency ministry government department center centre office cabinet council")),
    ("defense", cues.words("defense defence military army navy")),
    ("transportation", cues.words("port airport airline railway rail shipping logistics")),
    ("financial", cues.words("bank banks exchange insurer payment")),
    ("healthcare", cues.words("hospital health clinic healthcare")),
    ("education", cues.words("university school college")),
    ("energy", cues.words("energy power grid pipeline utility")),
)
_TYPES = (
    ("ransomware", cues.words("ransomware ransom")),
    ("ddos", cues.words("ddos denial-of-service")),
    ("phishing", cues.words("phishing spear-phishing")),
    ("data-breach", cues.words("leak leaked data-breach")),
)


@dataclass(slots=True)
class _Draft:
    """An incident while the document is read."""

    victim: Mention
    keys: set[str]
    acronyms: set[str]
    sentences: list[SpacySpan] = field(default_factory=list)
    words: set[str] = field(default_factory=set)
    lemmas: set[str] = field(default_factory=set)
    event_types: list[str] = field(default_factory=list)
    timeline: dict[str, DatePoint] = field(default_factory=dict)
    dwell: int | None = None
    data: list[Mention] = field(default_factory=list)
    statements: list[dict[str, Any]] = field(default_factory=list)


def _content(text: str) -> set[str]:
    """Content words of a victim phrase (country names left out: they are shared by unrelated victims)."""
    found = re.findall(r"[a-z][a-z\-]+", text.lower())
    return {w for w in found if w not in _STOP and w not in cues.STATES and len(w) > 2}


def _acronyms(text: str) -> set[str]:
    return {w for w in re.findall(r"\b[A-Z]{2,10}\b", text) if w.lower() not in cues.STATES}


def _victim_phrase(token: Token) -> Mention:
    doc = token.doc
    first = min([token.i, *(c.left_edge.i for c in token.lefts)])
    last = token.i
    for child in token.rights:
        if child.dep_ in {"prep", "appos", "compound"} and child.lower_ not in _PHRASE_STOPS:
            last = max(last, child.right_edge.i)
        elif (child.dep_ == "punct" and child.text == ")") or child.dep_ == "appos":
            last = max(last, child.i)
    while last > first and doc[last].is_punct and doc[last].text != ")":
        last -= 1
    # "National Center ... (NISC)": the acronym that follows names the victim too
    if (
        last + 3 < len(doc)
        and doc[last + 1].text == "("
        and doc[last + 2].is_upper
        and doc[last + 3].text == ")"
    ):
        last += 3
    span = doc[first : last + 1]
    return Mention(span.start_char, span.end_char, span.text)


def _victims(sent: SpacySpan) -> list[Token]:
    """Heads of the phrases naming what was attacked in the sentence."""
    out: list[Token] = []
    for token in sent:
        head = token.head
        if (
            (token.dep_ == "dobj" and head.lemma_ in _VICTIM_VERBS and head.pos_ == "VERB")
            or (token.dep_ == "nsubjpass" and head.lemma_ in _VICTIM_VERBS)
            or (
                token.dep_ == "pobj"
                and head.lower_ in {"on", "against"}
                and head.head.lemma_ in _ATTACK_WORDS
            )
        ):
            out.append(token)
    return [
        t for t in out if t.lower_ not in {"which", "that", "who"} and t.lower_ not in timeline.DATA_HEADS
    ]


def _main_subject(sent: SpacySpan) -> Token | None:
    """The named subject of the sentence's main verb: the antecedent of "it" in "... after it was hacked"."""
    subj = next((c for c in sent.root.children if c.dep_ == "nsubj"), None)
    if subj is None or subj.pos_ not in {"PROPN", "NOUN"}:
        return None
    return subj


class _Reader:
    """Walks the sentences of one document and keeps the incidents it finds."""

    def __init__(self) -> None:
        self.drafts: list[_Draft] = []
        self.current: _Draft | None = None

    def _match(self, mention: Mention) -> _Draft | None:
        keys = _content(mention.text)
        acronyms = _acronyms(mention.text) | {w for w in mention.text.split() if w.isupper()}
        for draft in self.drafts:
            if keys & draft.keys or acronyms & draft.acronyms:
                return draft
        return None

    def _mentioned(self, sent: SpacySpan) -> _Draft | None:
        names = {t.text for t in sent if t.text.isupper() and len(t.text) > 1}
        for draft in reversed(self.drafts):
            if names & draft.acronyms:
                return draft
        return None

    def _referred(self, sent: SpacySpan) -> _Draft | None:
        """The incident a definite reference points back to ("the breach" -> the incident told as a breach)."""
        nouns = [t for t in sent if t.lemma_ in _ATTACK_WORDS and t.pos_ == "NOUN"]
        if not nouns:
            return None
        for noun in nouns:
            definite = any(c.lower_ in {"the", "this", "that"} for c in noun.children)
            if not definite or noun.lemma_ in _GENERIC_REFERENCES:
                continue
            if self.current is not None and noun.lemma_ in self.current.lemmas:
                return self.current
            for draft in reversed(self.drafts):
                if noun.lemma_ in draft.lemmas:
                    return draft
        return self.current

    def read(self, sent: SpacySpan) -> _Draft | None:
        victims = _victims(sent)
        chosen: _Draft | None = None
        for token in victims:
            if token.pos_ == "PRON":
                chosen = chosen or self.current
                antecedent = _main_subject(sent)
                if chosen is not None and antecedent is not None:
                    phrase = _victim_phrase(antecedent)
                    chosen.keys |= _content(phrase.text)
                    chosen.acronyms |= _acronyms(phrase.text)
                continue
            mention = _victim_phrase(token)
            draft = self._match(mention)
            vague = not _content(mention.text)  # "Japan", "it": no content word of its own
            if draft is None and vague and "another" not in sent.text.lower() and self.current is not None:
                draft = self.current
            if draft is None:
                draft = _Draft(victim=mention, keys=set(), acronyms=set())
                self.drafts.append(draft)
            draft.keys |= _content(mention.text)
            draft.acronyms |= _acronyms(mention.text)
            chosen = chosen or draft
        if chosen is None:
            chosen = self._mentioned(sent)
        if chosen is None:
            chosen = self._referred(sent)
        if chosen is not None:
            self.current = chosen
            chosen.sentences.append(sent)
        return chosen


def _victim_record(draft: _Draft, text: str, entity_ids: dict[str, str]) -> Victim:
    victim = draft.victim.text
    names = sorted(draft.acronyms, key=lambda a: -text.count(a))
    name = names[0] if names else re.sub(r"^(the|a|an)\s+", "", victim, flags=re.IGNORECASE)
    country = None
    for word in re.findall(r"[A-Z][\w.]*(?: [A-Z][\w.]*)?", victim):
        country = state_of(word.removesuffix("’s").removesuffix("'s"))
        if country:
            break
    lower = set(re.findall(r"[a-z]+", victim.lower()))
    sector = next((s for s, terms in _SECTORS if lower & terms), None)
    return Victim(name=name, entity=entity_ids.get(name.lower()), country=country, sector=sector)


def _incident_type(draft: _Draft) -> str:
    for event_type in draft.event_types:
        lowered = event_type.lower()
        for kind, terms in _TYPES:
            if any(t.replace("-", "") in lowered for t in terms):
                return kind
    for kind, terms in _TYPES:
        if draft.words & terms:
            return kind
    return "data-breach" if draft.data else "intrusion"


def _place_dates(draft: _Draft, sent: SpacySpan, dates: list[TimeExpression]) -> None:
    for expression in dates:
        if expression.kind != "date" or not (sent.start_char <= expression.start < sent.end_char):
            continue
        slot = timeline.date_slot(sent.doc, expression)
        if slot is not None and slot not in draft.timeline:
            evidence = Mention(expression.start, expression.end, expression.text)
            draft.timeline[slot] = DatePoint(expression.value, expression.granularity, evidence)
    if draft.dwell is None:
        draft.dwell = timeline.stated_dwell(sent, dates)


def _reported(document: Document, dates: list[TimeExpression]) -> DatePoint | None:
    if not document.published:
        return None
    day = document.published[:10]
    for expression in dates:
        if expression.value == day:
            return DatePoint(day, "day", Mention(expression.start, expression.end, expression.text))
    return DatePoint(day, "day", Mention(0, 0, ""))


def _finish(draft: _Draft, document: Document, found: Extraction, claims: list[Claim]) -> Incident:
    entity_ids = {e.canonical.lower(): e.id for e in found.entities} | {
        m.text.lower(): e.id for e in found.entities for m in e.mentions
    }
    victim = _victim_record(draft, document.text, entity_ids)
    kind = _incident_type(draft)
    incident_id = make_id("incident", doc=document.id, victim=victim.name.lower(), type=kind)
    attackers: list[str] = []
    for claim in claims:
        if claim.stance in {"asserted", "suspected", "confirmed", "claimed-responsibility"}:
            name = claim.actor.canonical or claim.actor.text
            if name and name not in attackers:
                attackers.append(name)
    slots = dict(draft.timeline)
    reported = _reported(document, list(found.dates))
    if reported is not None:
        slots["reported"] = reported
    dwell = draft.dwell
    if dwell is None and "compromised" in slots and "discovered" in slots:
        dwell = timeline.dwell_days(slots["compromised"], slots["discovered"])
    return Incident(
        id=incident_id,
        type=kind,
        title=f"{victim.name}: {kind.replace('-', ' ')}",
        victims=(victim,),
        attackers=tuple(attackers),
        timeline=slots,
        dwell_days=dwell,
        compromised_data=tuple(draft.data),
        statements=tuple(draft.statements),
    )


def extract_incidents(
    document: Document, sdoc: Doc, found: Extraction, kb: object | None = None
) -> tuple[tuple[Incident, ...], tuple[Claim, ...]]:
    """Incidents of one document and its attribution claims, each claim pointing at its incident."""
    claims = extract_claims(document.id, sdoc, found.entities, kb)
    reader = _Reader()
    dates = sorted(found.dates, key=lambda d: d.start)
    sentence_draft: dict[int, _Draft] = {}
    for sent in sentences(sdoc):
        draft = reader.read(sent)
        if draft is None:
            continue
        sentence_draft[sent.start_char] = draft
        draft.words |= {t.lower_ for t in sent}
        draft.lemmas |= {t.lemma_ for t in sent}
        _place_dates(draft, sent, dates)
        draft.data.extend(timeline.compromised_data(sent))
        draft.statements.extend(timeline.scope_statements(sent))
    for event in found.events:
        for draft in reader.drafts:
            if any(s.start_char <= event.trigger.start < s.end_char for s in draft.sentences):
                draft.event_types.append(event.type)
    by_draft: dict[int, list[Claim]] = {}
    placed: list[Claim] = []
    for claim in claims:
        draft = sentence_draft.get(claim.evidence.start)
        if draft is not None:
            by_draft.setdefault(id(draft), []).append(claim)
        placed.append(claim)
    incidents = [_finish(d, document, found, by_draft.get(id(d), [])) for d in reader.drafts]
    ids = {id(d): inc.id for d, inc in zip(reader.drafts, incidents, strict=True)}
    placed = [dataclasses.replace(c, incident=_incident_for(c, sentence_draft, ids)) for c in placed]
    return tuple(incidents), tuple(placed)


def _incident_for(claim: Claim, sentence_draft: dict[int, _Draft], ids: dict[int, str]) -> str | None:
    """The incident of the claim's sentence; a claim before any incident (a headline) takes the next one."""
    draft = sentence_draft.get(claim.evidence.start)
    if draft is None:
        later = [start for start in sentence_draft if start > claim.evidence.start]
        if not later:
            return None
        draft = sentence_draft[min(later)]
    return ids.get(id(draft))


def _span(mention: Mention | None, entity: str | None = None) -> dict[str, Any] | None:
    if mention is None:
        return None
    out: dict[str, Any] = {"text": mention.text, "start": mention.start, "end": mention.end}
    if entity:
        out["entity"] = entity
    return out


def claim_json(claim: Claim) -> dict[str, Any]:
    """A claim in the format the claims scorer reads."""
    actor: dict[str, Any] = {
        "text": claim.actor.text,
        "start": claim.actor.start,
        "end": claim.actor.end,
        "kind": claim.actor.kind,
    }
    if claim.actor.canonical:
        actor["canonical"] = claim.actor.canonical
    return {
        "id": claim.id,
        "incident": claim.incident,
        "claimant": _span(claim.claimant, claim.claimant_entity),
        "cites": _span(claim.cites),
        "actor": actor,
        "stance": claim.stance,
        "evidence": _span(claim.evidence),
    }


def incident_json(incident: Incident) -> dict[str, Any]:
    """An incident as plain JSON (victims' unknown fields left out)."""
    return {
        "id": incident.id,
        "type": incident.type,
        "title": incident.title,
        "victims": [to_json(v) for v in incident.victims],
        "attackers": list(incident.attackers),
        "timeline": {
            slot: {"value": p.value, "granularity": p.granularity, "evidence": _span(p.evidence)}
            for slot, p in incident.timeline.items()
        },
        "dwell_days": incident.dwell_days,
        "compromised_data": [_span(m) for m in incident.compromised_data],
        "statements": [dict(s) for s in incident.statements],
    }
