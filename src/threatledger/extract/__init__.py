"""Extractors: pure, versioned functions from a document to findings, each finding carrying its span.

Contracts (the pipeline in ``threatledger.pipeline`` calls them in this order; offsets index ``Document.text``):

    indicators.extract_indicators(text, benign=None) -> tuple[Indicator, ...]        NAME "indicators", VERSION
    dates.extract_dates(text, published: datetime.date | None) -> tuple[TimeExpression, ...]
    entities.extract_entities(sdoc, kb) -> tuple[Entity, ...]                         sdoc: spacy Doc of the text
    attack.extract_techniques(text, kb) -> tuple[Technique, ...]
    events.EventExtractor.load() -> EventExtractor | None;  .extract(text, entities) -> tuple[Event, ...]
    incidents.extract_incidents(document, sdoc, extraction_so_far, kb) -> (tuple[Incident, ...], tuple[Claim, ...])

Each module defines ``NAME`` and ``VERSION`` so a behaviour change is visible in stored results.
"""
