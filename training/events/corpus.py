"""CASIE annotation files -> spaCy training corpora (trigger NER + document types, argument NER)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from spacy.language import Language
from spacy.tokens import Doc, DocBin, Span

log = logging.getLogger(__name__)

TYPES = {
    "Databreach": "data-breach",
    "Phishing": "phishing",
    "Ransom": "ransomware",
    "DiscoverVulnerability": "vulnerability-discovery",
    "PatchVulnerability": "vulnerability-patch",
}


def norm_role(role: str) -> str:
    return role.strip().lower().replace("-", "_").replace(" ", "_")


@dataclass(frozen=True, slots=True)
class GoldSpan:
    start: int
    end: int
    label: str


@dataclass(frozen=True, slots=True)
class GoldEvent:
    type: str
    realis: str
    trigger: GoldSpan
    arguments: tuple[GoldSpan, ...]


@dataclass(frozen=True, slots=True)
class GoldDoc:
    id: str
    text: str
    events: tuple[GoldEvent, ...]


def anchor(content: str, start: int, end: int, text: str) -> tuple[int, int] | None:
    """The span where ``text`` really is: CASIE has spans shifted by a character or two; None if not nearby."""
    if content[start:end] == text:
        return start, end
    lo = max(0, start - 20)
    i = content.find(text, lo, end + 20 + len(text))
    return (i, i + len(text)) if i >= 0 else None


def read_split(folder: Path) -> list[GoldDoc]:
    docs: list[GoldDoc] = []
    dropped = 0
    for path in sorted((folder / "annotation").glob("*.json")):
        raw = json.loads(path.read_text(encoding="utf-8"))
        content: str = raw["content"]
        events: list[GoldEvent] = []
        for hopper in raw.get("cyberevent", {}).get("hopper", []):
            for ev in hopper.get("events", []):
                etype = TYPES.get(ev.get("subtype", ""))
                if etype is None:
                    continue
                nug = ev["nugget"]
                where = anchor(content, nug["startOffset"], nug["endOffset"], nug["text"])
                if where is None:
                    dropped += 1
                    continue
                args: list[GoldSpan] = []
                for a in ev.get("argument", []):
                    at = anchor(content, a["startOffset"], a["endOffset"], a["text"])
                    if at is None:
                        dropped += 1
                        continue
                    args.append(GoldSpan(at[0], at[1], norm_role(a["role"]["type"])))
                trig = GoldSpan(where[0], where[1], etype)
                events.append(GoldEvent(etype, str(ev.get("realis", "Actual")).lower(), trig, tuple(args)))
        docs.append(GoldDoc(path.stem, content, tuple(events)))
    log.info("%s: %d documents, %d spans dropped (not found near their offsets)", folder, len(docs), dropped)
    return docs


TUNE_SPLITS = ("tenth", "near-test", "all")


def split_tune(docs: list[GoldDoc], scheme: str = "tenth") -> tuple[list[GoldDoc], list[GoldDoc]]:
    """(fit, tune): the documents to fit the models on and those held out to choose checkpoints and decoding.

    ``tenth`` (the shipped models): every tenth document by sorted id. ``near-test``: every third document among
    those whose numeric id is below 10,000. The split (see ``shared/data/casie/README.md``) sorts ids as strings:
    dev and test are the ids after ``2253``, all below 10,000, while 384 of the 700 training documents have 5-digit
    ids and are easier (shipped models, on the tenth: trigger F1 0.77 on them, 0.66 on the others, 0.64 on dev).
    Choosing checkpoints and decoding on the near-test third was tried (events model card) and did worse on dev.
    ``all``: every document is fitted (the tenth is returned as ``tune`` for progress logs only); for a final fit
    with the step counts chosen with the tenth held out.
    """
    if scheme == "all":
        return list(docs), [d for i, d in enumerate(docs) if i % 10 == 9]
    if scheme == "tenth":
        fit = [d for i, d in enumerate(docs) if i % 10 != 9]
        tune = [d for i, d in enumerate(docs) if i % 10 == 9]
        return fit, tune
    if scheme != "near-test":
        raise ValueError(f"unknown tune split {scheme!r}; choose one of {', '.join(TUNE_SPLITS)}")
    near = [d for d in docs if near_test(d)]
    held = {d.id for i, d in enumerate(near) if i % 3 == 2}
    return [d for d in docs if d.id not in held], [d for d in docs if d.id in held]


def near_test(doc: GoldDoc) -> bool:
    """Whether a training document is of the kind the dev and test splits hold (numeric id below 10,000)."""
    return _numeric_id(doc.id) < 10_000


def _numeric_id(doc_id: str) -> int:
    return int(doc_id) if doc_id.isdigit() else 0


def _non_overlapping(doc: Doc, spans: Iterable[GoldSpan]) -> list[Span]:
    out: list[Span] = []
    taken: set[int] = set()
    for g in sorted(spans, key=lambda s: (s.start, -(s.end - s.start), s.label)):
        span = doc.char_span(g.start, g.end, label=g.label, alignment_mode="expand")
        if span is None or any(i in taken for i in range(span.start, span.end)):
            continue
        taken.update(range(span.start, span.end))
        out.append(span)
    return out


def trigger_docs(nlp: Language, docs: list[GoldDoc]) -> Iterator[Doc]:
    labels = sorted(TYPES.values())
    for g in docs:
        doc = nlp.make_doc(g.text)
        doc.set_ents(_non_overlapping(doc, (e.trigger for e in g.events)))
        present = {e.type for e in g.events}
        doc.cats = {t: float(t in present) for t in labels}
        yield doc


def argument_docs(nlp: Language, docs: list[GoldDoc]) -> Iterator[Doc]:
    for g in docs:
        doc = nlp.make_doc(g.text)
        doc.set_ents(_non_overlapping(doc, (a for e in g.events for a in e.arguments)))
        yield doc


def write_docbin(docs: Iterable[Doc], path: Path) -> int:
    bin_ = DocBin(store_user_data=False)
    n = 0
    for doc in docs:
        bin_.add(doc)
        n += 1
    path.parent.mkdir(parents=True, exist_ok=True)
    bin_.to_disk(path)
    return n


def conditioned_docs(nlp: Language, docs: list[GoldDoc], context: int = 0) -> Iterator[Doc]:
    """One window per gold event: the trigger marked by its type, the event's own arguments as entities.

    ``nlp`` must set sentence boundaries (a blank pipeline with a sentencizer).
    """
    from threatledger.extract.events import TriggerWindow

    kept = lost = 0
    for g in docs:
        sdoc = nlp(g.text)
        sentences = [(s.start_char, s.end_char) for s in sdoc.sents]
        for e in g.events:
            w = TriggerWindow.around(g.text, sentences, e.trigger.start, e.trigger.end, e.type, context)
            spans = []
            for a in e.arguments:
                if (
                    a.start >= w.offset
                    and a.end <= w.offset + len(w.text) - w.open_len - w.close_len
                    and not (a.start < e.trigger.end and e.trigger.start < a.end)
                ):
                    s, t = w.to_window(a.start, a.end)
                    spans.append(GoldSpan(s, t, a.label))
                    kept += 1
                else:
                    lost += 1
            doc = nlp.make_doc(w.text)
            doc.set_ents(_non_overlapping(doc, spans))
            yield doc
    log.info("conditioned windows: %d arguments inside, %d outside or on the trigger", kept, lost)


def predicted_docs(nlp: Language, docs: list[GoldDoc], triggers: Language, context: int = 0) -> Iterator[Doc]:
    """Argument windows around the trigger tagger's own triggers, to train on what extraction sees.

    A predicted trigger that overlaps a gold event of its type gets that event's arguments (its span and so its
    window differ from the gold trigger's: windows identical to a gold trigger's are left to
    :func:`conditioned_docs`); one that matches no gold event gets a window without arguments. ``nlp`` must set
    sentence boundaries; ``triggers`` is the trained trigger pipeline.
    """
    from threatledger.extract.events import TriggerWindow

    matched = spurious = 0
    for g, tdoc in zip(docs, triggers.pipe(g.text for g in docs), strict=True):
        sentences = [(s.start_char, s.end_char) for s in nlp(g.text).sents]
        gold_spans = {(e.trigger.start, e.trigger.end, e.type) for e in g.events}
        for ent in tdoc.ents:
            start, end, etype = ent.start_char, ent.end_char, ent.label_
            if (start, end, etype) in gold_spans:
                continue
            event = next(
                (e for e in g.events if e.type == etype and e.trigger.start < end and start < e.trigger.end),
                None,
            )
            w = TriggerWindow.around(g.text, sentences, start, end, etype, context)
            spans = []
            for a in event.arguments if event else ():
                if (
                    a.start >= w.offset
                    and a.end <= w.offset + len(w.text) - w.open_len - w.close_len
                    and not (a.start < end and start < a.end)
                ):
                    s, t = w.to_window(a.start, a.end)
                    spans.append(GoldSpan(s, t, a.label))
            matched += event is not None
            spurious += event is None
            doc = nlp.make_doc(w.text)
            doc.set_ents(_non_overlapping(doc, spans))
            yield doc
    log.info("predicted-trigger windows: %d matching a gold event, %d spurious", matched, spurious)
