"""Run the entity extractor over a folder of .txt files and print the scorers' JSON Lines.

    python -m threatledger.extract.entities_cli DIR [--no-model] [--baseline] [--techniques]

One record per file: {"doc_id", "entities": [...]} (see ../shared/eval/entities.py). ``--baseline`` prints
plain word-boundary matches of every knowledge-base name instead (the import-time matching of other platforms),
for comparison. A development entry point until `threatledger extract` covers it.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Protocol

from threatledger.config import Settings
from threatledger.extract.entities import extract_entities
from threatledger.knowledge.base import KnowledgeBase
from threatledger.knowledge.loader import load_kb
from threatledger.model import Entity, Mention, to_json

__all__ = ["baseline_entities", "main"]

log = logging.getLogger(__name__)


class _SpanModel(Protocol):
    def predict(self, text: str) -> Sequence[tuple[int, int, str]]: ...


def baseline_entities(text: str, kb: KnowledgeBase, pattern: re.Pattern[str] | None = None) -> list[Entity]:
    """Every knowledge-base name found case-insensitively at word boundaries, longest first, no other rules."""
    pattern = pattern or baseline_pattern(kb)
    out: list[Entity] = []
    for m in pattern.finditer(text):
        target = kb.resolve(m.group())
        if target is not None:
            mention = Mention(m.start(), m.end(), m.group())
            out.append(
                Entity(target.kb_ref, target.type, m.group(), target.canonical, (mention,), target.kb_ref)
            )
    return out


def baseline_pattern(kb: KnowledgeBase) -> re.Pattern[str]:
    names = {n for e in kb.entries() for n in e.names if n.strip()}
    names |= {k for k in kb.matcher.targets if k.strip()}
    alternation = "|".join(re.escape(n) for n in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternation})(?!\w)", re.IGNORECASE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--no-model", action="store_true", help="do not use the cyber NER model")
    parser.add_argument("--baseline", action="store_true", help="plain word-boundary name matching only")
    parser.add_argument("--techniques", action="store_true", help="print ATT&CK techniques instead")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    kb = load_kb(Settings.load())
    files = sorted(args.folder.glob("*.txt"))
    texts = [f.open(encoding="utf-8", newline="").read() for f in files]
    if args.techniques:
        from threatledger.extract.attack import extract_techniques

        for path, text in zip(files, texts, strict=True):
            techs = extract_techniques(text, kb)
            sys.stdout.write(json.dumps({"doc_id": path.stem, "techniques": to_json(techs)}) + "\n")
        return 0
    if args.baseline:
        pattern = baseline_pattern(kb)
        for path, text in zip(files, texts, strict=True):
            found = baseline_entities(text, kb, pattern)
            sys.stdout.write(json.dumps({"doc_id": path.stem, "entities": to_json(found)}) + "\n")
        return 0
    from threatledger.nlp import load_english

    nlp = load_english()
    model = None if args.no_model else _cyber_model()
    for path, text, sdoc in zip(files, texts, nlp.pipe(texts, batch_size=8), strict=True):
        spans = model.predict(text) if model is not None else ()
        ents = extract_entities(sdoc, kb, model_spans=spans)
        sys.stdout.write(json.dumps({"doc_id": path.stem, "entities": to_json(ents)}) + "\n")
    return 0


def _cyber_model() -> _SpanModel | None:
    try:
        from threatledger.extract.cyberner import CyberNER  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        return None
    model: _SpanModel | None = CyberNER.load()
    return model


if __name__ == "__main__":
    raise SystemExit(main())
