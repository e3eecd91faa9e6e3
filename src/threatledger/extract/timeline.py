"""Incident timelines, dwell time, compromised data and scope statements, read from one sentence at a time.

A date joins the timeline slot named by the verb that governs it: "hacked in October last year" -> compromised,
"discovered ... in 2020" -> discovered, "announced in August" -> disclosed. The article's publication date is the
``reported`` slot. Dwell time is discovered minus compromised in days at the coarser granularity of the two, or a
stated duration ("for nine months before being discovered").
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from threatledger.extract import cues
from threatledger.model import DatePoint, Mention, TimeExpression

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token
    from spacy.tokens import Span as SpacySpan

__all__ = [
    "DATA_HEADS",
    "compromised_data",
    "date_slot",
    "duration_days",
    "dwell_days",
    "scope_statements",
    "stated_dwell",
]

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?")
DATA_HEADS = cues.words(
    """data information records emails email messages files documents credentials passwords details database
    databases accounts mailboxes correspondence"""
)
_DATA_VERBS = cues.words(
    "compromise steal leak access expose exfiltrate obtain take dump publish breach copy"
)
_SCOPE_NOUNS = cues.words("scale scope extent severity impact size number amount level depth breadth")
_DWELL_VERBS = cues.words("discover detect notice spot uncover find identify")


def _governing_verb(doc: Doc, start: int, end: int) -> Token | None:
    span = doc.char_span(start, end, alignment_mode="expand")
    if span is None:
        return None
    for node in [span.root, *span.root.ancestors]:
        if node.pos_ in {"VERB", "AUX"} and node.lemma_ != "be":
            return node
    return None


def date_slot(doc: Doc, expression: TimeExpression) -> str | None:
    """The timeline slot a dated expression fills, from the verbs that govern it."""
    verb = _governing_verb(doc, expression.start, expression.end)
    if verb is None:
        return None
    chain = [verb, *[c for c in verb.children if c.dep_ in {"xcomp", "ccomp", "advcl"}]]
    for node in chain:
        for slot, lemmas in cues.TIMELINE_VERBS.items():
            if node.lemma_ in lemmas:
                return slot
    return None


def duration_days(value: str) -> int | None:
    """ISO-8601 duration in days (months count 30, years 365): "P9M" -> 270."""
    match = _DURATION.match(value)
    if not match or not any(match.groups()):
        return None
    years, months, weeks, days = (int(g) if g else 0 for g in match.groups())
    return years * 365 + months * 30 + weeks * 7 + days


def _parts(value: str) -> tuple[int, int | None, int | None] | None:
    match = _DATE.match(value)
    if not match:
        return None
    year, month, day = match.groups()
    return int(year), int(month) if month else None, int(day) if day else None


def dwell_days(compromised: DatePoint, discovered: DatePoint) -> int | None:
    """Discovered minus compromised in days, compared at the coarser granularity of the two."""
    a, b = _parts(compromised.value), _parts(discovered.value)
    if a is None or b is None:
        return None
    if a[1] is None or b[1] is None:
        return (b[0] - a[0]) * 365
    if a[2] is None or b[2] is None:
        return ((b[0] - a[0]) * 12 + (b[1] - a[1])) * 30
    import datetime as dt

    return (dt.date(b[0], b[1], b[2]) - dt.date(a[0], a[1], a[2])).days


def stated_dwell(sent: SpacySpan, dates: list[TimeExpression]) -> int | None:
    """A duration that measures time undetected: "for nine months before being discovered"."""
    doc = sent.doc
    for expression in dates:
        if expression.kind != "duration" or not (sent.start_char <= expression.start < sent.end_char):
            continue
        days = duration_days(expression.value)
        span = doc.char_span(expression.start, expression.end, alignment_mode="expand")
        if days is None or span is None:
            continue
        window = doc[span.end : min(span.end + 6, sent.end)]
        if any(t.lemma_ in _DWELL_VERBS for t in window) or any(t.lower_ == "undetected" for t in window):
            return days
    return None


def compromised_data(sent: SpacySpan) -> list[Mention]:
    """Noun phrases naming data that was stolen, accessed or exposed."""
    out: list[Mention] = []
    for token in sent:
        if token.lemma_ not in DATA_HEADS and token.lower_ not in DATA_HEADS:
            continue
        verb = token.head
        role_ok = (token.dep_ == "nsubjpass" and verb.lemma_ in _DATA_VERBS) or (
            token.dep_ == "dobj" and verb.lemma_ in _DATA_VERBS
        )
        if not role_ok:
            continue
        first = token.left_edge.i
        last = token.right_edge.i
        span = sent.doc[first : last + 1]
        out.append(Mention(span.start_char, span.end_char, span.text))
    return out


def scope_statements(sent: SpacySpan) -> list[dict[str, Any]]:
    """Statements that dispute how far an intrusion went ("X disputed the scale of access")."""
    out: list[dict[str, Any]] = []
    for token in sent:
        if token.lemma_ not in cues.DISPUTE_VERBS | cues.DENIAL_VERBS or token.pos_ != "VERB":
            continue
        if not any(c.dep_ == "dobj" and c.lemma_ in _SCOPE_NOUNS for c in token.children):
            continue
        subj = next((c for c in token.children if c.dep_ == "nsubj"), None)
        claimant = None
        if subj is not None:
            first = min(c.left_edge.i for c in (subj, *subj.lefts))
            span = sent.doc[first : subj.i + 1]
            claimant = {"text": span.text, "start": span.start_char, "end": span.end_char}
        out.append(
            {
                "kind": "disputed-scope",
                "claimant": claimant,
                "text": sent.text,
                "start": sent.start_char,
                "end": sent.end_char,
            }
        )
    return out
