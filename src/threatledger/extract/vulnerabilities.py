"""Vulnerabilities: the CVE ids a document names, each with the product and the vendor its sentences tie it to.

The ids and their spans come from the indicator extractor; this module reads the sentence around each mention
(spaCy's parse) and reports a product or vendor only where the wording is one of a few clear patterns:

    product after the id      "CVE-2022-40684 in FortiOS", "CVE-2023-23397, a critical flaw in Outlook for Windows"
    product before the id     "the Citrix ADC flaw (CVE-2019-19781)", "an Apache Struts vulnerability, CVE-2017-5638"
    vendor inside the product "Microsoft Exchange Server": an organisation entity that starts the product name
    vendor as the fixer       "Fortinet fixed CVE-2022-40684": an organisation that is the subject of patch, fix,
                              address, release, ... in the sentence
    the event model           a vulnerable_system / vulnerable_system_owner argument of a vulnerability event in the
                              same sentence, when neither pattern found one

The first clear product and vendor over the id's mentions win. The records are the ``"vulnerabilities"`` of
``threatledger extract --format jsonl`` and are stored with the rest of a document's extraction. Measured on CASIE
by ``training/vulnerabilities.py`` (docs/quality.md).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from threatledger.extract import cues
from threatledger.model import Entity, Event, Indicator, Mention, Vulnerability

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

__all__ = ["NAME", "VERSION", "extract_vulnerabilities", "stored_product_and_vendor"]

NAME = "vulnerabilities"
VERSION = "1"

_VULN_NOUNS = cues.words(
    "vulnerability vulnerabilities flaw flaws bug bugs issue issues zero-day zero-days 0-day weakness hole holes"
)
# words between a vulnerability noun and the id that keep them together: "the flaw, tracked as CVE-..."
_LINKS = cues.words("( , - – : as tracked dubbed designated identified labelled labeled named listed")
_PREPOSITIONS = cues.words("in affecting impacting within inside")
# nouns that may end a product name after its proper name: "Django app", "Motorola devices", "Siemens S7-400 CPUs"
_PRODUCT_NOUNS = cues.words(
    """app apps application applications appliance appliances browser browsers component components cpu cpus device
    devices driver drivers firmware framework gateway gateways kernel library libraries module modules platform
    plugin plug-in plugins product products protocol router routers server servers service software stack switch
    switches system systems"""
)
_FIX_VERBS = cues.words("patch fix address release issue resolve update plug close remediate ship correct")
_DETERMINERS = cues.words("the a an its their his her our")
_NOT_NAMES = frozenset({"DET", "PRON", "ADP", "CCONJ", "SCONJ", "AUX", "PART"})
_NOT_NAME_ENTITIES = frozenset({"DATE", "TIME", "PERCENT", "MONEY", "ORDINAL"})
_MAX_NAME = 8  # tokens in a product name
_MAX_GAP = 4  # descriptive words between a product name and its vulnerability noun ("remote code execution")


def extract_vulnerabilities(
    sdoc: Doc, indicators: Sequence[Indicator], entities: Sequence[Entity] = (), events: Sequence[Event] = ()
) -> tuple[Vulnerability, ...]:
    """One record per CVE id among ``indicators``, in order of first mention (offsets index ``sdoc.text``).

    Each sentence is read once however many ids it lists (IOC tables list hundreds in one "sentence")."""
    by_id: dict[str, list[Indicator]] = {}
    for ind in indicators:
        if ind.type == "cve":
            by_id.setdefault(ind.value.upper(), []).append(ind)
    if not by_id:
        return ()
    context = _Context(sdoc, entities, events, sorted(i.start for found in by_id.values() for i in found))
    out: list[Vulnerability] = []
    for cve_id, found in by_id.items():
        product: Mention | None = None
        vendor: tuple[Mention, str | None] | None = None
        for ind in found:
            span = sdoc.char_span(ind.start, ind.end, alignment_mode="expand")
            if span is None:
                continue
            sent = context.sentence(span)
            here = _product_after(span, sent) or _product_before(span, sent)
            if here is None:
                here = _named(sdoc, context.argument(sent, "vulnerable_system", span))
            if product is None and here is not None:
                product = here
            if vendor is None:
                vendor = context.vendor(sent, here, span)
        mentions = tuple(Mention(i.start, i.end, i.text) for i in found)
        out.append(
            Vulnerability(
                id=cve_id,
                mentions=mentions,
                product=product,
                vendor=vendor[0] if vendor else None,
                vendor_entity=vendor[1] if vendor else None,
            )
        )
    return tuple(out)


def stored_product_and_vendor(record: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The product and vendor texts of a vulnerability as stored (``to_json`` of a :class:`Vulnerability`)."""
    return (record.get("product") or {}).get("text"), (record.get("vendor") or {}).get("text")


class _Context:
    """One document's sentences, organisation mentions and events, with what is read once per sentence."""

    def __init__(
        self, sdoc: Doc, entities: Sequence[Entity], events: Sequence[Event], cve_starts: list[int]
    ) -> None:
        self.text = sdoc.text
        self.cve_starts = cve_starts  # where each CVE id mention starts, sorted
        self.sents = list(sdoc.sents)
        self.starts = [s.start for s in self.sents]
        self.orgs = sorted(
            (m.start, m.end, e.id) for e in entities if e.type == "organization" for m in e.mentions
        )
        self.events = [e for e in events if e.type.startswith("vulnerability")]
        self._fixer: dict[int, tuple[Mention, str | None] | None] = {}

    def sentence(self, span: Span) -> Span:
        return self.sents[bisect_right(self.starts, span.start) - 1]

    def orgs_in(self, sent: Span) -> list[tuple[int, int, str]]:
        lo = bisect_left(self.orgs, (sent.start_char, -1, ""))
        hi = bisect_left(self.orgs, (sent.end_char, -1, ""))
        return [o for o in self.orgs[lo:hi] if o[1] <= sent.end_char]

    def argument(self, sent: Span, role: str, cve: Span) -> Mention | None:
        """The first argument of ``role`` inside ``sent`` of a vulnerability event that has ``cve`` as its cve
        argument, or of any vulnerability event when the sentence names no other CVE id."""
        if not self.events:
            return None
        ids = bisect_left(self.cve_starts, sent.end_char) - bisect_left(self.cve_starts, sent.start_char)
        for event in self.events:
            linked = any(
                a.role == "cve" and a.start < cve.end_char and cve.start_char < a.end for a in event.arguments
            )
            if not (linked or ids <= 1):
                continue
            for arg in event.arguments:
                if arg.role == role and sent.start_char <= arg.start and arg.end <= sent.end_char:
                    return Mention(arg.start, arg.end, arg.text)
        return None

    def vendor(self, sent: Span, product: Mention | None, cve: Span) -> tuple[Mention, str | None] | None:
        text = self.text
        in_sentence = self.orgs_in(sent)
        if product is not None:
            for start, end, entity in in_sentence:
                # "Microsoft Exchange Server", "Microsoft's Exchange Server"
                if start == product.start and end < product.end:
                    return Mention(start, end, text[start:end]), entity
                if end <= product.start and text[end : product.start].strip() in {"'s", "’s"}:
                    return Mention(start, end, text[start:end]), entity
        if sent.start not in self._fixer:
            self._fixer[sent.start] = self._fixing_org(sent, in_sentence)
        if self._fixer[sent.start] is not None:
            return self._fixer[sent.start]
        owner = self.argument(sent, "vulnerable_system_owner", cve)
        return (owner, None) if owner is not None else None

    def _fixing_org(
        self, sent: Span, in_sentence: list[tuple[int, int, str]]
    ) -> tuple[Mention, str | None] | None:
        """An organisation that is the subject of patch, fix, address, release, ... in ``sent``."""
        for tok in sent:
            if tok.pos_ != "VERB" or tok.lemma_.lower() not in _FIX_VERBS:
                continue
            for child in tok.children:
                if child.dep_ != "nsubj":
                    continue
                for start, end, entity in in_sentence:
                    if start < child.idx + len(child.text) and child.idx < end:
                        return Mention(start, end, self.text[start:end]), entity
        return None


def _is_name(tok: Token) -> bool:
    """A token that can be part of a product name: a proper noun, or a capitalised or digit-bearing word."""
    if tok.is_punct or tok.is_space or tok.like_url or tok.text.upper().startswith("CVE-"):
        # a joiner inside a name: "S7-400", "Node.js" (spaCy keeps most of these in one token)
        return tok.text in {"-", "."} and tok.i > 0 and not tok.whitespace_ and not tok.nbor(-1).whitespace_
    if tok.pos_ in _NOT_NAMES or tok.ent_type_ in _NOT_NAME_ENTITIES:
        return False  # "The", "This", "in", "May 2018"
    text = tok.text
    return tok.pos_ == "PROPN" or text[:1].isupper() or any(c.isdigit() for c in text)


def _name_from(sent: Span, i: int) -> tuple[int, int] | None:
    """The product name starting at token ``i`` (token bounds), or None when none starts there."""
    doc = sent.doc
    if i < sent.start or i >= sent.end:
        return None
    if doc[i].lower_ in _DETERMINERS:
        i += 1
    start = i
    while i < sent.end and i - start < _MAX_NAME:
        tok = doc[i]
        if _is_name(tok) and tok.lower_ not in _VULN_NOUNS:
            i += 1
        elif tok.lower_ == "for" and i + 1 < sent.end and _is_name(doc[i + 1]) and i > start:
            i += 1  # "Outlook for Windows"
        else:
            break
    while i > start and doc[i - 1].text in {"-", "."}:
        i -= 1
    if i == start:
        return None
    while i < sent.end and doc[i].lower_ in _PRODUCT_NOUNS and i - start < _MAX_NAME:
        i += 1
    return start, i


def _mention(sent: Span, bounds: tuple[int, int]) -> Mention | None:
    span = sent.doc[bounds[0] : bounds[1]]
    if not any(c.isalpha() for c in span.text):
        return None
    return Mention(span.start_char, span.end_char, span.text)


def _product_after(cve: Span, sent: Span) -> Mention | None:
    """The name after the first preposition of place a few words after the id ("CVE-... in X", "CVE-..., a
    critical flaw in X")."""
    doc = sent.doc
    for i in range(cve.end, min(sent.end, cve.end + 10)):
        tok = doc[i]
        if tok.text in {";", "."} or (
            tok.lower_ in {"and", "while", "but", "which", "that"} and i > cve.end + 1
        ):
            return None
        if tok.lower_ in _PREPOSITIONS:
            bounds = _name_from(sent, i + 1)
            return _mention(sent, bounds) if bounds else None
    return None


def _product_before(cve: Span, sent: Span) -> Mention | None:
    """The name before the vulnerability noun that precedes the id ("the X flaw (CVE-...)", "an X remote code
    execution vulnerability, CVE-...")."""
    doc = sent.doc
    i = cve.start - 1
    while i >= sent.start and (doc[i].lower_ in _LINKS or doc[i].is_space):
        i -= 1
    if i < sent.start or doc[i].lower_ not in _VULN_NOUNS:
        return None
    end = i
    gap = 0
    while end - 1 >= sent.start and not _is_name(doc[end - 1]) and doc[end - 1].is_alpha and gap < _MAX_GAP:
        if doc[end - 1].lower_ in _DETERMINERS or doc[end - 1].pos_ not in {"ADJ", "NOUN", "VERB"}:
            return None
        end -= 1
        gap += 1
    start = end
    while start - 1 >= sent.start and _is_name(doc[start - 1]) and end - start < _MAX_NAME:
        start -= 1
    if start == end:
        return None
    return _mention(sent, (start, end))


def _named(sdoc: Doc, found: Mention | None) -> Mention | None:
    """``found`` when it holds a name ("Apache Struts servers", not "the software" or "the CVE number")."""
    if found is None or "cve" in found.text.lower():
        return None
    span = sdoc.char_span(found.start, found.end, alignment_mode="expand")
    if span is None or not any(_is_name(t) and t.is_alpha for t in span):
        return None
    if len(span) > 1 and span[-1].lower_ in _VULN_NOUNS:  # "Microsoft Exchange Server vulnerability"
        span = span[:-1]
        return Mention(span.start_char, span.end_char, span.text)
    return found
