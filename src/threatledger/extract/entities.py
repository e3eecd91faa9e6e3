"""Named entities: knowledge-base names, spaCy NER, an optional cyber NER model, acronyms and a few phrase rules.

Evidence sources, strongest first (a stronger span wins where two overlap):

    acronym   "Long Name (ACR)" defined in the document: one entity for both forms and every later bare "ACR"
    kb        the knowledge-base matcher (actors, malware, tools, countries, sectors; case rules in
              :mod:`threatledger.knowledge.matcher`)
    model     spans from the cyber NER model (``model_spans``), resolved through the knowledge base when it knows them
    phrase    "ministry of foreign affairs", "port of Nagoya": an institution head noun with its complement
    spacy     ORG -> organization, PERSON -> person, GPE -> country|location, LOC/FAC -> location,
              NORP -> country when it is a demonym ("Chinese" -> China)

:data:`RULES` (a :class:`MergeRules`) adds: model malware/tool names the knowledge base lacks are dropped when they
are common English words or (two or more words) spaCy persons, and type words are cut from the end of malware
spans ("X ransomware" -> "X"); spaCy organisations that no other span overlaps are kept when named like one
("Japan's Cabinet Office", "Sky News").

Mentions are grouped by (type, canonical); ``Entity.id`` is ``make_id("entity", type=..., canonical=...)``.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from threatledger.extract.entity_rules import RULES, MergeRules
from threatledger.extract.indicators import is_cve_id
from threatledger.ids import make_id
from threatledger.knowledge.countries import country_code, country_name
from threatledger.model import Entity, Mention

if TYPE_CHECKING:
    from spacy.tokens import Doc

    from threatledger.knowledge.base import KnowledgeBase, Target

__all__ = ["MODEL_LABELS", "NAME", "VERSION", "extract_entities"]

log = logging.getLogger(__name__)

NAME = "entities"
VERSION = "5"

MODEL_LABELS = {"GROUP": "threat-actor", "MALWARE": "malware", "TOOL": "tool", "ORG": "organization",
                "LOC": "location", "SECTOR": "sector"}  # fmt: skip
_PRIORITY = {"acronym": 5, "kb": 4, "model": 3, "phrase": 2, "spacy": 1}
_CYBER = frozenset({"malware", "tool", "threat-actor"})
_KB_TYPES = {"threat-actor": {"threat-actor"}, "malware": {"malware", "tool"}, "tool": {"tool", "malware"}}
_ORG_HEADS = frozenset(
    [
        "center",
        "centre",
        "agency",
        "office",
        "ministry",
        "department",
        "bureau",
        "institute",
        "council",
        "committee",
        "command",
        "service",
        "services",
        "authority",
        "commission",
        "corporation",
        "university",
        "association",
        "organization",
        "organisation",
        "force",
        "forces",
        "directorate",
        "administration",
        "board",
        "foundation",
        "unit",
        "division",
        "laboratory",
        "laboratories",
        "lab",
        "labs",
        "team",
        "group",
        "company",
        "inc",
        "ltd",
        "police",
        "court",
        "parliament",
        "bank",
    ]
)
# the last word of an organisation's or a news outlet's name ("the Washington Post", "the Financial Times")
_NAME_HEADS = _ORG_HEADS | frozenset(
    ["post", "times", "journal", "news", "herald", "tribune", "telegraph", "gazette", "chronicle", "press"]
)
_LOWER_TAIL = re.compile(r"(?:\s+[a-z][\w'’-]*)+$")
_LEADING = re.compile(r"^(?:the|a|an)\s+", re.IGNORECASE)
_TRAILING = re.compile(r"(?:\s*[’']s?|[\s.,;:])+$")
_ACRONYM = re.compile(r"\(\s*([A-Z][A-Za-z&]{1,9})\s*\)")
_PHRASE = re.compile(
    r"\b(?P<head>[Mm]inistry|[Dd]epartment|[Mm]inister)\s+(?:of|for)\s+(?:the\s+)?"
    r"(?P<body>(?:(?:[Ff]oreign|[Hh]ome|[Ii]nternal|[Pp]ublic|[Ss]tate|[Hh]omeland|[Nn]ational|[Ee]conomic|"
    r"[Dd]igital|[Ii]nformation)\s+)?(?:[Aa]ffairs|[Dd]efen[cs]e|[Jj]ustice|[Ss]ecurity|[Ff]inance|[Hh]ealth|"
    r"[Ii]nterior|[Ee]ducation|[Ee]nergy|[Cc]ommerce|[Tt]rade|[Ii]ndustry|[Ii]nformation|[Cc]ommunications|"
    r"[Ss]tate|[Ee]conomy|[Tt]reasury|[Ii]ntelligence|[Tt]echnology|[Tt]ransport(?:ation)?|[Ll]abor|[Ll]abour)"
    r"(?:\s+and\s+[A-Za-z]+)?)"
    r"|\b(?P<fac>[Pp]ort|[Aa]irport|[Hh]arbou?r|[Uu]niversity|[Cc]ity|[Pp]refecture|[Pp]rovince)\s+of\s+"
    r"(?P<place>[A-Z][\w-]+(?:\s+[A-Z][\w-]+)?)"
)
_FACILITY_TYPES = {"port": "organization", "airport": "organization", "harbour": "organization",
                   "harbor": "organization", "university": "organization", "city": "location",
                   "prefecture": "location", "province": "location"}  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Candidate:
    start: int
    end: int
    text: str
    type: str
    canonical: str
    source: str
    kb_ref: str | None = None
    country: str | None = None
    policy: str = ""  # the matcher policy of a knowledge-base match; the model's own type of a model span

    @property
    def rank(self) -> tuple[int, int]:
        return (_PRIORITY[self.source], self.end - self.start)


def extract_entities(
    sdoc: Doc,
    kb: KnowledgeBase,
    model_spans: Sequence[tuple[int, int, str]] = (),
    rules: MergeRules = RULES,
) -> tuple[Entity, ...]:
    """Entities of a spaCy Doc of the document text (offsets index ``sdoc.text``)."""
    text = sdoc.text
    kb_cands = [
        _from_kb(m.start, m.end, m.text, kb.target(m.target), m.policy) for m in kb.matcher.find(text)
    ]
    spacy_cands = _from_spacy(sdoc)
    model_cands = _from_model(text, model_spans, kb, rules)
    if rules.new_zipf or rules.new_person or rules.new_shape:
        model_cands = [c for c in model_cands if _plausible_new(c, sdoc, rules)]
    if rules.trim:
        kb_cands = [_trim_type_word(c, rules.trim) for c in kb_cands]
        model_cands = [_trim_type_word(c, rules.trim) for c in model_cands]
    if model_spans:
        # With the cyber NER model, organisations come from it, not from spaCy's small model (exact-span ORG
        # precision 0.80 against 0.36 on AnnoCTR dev; docs/quality.md)
        orgs = [c for c in spacy_cands if c.type == "organization"]
        spacy_cands = [c for c in spacy_cands if c.type != "organization"]
        if rules.org_over_place:
            kept, model_cands = _orgs_over_places(orgs, model_cands)
            spacy_cands += kept
        if rules.spacy_orgs != "never":
            spacy_cands += _free_orgs(orgs, kb_cands + model_cands + spacy_cands, rules.spacy_orgs)
        kb_cands = _reconcile(kb_cands, model_cands, rules)
    if rules.propagate:
        model_cands += _propagate(text, model_cands)
    phrases = _from_phrases(text)
    # a model organisation with a phrase's exact span takes the phrase's name and country ("China's ministry of
    # foreign affairs": "Ministry of Foreign Affairs (China)", CN); same span and type, so no score changes
    named = {(p.start, p.end): p for p in phrases if p.type == "organization"}
    model_cands = [named.get((m.start, m.end), m) if m.type == "organization" else m for m in model_cands]
    cands = kb_cands + model_cands + phrases + spacy_cands
    cands = _drop_countries_inside_orgs(cands)
    chosen = _resolve_overlaps(cands)
    if rules.vote:
        chosen = _vote(chosen, model_cands)
    chosen = _apply_acronyms(text, chosen)
    return _group(chosen)


def _from_kb(start: int, end: int, text: str, target: Target, policy: str = "") -> _Candidate:
    return _Candidate(
        start, end, text, target.type, target.canonical, "kb", target.kb_ref, target.country, policy
    )


def _reconcile(
    kb_cands: list[_Candidate], model_cands: list[_Candidate], rules: MergeRules
) -> list[_Candidate]:
    """Knowledge-base spans after the model's say: retyped, dropped for a model span's bounds, or unconfirmed."""
    cyber = [m for m in model_cands if m.policy in _CYBER]
    out: list[_Candidate] = []
    for c in kb_cands:
        over = [m for m in cyber if m.start < c.end and c.start < m.end]
        if c.type in {"malware", "tool"} and c.policy in rules.confirm and not over:
            continue
        if c.type in rules.bounds_types and _bounds_lose(c, over, rules.model_bounds):
            continue
        same = next((m for m in over if (m.start, m.end) == (c.start, c.end)), None)
        if rules.model_type and same is not None and {c.type, same.policy} <= {"malware", "tool"}:
            c = dataclasses.replace(c, type=same.policy)
        out.append(c)
    return out


def _orgs_over_places(
    orgs: list[_Candidate], model_cands: list[_Candidate]
) -> tuple[list[_Candidate], list[_Candidate]]:
    """The spaCy organisations named by an organisation word around a shorter model place span or a model sector
    span, and the model candidates without the spans they cover."""
    places = [m for m in model_cands if m.type in {"location", "country", "sector"}]
    kept = [
        o
        for o in orgs
        if o.text.split()[-1].lower() in _NAME_HEADS
        and any(
            o.start <= p.start
            and p.end <= o.end
            and (p.end - p.start < o.end - o.start or p.type == "sector")  # "Financial Times" is no sector
            for p in places
        )
    ]
    rest = [m for m in model_cands if not any(o.start <= m.start and m.end <= o.end for o in kept)]
    return kept, rest


def _free_orgs(orgs: list[_Candidate], others: list[_Candidate], mode: str) -> list[_Candidate]:
    """spaCy organisations that overlap no other candidate (``mode`` "named": only those ending in an
    organisation word)."""
    return [
        o
        for o in orgs
        if not any(c.start < o.end and o.start < c.end for c in others)
        and (mode == "free" or (len(o.text.split()) > 1 and o.text.split()[-1].lower() in _NAME_HEADS))
    ]


def _propagate(text: str, model_cands: list[_Candidate]) -> list[_Candidate]:
    """Other mentions of the names the model tagged with a cyber type (same case, whole words)."""
    seen = {(c.start, c.end) for c in model_cands}
    out: list[_Candidate] = []
    for c in {c.text: c for c in model_cands if c.policy in _CYBER and len(c.text) >= 3}.values():
        for m in re.finditer(rf"(?<![\w.-]){re.escape(c.text)}(?![\w-])", text):
            if (m.start(), m.end()) not in seen:
                out.append(dataclasses.replace(c, start=m.start(), end=m.end()))
    return out


def _vote(chosen: list[_Candidate], model_cands: list[_Candidate]) -> list[_Candidate]:
    """Each cyber-typed name takes the type most of its model-tagged mentions have."""
    votes: dict[str, Counter[str]] = defaultdict(Counter)
    for c in model_cands:
        if c.policy in _CYBER:
            votes[c.text.casefold()][c.policy] += 1
    out: list[_Candidate] = []
    for c in chosen:
        tally = votes.get(c.text.casefold())
        if c.type in _CYBER and tally:
            best, n = tally.most_common(1)[0]
            if best != c.type and n > tally[c.type]:
                c = dataclasses.replace(c, type=best)
        out.append(c)
    return out


_NAME_SHAPE = re.compile(r"[A-Za-z0-9][\w.-]*(?: [A-Za-z0-9][\w.-]*)*")


def _plausible_new(c: _Candidate, sdoc: Doc, rules: MergeRules) -> bool:
    """Whether a model malware/tool span unknown to the knowledge base passes the rules' filters."""
    if c.kb_ref or c.type not in {"malware", "tool"}:
        return True
    if rules.new_shape and (not _NAME_SHAPE.fullmatch(c.text) or not any(ch.isupper() for ch in c.text)):
        return False
    if rules.new_zipf and " " not in c.text:
        from wordfreq import zipf_frequency

        if zipf_frequency(c.text, "en") >= rules.new_zipf:
            return False
    if rules.new_person and len(c.text.split()) >= rules.new_person:
        span = sdoc.char_span(c.start, c.end, alignment_mode="expand")
        if span is not None and any(e.label_ == "PERSON" for e in span.ents):
            return False
    return True


def _trim_type_word(c: _Candidate, words: frozenset[str]) -> _Candidate:
    head, sep, last = c.text.rpartition(" ")
    if c.type != "malware" or not sep or last.lower() not in words or not head.strip():
        return c
    head = head.rstrip()
    canonical = c.canonical if c.kb_ref else _canonical_text(head)
    return dataclasses.replace(c, end=c.start + len(head), text=head, canonical=canonical)


def _bounds_lose(c: _Candidate, over: list[_Candidate], mode: str) -> bool:
    for m in over:
        if (m.start, m.end) == (c.start, c.end):
            continue
        longer = m.start <= c.start and c.end <= m.end
        shorter = c.start <= m.start and m.end <= c.end
        if mode == "always" or (mode == "longer" and longer) or (mode == "shorter" and shorter):
            return True
    return False


def _from_model(
    text: str, spans: Sequence[tuple[int, int, str]], kb: KnowledgeBase, rules: MergeRules = RULES
) -> list[_Candidate]:
    out: list[_Candidate] = []
    for start, end, label in spans:
        etype = MODEL_LABELS.get(label.upper())
        surface = text[start:end]
        if etype is None or not surface.strip() or is_cve_id(surface):
            continue  # a CVE id is a vulnerability (the indicator extractor's), never a named entity
        target = kb.resolve(surface)
        if target is not None and target.type in _KB_TYPES.get(etype, {etype}):
            typ = etype if rules.model_type and {etype, target.type} <= {"malware", "tool"} else target.type
            out.append(_Candidate(start, end, surface, typ, target.canonical, "model", target.kb_ref,
                                  target.country, etype))  # fmt: skip
        elif etype == "location" and (code := country_code(surface)):
            out.append(dataclasses.replace(_country(start, end, surface, code, "model"), policy=etype))
        elif (
            etype == "organization"
            and rules.org_country_prefix
            and (split := _split_country_prefix(text, start, end))
        ):
            country, rest = split
            out.append(
                _Candidate(
                    start, end, surface, etype, rest.canonical, "model", country=country.country, policy=etype
                )
            )
        else:
            out.append(
                _Candidate(start, end, surface, etype, _canonical_text(surface), "model", policy=etype)
            )
    return out


def _from_phrases(text: str) -> list[_Candidate]:
    out: list[_Candidate] = []
    for m in _PHRASE.finditer(text):
        if m.group("head"):
            head = m.group("head").capitalize()
            body = " ".join(w if w == "and" else w.capitalize() for w in m.group("body").split())
            canonical = f"{head} of {body}"
            code = _owner_country(text, m.start())
            if code:
                canonical = f"{canonical} ({country_name(code)})"
            out.append(
                _Candidate(m.start(), m.end(), m.group(), "organization", canonical, "phrase", None, code)
            )
        else:
            fac = m.group("fac").lower()
            canonical = f"{fac.capitalize()} of {m.group('place')}"
            out.append(_Candidate(m.start(), m.end(), m.group(), _FACILITY_TYPES[fac], canonical, "phrase"))
    return out


def _owner_country(text: str, start: int) -> str | None:
    """The country of "China's ministry ..." / "the Chinese ministry ..." just before a phrase."""
    before = re.search(r"([A-Z][\w.]*(?:\s+[A-Z][\w.]*)?)(?:[’']s)?\s+$", text[max(0, start - 40) : start])
    return country_code(before.group(1)) if before else None


def _country(start: int, end: int, surface: str, code: str, source: str) -> _Candidate:
    return _Candidate(start, end, surface, "country", country_name(code), source, f"iso:{code}", code)


def _from_spacy(sdoc: Doc) -> list[_Candidate]:
    out: list[_Candidate] = []
    text = sdoc.text  # Doc.text joins every token on each access: read it once
    for ent in sdoc.ents:
        label = ent.label_
        if label not in {"ORG", "PERSON", "GPE", "LOC", "NORP", "FAC"}:
            continue
        start, end = _trim(text, ent.start_char, ent.end_char)
        if "\n" in text[start:end]:  # an entity never runs across a line break (captions, bylines)
            continue
        surface = text[start:end]
        if not surface or not any(c.isupper() for c in surface) or not any(c.isalpha() for c in surface):
            continue
        if label in {"GPE", "NORP"}:
            code = country_code(surface)
            if code:
                out.append(_country(start, end, surface, code, "spacy"))
            elif label == "GPE":
                out.append(_Candidate(start, end, surface, "location", _canonical_text(surface), "spacy"))
            continue
        if label == "ORG" and not _plausible_org(surface):
            continue
        if label == "ORG":
            split = _split_country_prefix(text, start, end)
            if split is not None:
                out.extend(split)
                continue
        if label == "PERSON":
            # a name never ends in a lower-case word ("Roméo A. via" in a photo credit)
            kept = _LOWER_TAIL.sub("", surface)
            if kept != surface:
                start, end = _trim(text, start, start + len(kept))
                surface = text[start:end]
                if not any(c.isupper() for c in surface):
                    continue
        etype = {"ORG": "organization", "PERSON": "person"}.get(label, "location")
        out.append(_Candidate(start, end, surface, etype, _canonical_text(surface), "spacy"))
    return out


def _plausible_org(surface: str) -> bool:
    """spaCy's small model labels file types and protocol names ORG ("DLL", "REG", "C & C", "DWORD / d")."""
    if any(ch in surface for ch in '/&"=\\<>{}[]|#'):
        return False
    letters = [c for c in surface if c.isalpha()]
    # a bare short acronym is kept only when the document defines it or the knowledge base knows it
    return not (" " not in surface and len(letters) <= 5 and sum(c.isupper() for c in letters) >= 2)


def _split_country_prefix(text: str, start: int, end: int) -> list[_Candidate] | None:
    """ "U.S. National Security Agency" -> the country "U.S." and the organisation "National Security Agency"."""
    m = re.match(r"(U\.S\.|U\.K\.|US|UK|[A-Z][a-z]+(?:\s+[A-Z][a-z]+)?)\s+(?=[A-Z])", text[start:end])
    if m is None:
        return None
    code = country_code(m.group(1))
    rest_start = start + m.end()
    if code is None or end - rest_start < 3:
        return None
    rest = text[rest_start:end]
    return [
        _country(start, start + len(m.group(1)), m.group(1), code, "spacy"),
        _Candidate(rest_start, end, rest, "organization", _canonical_text(rest), "spacy"),
    ]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    span = text[start:end]
    lead = _LEADING.match(span)
    if lead:
        start += lead.end()
    trail = _TRAILING.search(text[start:end])
    if trail and not text[start:end].endswith(("U.S.", "U.K.", "Inc.", "Ltd.", "Co.")):
        end = start + trail.start()
    return start, end


def _canonical_text(surface: str) -> str:
    return " ".join(surface.replace("’", "'").split())


def _drop_countries_inside_orgs(cands: list[_Candidate]) -> list[_Candidate]:
    """ "Bank of America": a country inside a longer organisation name, not at its start, is part of the name."""
    orgs = [c for c in cands if c.type == "organization" and c.source in {"spacy", "model"}]
    return [
        c
        for c in cands
        if not (
            c.type == "country"
            and any(
                (o.start < c.start and c.end <= o.end)
                # or it starts an organisation already named without it ("U.S. National Security Agency")
                or (o.start == c.start and c.end < o.end and o.country == c.country)
                for o in orgs
            )
        )
    ]


def _resolve_overlaps(cands: Iterable[_Candidate]) -> list[_Candidate]:
    taken: list[_Candidate] = []
    for cand in sorted(cands, key=lambda c: (-c.rank[0], -c.rank[1], c.start)):
        if all(cand.end <= t.start or cand.start >= t.end for t in taken):
            taken.append(cand)
    return sorted(taken, key=lambda c: c.start)


def _apply_acronyms(text: str, chosen: list[_Candidate]) -> list[_Candidate]:
    """Join "Long Name (ACR)" into one entity and claim the bare acronym everywhere else in the document."""
    for m in _ACRONYM.finditer(text):
        acronym = m.group(1)
        if sum(c.isupper() for c in acronym) < 2:
            continue
        long_span = _long_form(text, m.start(), acronym)
        if long_span is None:
            continue
        ls, le = long_span
        inside = [c for c in chosen if c.start < le and c.end > ls]
        etype = next((c.type for c in inside if c.type not in {"country", "location"} and c.source != "spacy"),
                     None)  # fmt: skip
        if etype is None:
            words = {w.lower() for w in text[ls:le].split()}
            if not (words & _ORG_HEADS or any(c.type == "organization" for c in inside)):
                continue
            etype = "organization"
        canonical = _canonical_text(text[ls:le])
        kb_ref = next((c.kb_ref for c in inside if c.kb_ref and c.type == etype), None)
        new = [_Candidate(ls, le, text[ls:le], etype, canonical, "acronym", kb_ref)]
        for bare in re.finditer(rf"(?<![\w.-]){re.escape(acronym)}(?![\w-])", text):
            new.append(_Candidate(bare.start(), bare.end(), acronym, etype, canonical, "acronym", kb_ref))
        keep = [c for c in chosen if all(c.end <= n.start or c.start >= n.end for n in new)]
        # a country or place named inside the long form ("Japan's National ...") keeps its own mention
        keep += [c for c in inside if c.type == "country" and (c.end <= ls or c.start >= le)]
        chosen = sorted(set(keep) | set(new), key=lambda c: (c.start, c.end))
    return chosen


def _long_form(text: str, paren: int, acronym: str) -> tuple[int, int] | None:
    """Schwartz & Hearst (2003): the shortest preceding phrase whose letters spell the acronym in order."""
    words = list(re.finditer(r"[\w&'’-]+", text[max(0, paren - 200) : paren]))
    offset = max(0, paren - 200)
    window = words[-min(len(acronym) + 6, len(acronym) * 3) :]
    if not window:
        return None
    long_text = text[offset + window[0].start() : offset + window[-1].end()]
    base = offset + window[0].start()
    s_idx, l_idx = len(acronym) - 1, len(long_text) - 1
    while s_idx >= 0:
        ch = acronym[s_idx].lower()
        if not ch.isalnum():
            s_idx -= 1
            continue
        while l_idx >= 0 and (
            long_text[l_idx].lower() != ch or (s_idx == 0 and l_idx > 0 and long_text[l_idx - 1].isalnum())
        ):
            l_idx -= 1
        if l_idx < 0:
            return None
        l_idx -= 1
        s_idx -= 1
    start = base + l_idx + 1
    if not text[start].isupper():
        return None
    return start, offset + window[-1].end()


def _group(chosen: list[_Candidate]) -> tuple[Entity, ...]:
    groups: dict[tuple[str, str], list[_Candidate]] = defaultdict(list)
    for cand in chosen:
        groups[(cand.type, cand.canonical)].append(cand)
    entities: list[Entity] = []
    for (etype, canonical), cands in groups.items():
        names = Counter(c.text for c in cands)
        name = max(names, key=lambda n: (names[n], len(n)))
        kb_ref = next((c.kb_ref for c in cands if c.kb_ref), None)
        country = next((c.country for c in cands if c.country), None)
        entity = Entity(
            id=make_id("entity", type=etype, canonical=canonical),
            type=etype,
            name=name,
            canonical=canonical,
            mentions=tuple(Mention(c.start, c.end, c.text) for c in sorted(cands, key=lambda c: c.start)),
            kb_ref=kb_ref,
            country=country,
            aliases=tuple(sorted(n for n in names if n != name)),
        )
        entities.append(entity)
    return tuple(sorted(entities, key=lambda e: (e.mentions[0].start, e.type)))
