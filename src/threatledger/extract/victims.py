"""Victims: the organisation a sentence names as attacked, with its entity, ISO country and sector.

    finder = VictimFinder(sdoc, entities, dates)
    for sent in sentences(sdoc):
        refs = finder.read(sent, known=[...])   # victims of this sentence, in order of preference

Evidence, strongest first:

    event      a Victim (or Vulnerable_System_Owner) argument of an event whose trigger lies in the sentence, mapped
               to the organisation name it overlaps
    parse      objects of attack verbs ("breached X", "hit X", "broke into X"), passive subjects ("X was hacked"),
               complements of attack nouns ("the attack on X", "the breach at X", "the attack that halted production
               at X"), places attackers were in ("hackers were inside X"), subjects of "suffer"/"disclose" with an
               attack noun object, and vendors patching a flaw (``kind="vulnerability"``)
    speaker    the organisation that says, discloses or notifies in a sentence about an attack ("X said hackers ...")

A relation counts only when both of its words lie in the sentence read: the parser joins a headline to the byline
under it ("... breached Japan's agency // Pacific Security Journal, published ...") and such a link says nothing.
Names the caller gives as ``sources`` (the outlet and author of a byline or dateline) are never victims, and a name
cited as a source ("according to X") is not taken as a victim from what it says (speaker and fallback evidence).

A phrase found in one of those places becomes a name: a proper-noun run or an organisation entity it contains, its
possessor ("its network" -> the organisation the sentence or the previous one talks about), the complement of "of"
or "at" ("the update server of Ionic Cloud"), or, for a definite institution noun ("the company", "the utility"),
the most recent organisation. Dates, systems without an owner and generic nouns ("banks") are never victims. A
state's own asset ("Japan's defense networks") stays a phrase with the state's ISO code.

A product is a system, not a victim: the place a flaw was exploited in ("exploited CVE-2023-46805 in an Ivanti
Connect Secure appliance") is no victim slot, and a name that only classifies a product ("an Ivanti appliance") is
no owner. The owner of a flaw ("a vulnerability in the Orbital FTP server") is the product named in full when no
vendor or possessor is given.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from threatledger.extract import cues
from threatledger.extract.victim_cues import (
    ATTACK_EVENT_TYPES,
    ATTACK_NOUNS,
    ATTACKERS,
    ENTRY_PREPS,
    EXCLUDED_TYPES,
    EXPLOIT_VERBS,
    FLAW_NOUNS,
    NAME_HEADS,
    NEVER_VICTIMS,
    NOUN_PREPS,
    ORG_NOUNS,
    OWNER_ROLES,
    PATCH_VERBS,
    PRODUCT_NOUNS,
    SPEAKER_VERBS,
    SUFFER_VERBS,
    SYSTEM_DETS,
    TITLES,
    VENDOR_HEADS,
    VICTIM_ROLES,
    VICTIM_VERBS,
    sector_of,
)
from threatledger.knowledge.countries import country_code, place_country
from threatledger.model import Entity, Event, Mention, TimeExpression

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token
    from spacy.tokens import Span as SpacySpan

__all__ = ["ATTACK_EVENT_TYPES", "Named", "VictimFinder", "VictimRef", "same_name", "sector_of"]


@dataclass(frozen=True, slots=True)
class Named:
    """A name in the text: a proper-noun run or an entity mention, or a state's asset phrase."""

    start: int
    end: int
    text: str
    entity: Entity | None = None
    org: bool = False  # known to name an organisation (entity type, name head or a describing noun)
    country: str | None = None  # ISO alpha-2 when the text says where it is
    words: frozenset[str] = frozenset()  # lower-cased words that describe it (for the sector)
    state_asset: bool = False  # "Japan's defense networks": a phrase, not a name
    anonymous: bool = False  # "the hospital" with no name anywhere before it

    @property
    def mention(self) -> Mention:
        return Mention(self.start, self.end, self.text)


@dataclass(frozen=True, slots=True)
class VictimRef:
    """A victim found in a sentence; ``named`` is None when the sentence only refers back ("the network")."""

    named: Named | None
    kind: str = "attack"  # attack | vulnerability | speaker
    source: str = "parse"  # event | parse | speaker
    by_reference: bool = False  # found through "it", "its" or "the company"


class VictimFinder:
    """Reads the sentences of one document in order and names the victims of each."""

    def __init__(
        self,
        sdoc: Doc,
        entities: Sequence[Entity],
        dates: Sequence[TimeExpression],
        sources: Iterable[str] = (),
    ) -> None:
        self.doc = sdoc
        self.entities = list(entities)
        self.dates = [(d.start, d.end) for d in dates]
        self.history: list[Named] = []  # organisations of earlier sentences, in document order
        self.victims: list[Named] = []  # victims named so far
        self.sources = {_fold(s) for s in sources if s.strip()}  # outlets and authors: never victims
        self.cited: set[str] = set()  # names cited as sources ("according to X")

    # ---- names -----------------------------------------------------------------------------------------------
    def _entity_at(self, start: int, end: int) -> Entity | None:
        best: Entity | None = None
        for entity in self.entities:
            for m in entity.mentions:
                if m.start < end and start < m.end and (best is None or entity.type == "organization"):
                    best = entity
        return best

    def _run(self, token: Token) -> tuple[int, int] | None:
        """Token indices of the proper-noun run (or organisation entity) the token lies in."""
        doc = self.doc
        entity = self._entity_at(token.idx, token.idx + len(token))
        if entity is not None and entity.type == "organization":
            for m in entity.mentions:
                if m.start <= token.idx < m.end:
                    span = doc.char_span(m.start, m.end, alignment_mode="expand")
                    if span is not None:
                        return span.start, span.end
        if token.pos_ != "PROPN":
            return None
        lo, hi = token.sent.start, token.sent.end

        def capital(i: int) -> bool:
            return (
                lo <= i < hi
                and doc[i].pos_ == "PROPN"
                and doc[i].text[:1].isupper()
                and doc[i].lower_ not in TITLES
                and doc[i].ent_type_ not in {"DATE", "TIME"}
            )

        if not capital(token.i):
            return None

        first = last = token.i
        while True:  # "Port of Oslo", "Bank of America": capitalised words joined by "of"
            if capital(first - 1):
                first -= 1
            elif first - 2 >= lo and doc[first - 1].lower_ == "of" and capital(first - 2):
                first -= 2
            else:
                break
        while True:
            if capital(last + 1):
                last += 1
            elif doc[last + 1 : last + 2].text == "of" and capital(last + 2):
                last += 2
            else:
                break
        return first, last + 1

    def _named(self, token: Token) -> Named | None:
        """The name the token is part of, or None when it is no candidate organisation."""
        run = self._run(token)
        if run is None:
            return None
        doc = self.doc
        first, end = run
        if doc[first].lower_ in {"the", "a", "an"}:
            first += 1
        if first >= end:
            return None
        span = doc[first:end]
        text = span.text
        for suffix in ("’s", "'s"):
            text = text.removesuffix(suffix)
        start_char = span.start_char
        if self._is_source(text):
            return None
        entity = self._entity_at(start_char, start_char + len(text))
        if entity is not None and entity.type in NEVER_VICTIMS and entity.type != "country":
            return None
        code = country_code(text)
        if code is not None or (entity is not None and entity.type == "country"):
            return Named(start_char, start_char + len(text), text, None, False, code)
        describing = self._describing(span)
        words = {w.lower() for w in text.split()} | describing
        org = (
            (entity is not None and entity.type == "organization")
            or (text.isupper() and len(text) >= 3 and text.isalpha())  # an acronym: "NISC", "FBI"
            or text.split()[-1].lower() in NAME_HEADS
            or bool(describing & ORG_NOUNS)
        )
        if entity is not None and entity.type == "person" and not org:
            return None  # a person speaks for a victim far more often than being one
        if entity is not None and entity.type in EXCLUDED_TYPES and not org:
            entity = None
        country = (entity.country if entity is not None and entity.type == "organization" else None) or (
            self._country_near(span)
        )
        return Named(start_char, start_char + len(text), text, entity, org, country, frozenset(words))

    def _is_source(self, text: str) -> bool:
        """Whether a name is the outlet or author of the document (or a longer name that contains one)."""
        folded = _fold(text)
        return any(folded == s or f" {s} " in f" {folded} " for s in self.sources)

    def _product(self, token: Token) -> Named | None:
        """A product named in full: "the Orbital FTP server" -> "Orbital FTP server" (no vendor or possessor)."""
        if token.pos_ != "NOUN" or token.lemma_ not in PRODUCT_NOUNS or token.lemma_ in VENDOR_HEADS:
            return None  # "a flaw in a Microsoft product": the name is the vendor's
        if any(c.dep_ == "poss" or (c.dep_ == "prep" and c.lower_ == "of") for c in token.children):
            return None
        names = [
            c
            for c in token.children
            if c.dep_ in {"compound", "amod", "nmod"} and c.i < token.i and c.text[:1].isupper()
        ]
        if not names:
            return None
        span = self.doc[min(c.left_edge.i for c in names) : token.i + 1]
        if self._is_source(span.text):
            return None
        words = frozenset(t.lower_ for t in span)
        return Named(span.start_char, span.end_char, span.text, None, False, self._country_near(span), words)

    def _describing(self, span: SpacySpan) -> set[str]:
        """Common nouns that describe a name: "Dutch freight firm X", "X, a maker of backup software", and the
        words of the name an acronym stands for ("Digital Resilience Office (DRO)")."""
        words: set[str] = set()
        root = span.root
        for node in [root, root.head] if root.dep_ in {"compound", "appos"} else [root]:
            for child in node.children:
                if child.i in range(span.start, span.end):
                    continue
                if child.dep_ == "appos" or (
                    child.dep_ in {"compound", "amod", "nmod"} and child.i < span.start
                ):
                    words |= {t.lower_ for t in child.subtree if t.pos_ in {"NOUN", "ADJ", "PROPN"}}
            if node is not root and (node.pos_ == "NOUN" or (root.dep_ == "appos" and node.pos_ == "PROPN")):
                words.add(node.lower_)
        return words

    def _country_near(self, span: SpacySpan) -> str | None:
        """A country word in the phrase around a name ("Canadian utility X", "X, a Greek lender")."""
        root = span.root
        scope = [root, *[c for c in root.children if c.dep_ in {"appos", "compound", "amod", "nmod", "poss"}]]
        if root.dep_ in {"compound", "appos"}:
            scope.append(root.head)
            scope += [c for c in root.head.children if c.dep_ in {"amod", "compound", "nmod", "poss"}]
        for node in scope:
            for token in node.subtree if node is not root else [*root.lefts]:
                if token.i in range(span.start, span.end):
                    continue
                code = place_country(token.text) if token.text[:1].isupper() else None
                if code:
                    return code
        return None

    def _sentence_names(self, sent: SpacySpan) -> list[tuple[int, Named]]:
        """Organisations of the sentence in order, definite institution nouns resolved to the last one."""
        out: list[tuple[int, Named]] = []
        seen: set[tuple[int, int]] = set()
        for token in sent:
            named: Named | None = None
            if token.pos_ == "PROPN" or self._entity_at(token.idx, token.idx + len(token)) is not None:
                named = self._named(token)
                if named is not None and not named.org:
                    named = None
            elif token.lemma_ in ORG_NOUNS and _definite(token):
                named = self._antecedent(token, out)
            if named is not None and (named.start, named.end) not in seen:
                seen.add((named.start, named.end))
                out.append((token.i, named))
        return out

    def _antecedent(self, token: Token, names: list[tuple[int, Named]] | None = None) -> Named | None:
        """The organisation "it", "its" or "the company" stands for."""
        if names is None:
            names = self._sentence_names(token.sent)
        before = [n for i, n in names if i < token.i and n.org]
        if before:
            return before[-1]
        if self.victims:
            return self.victims[-1]
        return self.history[-1] if self.history else None

    # ---- phrases -> names -------------------------------------------------------------------------------------
    def _is_date(self, token: Token) -> bool:
        if token.ent_type_ in {"DATE", "TIME"}:
            return True
        return any(s <= token.idx < e for s, e in self.dates)

    def resolve(self, token: Token, depth: int = 0) -> VictimRef | None:
        """The victim a phrase headed by ``token`` names."""
        if depth > 3 or self._is_date(token) or token.pos_ not in {"NOUN", "PROPN", "PRON"}:
            return None
        if token.pos_ == "PRON":
            if token.lower_ not in {"it", "them", "they"}:
                return None
            ante = self._antecedent(token)
            return VictimRef(ante, by_reference=True) if ante is not None else VictimRef(None)
        named = self._named(token)
        if named is not None:
            return VictimRef(named)
        for child in token.children:
            if child.dep_ == "poss":
                if child.pos_ == "PRON":
                    ante = self._antecedent(child)
                    return VictimRef(ante, by_reference=True) if ante is not None else VictimRef(None)
                owner = self._named(child)
                if owner is None and child.lemma_ in ORG_NOUNS:
                    return self.resolve(child, depth + 1)
                if owner is not None and owner.country is not None and not owner.org and owner.entity is None:
                    return VictimRef(self._state_asset(token, owner.country))
                if owner is not None:
                    return VictimRef(owner)
        for child in token.children:
            if child.dep_ == "compound" and child.i < token.i and not _classifies_product(token):
                named = self._named(child)
                if named is not None and (named.org or named.country is None):
                    return VictimRef(named)
        for child in token.children:
            if child.dep_ == "prep" and child.lower_ in {"of", "at"}:
                for pobj in child.children:
                    if pobj.dep_ == "pobj":
                        found = self.resolve(pobj, depth + 1)
                        if found is not None and found.named is not None:
                            return found
            if child.dep_ == "appos":
                found = self.resolve(child, depth + 1)
                if found is not None and found.named is not None:
                    return found
        if token.lemma_ in ORG_NOUNS and _definite(token):
            ante = self._antecedent(token)
            if ante is None:
                words = frozenset({token.lower_})
                return VictimRef(
                    Named(token.idx, token.idx + len(token), token.text, words=words, anonymous=True)
                )
            return VictimRef(ante, by_reference=True)
        if _definite(token) and token.pos_ == "NOUN" and token.lemma_ not in ATTACK_NOUNS:
            return VictimRef(None)  # "the network": the victim already talked about
        return None

    def _org_name(self, token: Token) -> bool:
        named = self._named(token)
        return named is not None and named.org

    def _state_asset(self, token: Token, code: str) -> Named:
        doc = self.doc
        first = token.left_edge.i
        last = token.i
        for child in token.rights:
            if child.dep_ == "prep" and child.lower_ == "of":
                last = max(last, child.right_edge.i)
        span = doc[first : last + 1]
        words = frozenset(t.lower_ for t in span)
        return Named(span.start_char, span.end_char, span.text, None, False, code, words, True)

    # ---- sentences ---------------------------------------------------------------------------------------------
    def read(self, sent: SpacySpan, events: Sequence[Event] = ()) -> list[VictimRef]:
        """The victims of one sentence (event arguments, then the parse, then the speaker)."""
        self.cited |= self._cited(sent)
        refs = self._from_events(sent, events) or self._from_parse(sent)
        if not any(r.named is not None for r in refs):
            speaker = self._speaker(sent)
            if speaker is not None:
                refs = [speaker, *refs]
        names = self._sentence_names(sent)
        self.history.extend(n for _, n in names)
        self.victims.extend(r.named for r in refs if r.named is not None and not r.named.state_asset)
        return refs

    def _from_events(self, sent: SpacySpan, events: Sequence[Event]) -> list[VictimRef]:
        out: list[VictimRef] = []
        for event in events:
            if not (sent.start_char <= event.trigger.start < sent.end_char):
                continue
            vulnerability = (
                event.type.startswith("vulnerability") and event.type != "vulnerability-exploitation"
            )
            roles = OWNER_ROLES if vulnerability else VICTIM_ROLES
            for arg in event.arguments:
                if arg.role.lower().replace("-", "_") not in roles:
                    continue
                span = self.doc.char_span(arg.start, arg.end, alignment_mode="expand")
                if span is None:
                    continue
                found = self.resolve(span.root)
                if found is not None and found.named is not None:
                    kind = "vulnerability" if vulnerability else "attack"
                    out.append(VictimRef(found.named, kind, "event"))
        return out

    def _cited(self, sent: SpacySpan) -> set[str]:
        """Names the sentence cites as its source: "according to the Financial Times" -> "financial times"."""
        out: set[str] = set()
        for token in sent:
            if (
                token.dep_ == "pobj"
                and token.head.lower_ == "to"
                and token.head.head.lower_ == cues.ACCORDING
            ):
                words = [t for t in self.doc[token.left_edge.i : token.i + 1] if t.dep_ != "det"]
                if any(t.text[:1].isupper() for t in words):  # a named source, not "the company"
                    out.add(_fold(" ".join(t.text for t in words)))
        return out

    def _is_cited(self, named: Named) -> bool:
        folded = f" {_fold(named.text)} "
        return any(f" {c} " in folded or folded in f" {c} " for c in self.cited)

    def _from_parse(self, sent: SpacySpan) -> list[VictimRef]:
        out: list[VictimRef] = []
        for token in sent:
            head = token.head
            governor = head.head if token.dep_ == "pobj" else head
            if not (_within(head, sent) and _within(governor, sent)):
                continue  # a link the parser made across a line break (headline to byline)
            kind = "attack"
            slot = (
                (token.dep_ == "dobj" and head.lemma_ in VICTIM_VERBS and head.pos_ == "VERB")
                or (token.dep_ == "nsubjpass" and head.lemma_ in VICTIM_VERBS)
                or (token.dep_ == "pobj" and head.lower_ in NOUN_PREPS and _is_attack_noun(head.head))
                or (
                    token.dep_ == "pobj"
                    and head.lower_ in ENTRY_PREPS
                    and head.head.pos_ in {"VERB", "AUX"}
                    and (
                        head.head.lemma_ in VICTIM_VERBS | cues.words("break get inject plant")
                        or _actor_subject(head.head)
                    )
                )
                or (
                    token.dep_ == "pobj"
                    and head.lower_ in {"in"}
                    and _actor_subject(head.head)
                    and head.head.lemma_ not in EXPLOIT_VERBS
                )
                or (
                    token.dep_ in {"compound", "poss", "nmod"}
                    and _is_attack_noun(head)
                    and self._org_name(token)
                )
                or (token.dep_ in {"dobj", "pobj"} and _in_attack_clause(token))
                or (token.dep_ == "nsubj" and head.lemma_ in SUFFER_VERBS and _has_attack_object(head))
                or (token.dep_ == "nsubj" and head.lemma_ in {"expose", "leak"} and head.pos_ == "VERB")
            )
            if not slot and token.dep_ == "nsubj" and head.lemma_ in PATCH_VERBS and _has_flaw_object(head):
                slot, kind = True, "vulnerability"
            if (
                not slot
                and token.dep_ == "pobj"
                and head.lower_ in {"in", "of"}
                and head.head.lemma_ in FLAW_NOUNS
            ):
                slot, kind = True, "vulnerability"
            if not slot:
                continue
            product = self._product(token) if kind == "vulnerability" else None
            if product is not None:
                out.append(VictimRef(product, kind, "parse"))
                continue
            found = self.resolve(token)
            if found is None:
                continue
            if found.named is not None and _is_attacker(token):
                continue
            out.append(VictimRef(found.named, kind, "parse", found.by_reference))
        # a vendor that patches is the owner; drop the products it names in the same sentence
        return out

    def _speaker(self, sent: SpacySpan) -> VictimRef | None:
        """The organisation that tells of an attack: "X said hackers ...", "..., the airline said"."""
        if not _about_attack(sent):
            return None
        for token in sent:
            if (
                token.dep_ != "nsubj"
                or token.head.lemma_ not in SPEAKER_VERBS
                or not _within(token.head, sent)
            ):
                continue
            found = self.resolve(token)
            if (
                found is None
                or found.named is None
                or (found.named.country is not None and not found.named.org)
                or self._is_cited(found.named)
            ):
                continue
            named = found.named
            known = any(same_name(named, v) for v in self.victims)
            if named.org and (known or not self.victims):
                return VictimRef(named, "attack", "speaker")
        return None

    def fallback(self, sents: Sequence[SpacySpan]) -> tuple[SpacySpan, VictimRef] | None:
        """For an article about an attack that names no victim: the first organisation that speaks of it."""
        if not any(_about_attack(s) for s in sents):
            return None
        for sent in sents:
            for token in sent:
                if token.dep_ == "nsubj" and token.head.lemma_ in SPEAKER_VERBS and _within(token.head, sent):
                    found = self.resolve(token)
                    if (
                        found is not None
                        and found.named is not None
                        and found.named.org
                        and not self._is_cited(found.named)
                    ):
                        return sent, VictimRef(found.named, "attack", "speaker")
        return None


def same_name(a: Named, b: Named) -> bool:
    if a.entity is not None and b.entity is not None and a.entity.id == b.entity.id:
        return True
    x, y = a.text.casefold(), b.text.casefold()
    return x == y or f" {x} " in f" {y} " or f" {y} " in f" {x} "


def _within(token: Token, sent: SpacySpan) -> bool:
    return sent.start <= token.i < sent.end


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").split())


def _classifies_product(token: Token) -> bool:
    """ "an Ivanti appliance": an indefinite product noun, whose name modifier says which product, not whose."""
    return token.lemma_ in PRODUCT_NOUNS and any(
        c.dep_ == "det" and c.lower_ in {"a", "an"} for c in token.children
    )


def _definite(token: Token) -> bool:
    return any(c.dep_ == "det" and c.lower_ in SYSTEM_DETS for c in token.children)


def _is_attack_noun(token: Token) -> bool:
    return token.pos_ in {"NOUN", "PROPN"} and (token.lemma_ in ATTACK_NOUNS or token.lower_ in ATTACK_NOUNS)


def _actor_subject(verb: Token) -> bool:
    return any(c.dep_ == "nsubj" and c.lemma_ in ATTACKERS for c in verb.children)


def _in_attack_clause(token: Token) -> bool:
    """An object of a clause that modifies an attack noun: "the attack that halted production at X"."""
    verb = token.head.head if token.dep_ == "pobj" else token.head
    if token.dep_ == "pobj" and verb.pos_ not in {"VERB", "AUX"}:
        return False
    return verb.dep_ in {"relcl", "acl"} and _is_attack_noun(verb.head)


def _has_attack_object(verb: Token) -> bool:
    return any(c.dep_ == "dobj" and _is_attack_noun(c) for c in verb.children)


def _has_flaw_object(verb: Token) -> bool:
    return any(c.dep_ in {"dobj", "nsubjpass"} and c.lemma_ in FLAW_NOUNS for c in verb.children)


def _is_attacker(token: Token) -> bool:
    """The subject of an attack verb is the attacker, not the victim."""
    return token.dep_ == "nsubj" and token.head.lemma_ in cues.ATTACK_VERBS


def _about_attack(sent: SpacySpan) -> bool:
    """Whether a sentence tells of an attack: an attack noun, an attacker, or an attack verb."""
    for token in sent:
        if _is_attack_noun(token) or token.lemma_ in ATTACKERS:
            return True
        if token.pos_ == "VERB" and token.lemma_ in VICTIM_VERBS | cues.words("steal exfiltrate"):
            return True
    return False
