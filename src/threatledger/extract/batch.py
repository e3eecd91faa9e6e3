"""Run the extractors over a folder of ``*.txt`` files and emit claims and incidents as JSON Lines.

    python -m threatledger.extract.claims DIR [--published YYYY-MM-DD]

Each line is ``{"doc_id", "claims": [...], "incidents": [...]}`` in the format the claims scorer reads. Extractors
written elsewhere in the package (entities, dates, events, indicators) are used when they are installed and skipped
otherwise, so this runner works at every stage of the project.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import logging
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from threatledger.ids import make_id, text_sha256
from threatledger.model import Document, Entity, Event, Extraction, Indicator, TimeExpression

__all__ = ["build_extraction", "main", "run_directory"]

log = logging.getLogger(__name__)


def _optional(module: str) -> Any:
    try:
        return importlib.import_module(f"threatledger.extract.{module}")
    except ImportError:
        log.info("extractor %s is not available", module)
        return None


def build_extraction(
    document: Document, sdoc: Any, kb: object | None, event_extractor: Any = None
) -> Extraction:
    """An Extraction with whatever extractors are installed (missing ones leave their field empty)."""
    entities: tuple[Entity, ...] = ()
    dates: tuple[TimeExpression, ...] = ()
    events: tuple[Event, ...] = ()
    indicators: tuple[Indicator, ...] = ()
    notes: list[str] = []
    mod = _optional("entities")
    if mod is not None and kb is not None:
        entities = tuple(mod.extract_entities(sdoc, kb))
    else:
        notes.append("entities: not available")
    mod = _optional("dates")
    if mod is not None:
        published = dt.date.fromisoformat(document.published[:10]) if document.published else None
        dates = tuple(mod.extract_dates(document.text, published))
    else:
        notes.append("dates: not available")
    mod = _optional("indicators")
    if mod is not None:
        indicators = tuple(mod.extract_indicators(document.text))
    if event_extractor is not None:
        events = tuple(event_extractor.extract(document.text, entities))
    return Extraction(
        doc_id=document.id,
        entities=entities,
        dates=dates,
        events=events,
        indicators=indicators,
        notes=tuple(notes),
    )


def _load_kb() -> object | None:
    try:
        knowledge = importlib.import_module("threatledger.knowledge")
        config = importlib.import_module("threatledger.config")
        kb: object = knowledge.load_kb(config.Settings.load())
        return kb
    except (ImportError, AttributeError, TypeError) as exc:
        log.info("knowledge base not available: %s", exc)
        return None


def run_directory(folder: Path, published: str | None = None) -> Iterator[dict[str, Any]]:
    """One JSON-able record per ``*.txt`` file of ``folder``, in file-name order."""
    from threatledger.extract.incidents import claim_json, extract_incidents, incident_json
    from threatledger.nlp import load_english

    nlp = load_english()
    kb = _load_kb()
    events_mod = _optional("events")
    event_extractor = events_mod.EventExtractor.load() if events_mod is not None else None
    for path in sorted(folder.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        document = Document(
            id=make_id("document", sha256=text_sha256(text)),
            text=text,
            sha256=text_sha256(text),
            published=published,
            source=str(path),
        )
        sdoc = nlp(text)
        found = build_extraction(document, sdoc, kb, event_extractor)
        incidents, claims = extract_incidents(document, sdoc, found, kb)
        yield {
            "doc_id": path.stem,
            "claims": [claim_json(c) for c in claims],
            "incidents": [incident_json(i) for i in incidents],
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m threatledger.extract.claims", description=__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument("--published", help="publication date (ISO) applied to every file")
    args = parser.parse_args(argv)
    for record in run_directory(args.folder, args.published):
        sys.stdout.write(json.dumps(record, ensure_ascii=False) + "\n")
