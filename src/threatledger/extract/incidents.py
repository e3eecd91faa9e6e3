"""Incidents: the attacks a document describes, with victims, timeline, attackers as claimed and statements.

    incidents, claims = extract_incidents(document, sdoc, found, kb)

Sentences that describe an attack on a victim open or continue an incident; a victim phrase that shares a content
word or an acronym with an earlier victim continues that incident, any other victim opens a new one, and sentences
that only refer back ("the breach", "the attack", or a victim's name) continue the incident last mentioned. Claims
from :mod:`threatledger.extract.claims` take the incident of their sentence.

Page furniture weighs less than reporting. The lines above the first body sentence (headline, captions, byline,
dateline) are read last: a byline or dateline ("By Dana Ortiz, Coastal Ledger, published 2024-03-14") names the
outlet and author, which are never victims, and no incident; a headline names an incident only when the body names
no victim. Otherwise the headline joins the body incident that covers it (the same name, or a description such as
"Japan's cyber agency" for a body victim of the same country and sector) or is dropped.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from threatledger.extract import cues, timeline
from threatledger.extract import victims as victim_names
from threatledger.extract.claims import extract_claims, sentences
from threatledger.extract.victims import ATTACK_EVENT_TYPES, Named, VictimFinder, VictimRef, sector_of
from threatledger.ids import make_id
from threatledger.knowledge.countries import place_country
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
    from spacy.tokens import Doc
    from spacy.tokens import Span as SpacySpan

__all__ = ["NAME", "VERSION", "claim_json", "extract_incidents", "incident_json"]

NAME = "incidents"
VERSION = "1"

_ATTACK_WORDS = cues.ATTACK_NOUNS | cues.words("hack hacked breached compromised hit")
_GENERIC_REFERENCES = cues.words("attack cyberattack incident activity operation campaign")
_STOP = cues.words("the a an of for and its his her their our japan’s 's ’s national")
_TYPES = (
    ("ransomware", cues.words("ransomware ransom")),
    ("ddos", cues.words("ddos denial-of-service")),
    ("phishing", cues.words("phishing spear-phishing")),
    ("supply-chain", cues.words("supply-chain")),
    ("data-breach", cues.words("leak leaked data-breach stole stolen exposed exfiltrated skimming skimmer")),
)
_PATCH_WORDS = cues.words("patch patched patches fix fixed update updated")
_SENTENCE_END = re.compile(r"[.!?][\"'”’)\]]*$")
_BYLINE = re.compile(r"^\W*by\s+[A-Z]", re.IGNORECASE)
_LINE_PARTS = re.compile(r"\s*(?:[,|•·—–]|\s-\s)\s*")
_LINE_CUES = re.compile(
    r"(?i)^(?:by|published|posted|updated|dated|on)\b\s*:?\s*|\s+(?:published|posted|updated|on)$"
)
_MAX_LINE_WORDS = 16


@dataclass(slots=True)
class _Draft:
    """An incident while the document is read."""

    victim: Mention
    keys: set[str]
    acronyms: set[str]
    named: Named | None = None
    kinds: set[str] = field(default_factory=set)
    words_about: set[str] = field(default_factory=set)
    country: str | None = None
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
            if draft.named is not None and draft.named.org and draft.named.text in sent.text:
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

    def _named_match(self, named: Named) -> _Draft | None:
        for draft in reversed(self.drafts):
            if draft.named is not None and victim_names.same_name(named, draft.named):
                return draft
        if named.state_asset:
            return self._match(named.mention)
        acronyms = _acronyms(named.text) | {w for w in named.text.split() if w.isupper()}
        for draft in self.drafts:
            if acronyms & draft.acronyms:
                return draft
            # a name joins the phrase-only incident it shares a content word with ("cybersecurity agency")
            if draft.named is None and _content(named.text) & draft.keys:
                return draft
        return None

    def _take(self, ref: VictimRef, sent: SpacySpan) -> _Draft | None:
        named = ref.named
        if named is None:
            return self.current
        draft = self._named_match(named)
        if draft is None and ref.by_reference and self.current is not None and self.current.named is None:
            draft = self.current  # "it" names what the article was already talking about
        if draft is None:
            draft = _Draft(victim=named.mention, keys=set(), acronyms=set())
            self.drafts.append(draft)
        if draft.named is None and not named.state_asset:
            draft.named = named
        draft.keys |= _content(named.text)
        draft.acronyms |= _acronyms(named.text)
        draft.kinds.add(ref.kind)
        draft.words_about |= set(named.words)
        draft.country = draft.country or named.country
        return draft

    def read(self, sent: SpacySpan, refs: list[VictimRef]) -> _Draft | None:
        chosen: _Draft | None = None
        for ref in refs:
            draft = self._take(ref, sent)
            chosen = chosen or draft
        if chosen is None:
            chosen = self._mentioned(sent)
        if chosen is None:
            chosen = self._referred(sent)
        if chosen is not None:
            self.current = chosen
            chosen.sentences.append(sent)
        return chosen


def _victim_record(draft: _Draft, text: str) -> Victim | None:
    named = draft.named
    if named is not None and named.anonymous:
        return None  # an unnamed organisation: no name to resolve incidents across reports by
    entity = named.entity if named is not None else None
    if named is not None and not named.state_asset:
        name = named.text
        if entity is not None and entity.type == "organization" and entity.aliases:
            # "National Center ... (NISC)": the form the article uses most
            forms = [entity.name, *entity.aliases]
            name = max(forms, key=lambda f: (text.count(f), -len(f)))
    else:
        names = sorted(draft.acronyms, key=lambda a: -text.count(a))
        name = names[0] if names else re.sub(r"^(the|a|an)\s+", "", draft.victim.text, flags=re.IGNORECASE)
    country = draft.country
    if country is None:
        for word in re.findall(r"[A-Z][\w.]*(?: [A-Z][\w.]*)?", draft.victim.text):
            country = place_country(word.removesuffix("’s").removesuffix("'s"))
            if country:
                break
    words = draft.words_about | set(re.findall(r"[a-z]+", draft.victim.text.lower()))
    return Victim(
        name=name, entity=entity.id if entity is not None else None, country=country, sector=sector_of(words)
    )


def _incident_type(draft: _Draft) -> str:
    for event_type in draft.event_types:
        if event_type in ATTACK_EVENT_TYPES:
            return event_type
    if draft.kinds == {"vulnerability"}:
        for event_type in draft.event_types:
            if event_type.startswith("vulnerability"):
                return event_type
        return "vulnerability-patch" if draft.words & _PATCH_WORDS else "vulnerability-discovery"
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
    victim = _victim_record(draft, document.text)
    kind = _incident_type(draft)
    label = victim.name if victim is not None else f"Unnamed {draft.victim.text.lower()}"
    incident_id = make_id("incident", doc=document.id, victim=label.lower(), type=kind)
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
        title=f"{label}: {kind.replace('-', ' ')}",
        victims=(victim,) if victim is not None else (),
        attackers=tuple(attackers),
        timeline=slots,
        dwell_days=dwell,
        compromised_data=tuple(draft.data),
        statements=tuple(draft.statements),
    )


@dataclass(slots=True)
class _Furniture:
    """The head lines of a document: headline (and captions) and bylines or datelines, by sentence index."""

    headlines: set[int] = field(default_factory=set)
    bylines: set[int] = field(default_factory=set)
    names: list[str] = field(default_factory=list)  # outlets and authors the bylines and datelines name


def _is_line(sent: SpacySpan) -> bool:
    """A sentence that is a whole line without a sentence's closing punctuation ("Patch now: flaw exploited")."""
    ends_line = "\n" in sent[-1].text_with_ws or sent[-1].is_space or sent.end == len(sent.doc)
    starts_line = sent.start == 0 or "\n" in sent.doc[sent.start - 1].text_with_ws
    return ends_line and starts_line and not _SENTENCE_END.search(sent.text.strip())


def _line_names(text: str, dates: list[TimeExpression], offset: int) -> list[str]:
    """The outlet and author of a byline or dateline: "By Dana Ortiz, Coastal Ledger, published 2024-03-14"."""
    for expression in sorted(dates, key=lambda d: -d.start):
        start, end = expression.start - offset, expression.end - offset
        if 0 <= start < end <= len(text):
            text = text[:start] + "," + text[end:]
    names = []
    for part in _LINE_PARTS.split(text.strip(" \n*_#")):
        part = _LINE_CUES.sub("", part.strip(" *_#")).strip(" *_#:")
        if part[:1].isupper() and not any(ch.isdigit() for ch in part) and len(part.split()) <= 6:
            names.append(part)
    return names


def _furniture(document: Document, sents: list[SpacySpan], dates: list[TimeExpression]) -> _Furniture:
    """Head lines: the lines before the first body sentence, and any line that repeats the document's title."""
    title = " ".join((document.title or "").casefold().replace("’", "'").split())
    out = _Furniture()
    for i, sent in enumerate(sents):
        text = " ".join(sent.text.strip(" \n*_#").casefold().replace("’", "'").split())
        if not (_is_line(sent) or (title and text == title)) or len(sent.text.split()) > _MAX_LINE_WORDS * 2:
            break
        dated = any(sent.start_char <= d.start < sent.end_char and d.kind == "date" for d in dates)
        if (
            (dated or _BYLINE.match(sent.text))
            and len(sent.text.split()) <= _MAX_LINE_WORDS
            and text != title
        ):
            out.bylines.add(i)
            out.names.extend(_line_names(sent.text, dates, sent.start_char))
        else:
            out.headlines.add(i)
    for name in (document.author, document.publisher):
        if name and (" " in name.strip() or "." not in name):  # an outlet's domain is no name
            out.names.append(name)
    return out


def _covering(reader: _Reader, refs: list[VictimRef]) -> _Draft | None:
    """The body incident a headline's victim belongs to: the same name, or a description that fits it."""
    for ref in refs:
        named = ref.named
        if named is None:
            continue
        draft = reader._named_match(named)
        if draft is not None:
            return draft
        if named.org and not named.state_asset:
            continue  # a name the body does not use is no description of a body victim
        words = set(named.words) | _content(named.text)
        for draft in reader.drafts:
            if draft.country is not None and named.country is not None and draft.country != named.country:
                continue
            own = draft.words_about | _content(draft.victim.text) | draft.keys
            stems = {w[:5] for w in own if len(w) >= 5}
            if sector_of(words) is not None and sector_of(words) == sector_of(own):
                return draft
            if any(w[:5] in stems for w in _content(named.text) if len(w) >= 5):
                return draft
    return None


def _add_sentence(draft: _Draft, sent: SpacySpan, dates: list[TimeExpression]) -> None:
    draft.words |= {t.lower_ for t in sent}
    draft.lemmas |= {t.lemma_ for t in sent}
    _place_dates(draft, sent, dates)
    draft.data.extend(timeline.compromised_data(sent))
    draft.statements.extend(timeline.scope_statements(sent))


def extract_incidents(
    document: Document, sdoc: Doc, found: Extraction, kb: object | None = None
) -> tuple[tuple[Incident, ...], tuple[Claim, ...]]:
    """Incidents of one document and its attribution claims, each claim pointing at its incident."""
    claims = extract_claims(document.id, sdoc, found.entities, kb)
    reader = _Reader()
    dates = sorted(found.dates, key=lambda d: d.start)
    sents = list(sentences(sdoc))
    furniture = _furniture(document, sents, dates)
    finder = VictimFinder(sdoc, found.entities, dates, sources=furniture.names)
    sentence_draft: dict[int, _Draft] = {}
    refs = [finder.read(sent, found.events) for sent in sents]
    for i in furniture.bylines:
        refs[i] = []
    body_named = any(
        r.named is not None
        for i, found_refs in enumerate(refs)
        if i not in furniture.headlines
        for r in found_refs
    )
    headlines: list[tuple[SpacySpan, list[VictimRef]]] = []
    if body_named:
        for i in sorted(furniture.headlines):
            headlines.append((sents[i], refs[i]))
            refs[i] = []
    elif not any(r.named is not None for found_refs in refs for r in found_refs):
        fallback = finder.fallback(sents)
        if fallback is not None:
            refs[sents.index(fallback[0])] = [fallback[1]]
    for i, (sent, sent_refs) in enumerate(zip(sents, refs, strict=True)):
        if i in furniture.headlines and body_named:
            continue
        draft = reader.read(sent, sent_refs)
        if draft is None:
            continue
        sentence_draft[sent.start_char] = draft
        _add_sentence(draft, sent, dates)
    for sent, sent_refs in headlines:
        draft = _covering(reader, sent_refs)
        if draft is not None:
            draft.sentences.insert(0, sent)
            sentence_draft[sent.start_char] = draft
            _add_sentence(draft, sent, dates)
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
