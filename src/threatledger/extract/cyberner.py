"""A small trained NER model for cyber entities, meant to complement the knowledge-base matcher.

The model (``threatledger/models/cyberner``, a spaCy pipeline) has one shared token encoder and three NER heads,
each trained on a corpus layer whose annotation is complete for the head's labels, so no head learns that an
unannotated mention is "not an entity":

    ner_ce   GROUP MALWARE TOOL                         AnnoCTR cyber layer (+ CyNER malware, partially annotated)
    ner_cy   MALWARE SYSTEM VULNERABILITY (ORG INDICATOR) CyNER
    ner_ne   ORG LOC SECTOR                             AnnoCTR general layer (train and ext)

Every head runs on the same encoding; :func:`merge` then keeps spans in :data:`PRIORITY` order, dropping a span
that overlaps one already kept. Offsets are character offsets into the text given to :meth:`CyberNER.predict`.

For evaluation, ``python -m threatledger.extract.cyberner DIR`` prints one JSON record per ``DIR/*.txt`` in the
entity scorer's format.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from spacy.language import Language

__all__ = [
    "DEFAULT_PATH",
    "MODEL_ENV",
    "NAME",
    "PRIORITY",
    "TYPES",
    "VERSION",
    "CyberNER",
    "main",
    "merge",
    "to_record",
]

NAME = "cyberner"
VERSION = "1"

Span = tuple[int, int, str]

DEFAULT_PATH = Path(__file__).resolve().parent.parent / "models" / "cyberner"
# a model folder used instead of the packaged one (to evaluate a retrained model through the whole pipeline)
MODEL_ENV = "THREATLEDGER_CYBERNER_MODEL"

# (head, labels it may contribute), highest priority first. The CyNER head's ORG and INDICATOR are learned only
# so that it separates them from its other labels; organisations come from the general head and indicators
# from the regular-expression extractor. The general head goes before the CyNER head: the latter's SYSTEM spans
# otherwise hide the general head's organisations, which cost 0.03 ORG F1 in cross-validation on AnnoCTR train.
PRIORITY: tuple[tuple[str, frozenset[str]], ...] = (
    ("ner_ce", frozenset({"GROUP", "MALWARE", "TOOL"})),
    ("ner_ne", frozenset({"ORG", "LOC", "SECTOR"})),
    ("ner_cy", frozenset({"MALWARE", "SYSTEM", "VULNERABILITY"})),
)

# model label -> entity type (the vocabulary of threatledger.model.Entity.type)
TYPES = {
    "GROUP": "threat-actor",
    "MALWARE": "malware",
    "TOOL": "tool",
    "ORG": "organization",
    "LOC": "location",
    "SECTOR": "sector",
    "SYSTEM": "system",
    "VULNERABILITY": "vulnerability",
}


def merge(
    heads: Mapping[str, Sequence[Span]], priority: Sequence[tuple[str, frozenset[str]]] = PRIORITY
) -> list[Span]:
    """Spans of all heads, without overlaps: a span overlapping one from an earlier entry of `priority` is dropped."""
    kept: list[Span] = []
    for head, labels in priority:
        for start, end, label in heads.get(head, ()):
            if label in labels and not any(start < e and s < end for s, e, _ in kept):
                kept.append((start, end, label))
    return sorted(kept)


class CyberNER:
    """The trained pipeline; build it with :meth:`load` and reuse it (loading takes about a second)."""

    def __init__(self, nlp: Language) -> None:
        self._nlp = nlp
        self.heads = tuple(name for name in nlp.pipe_names if name.startswith("ner_"))

    @classmethod
    def load(cls, path: Path | None = None) -> CyberNER | None:
        """The model at `path` (default: $THREATLEDGER_CYBERNER_MODEL, else the packaged one), or None when its
        files are absent."""
        where = path if path is not None else Path(os.environ.get(MODEL_ENV) or DEFAULT_PATH)
        if not (where / "config.cfg").is_file() or not (where / "meta.json").is_file():
            return None
        import spacy

        return cls(spacy.load(where))

    @property
    def version(self) -> str:
        return str(self._nlp.meta.get("version", ""))

    def head_spans(self, text: str) -> dict[str, list[Span]]:
        """Each head's own (start, end, label) spans, before merging."""
        return self.head_spans_many([text])[0]

    def head_spans_many(self, texts: Sequence[str], batch_size: int = 16) -> list[dict[str, list[Span]]]:
        """:meth:`head_spans` of many texts, encoded and tagged in batches."""
        nlp = self._nlp
        # each text is tokenised and encoded once; each head then runs on its own copy of the encoded Doc (a
        # head treats entities already set on a Doc as given, so no head may see another's)
        encoder: Any = nlp.get_pipe("tok2vec")
        encoded = list(encoder.pipe((nlp.make_doc(t) for t in texts), batch_size=batch_size))
        out: list[dict[str, list[Span]]] = [{} for _ in texts]
        for name in self.heads:
            head: Any = nlp.get_pipe(name)
            tagged = head.pipe((d.copy() for d in encoded), batch_size=batch_size)
            for spans, doc in zip(out, tagged, strict=True):
                spans[name] = [(ent.start_char, ent.end_char, ent.label_) for ent in doc.ents]
        return out

    def predict(self, text: str) -> list[Span]:
        """(start, end, label) character spans, labels among :data:`TYPES`' keys, sorted and non-overlapping."""
        return merge(self.head_spans(text))

    def predict_many(self, texts: Sequence[str], batch_size: int = 16) -> list[list[Span]]:
        """:meth:`predict` of many texts (faster than one call each)."""
        return [merge(heads) for heads in self.head_spans_many(texts, batch_size)]


def to_record(doc_id: str, text: str, spans: Sequence[Span]) -> dict[str, Any]:
    """The entity scorer's JSON record: one entity per (type, surface form), with its mentions."""
    entities: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for start, end, label in spans:
        surface = text[start:end]
        mentions = entities.setdefault((TYPES[label], surface), [])
        mentions.append({"start": start, "end": end, "text": surface})
    return {
        "doc_id": doc_id,
        "entities": [
            {"type": typ, "name": name, "canonical": name, "mentions": mentions}
            for (typ, name), mentions in entities.items()
        ],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m threatledger.extract.cyberner", description=__doc__.split("\n")[0]
    )
    parser.add_argument("dir", type=Path, help="folder of UTF-8 .txt files")
    parser.add_argument("--model", type=Path, default=None, help="model folder (default: the packaged model)")
    args = parser.parse_args(argv)
    model = CyberNER.load(args.model)
    if model is None:
        sys.stderr.write(f"no model files at {args.model or DEFAULT_PATH}\n")
        return 1
    for path in sorted(args.dir.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        sys.stdout.write(json.dumps(to_record(path.stem, text, model.predict(text))) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
