"""Distributed backfill: normalise and extract on a Dask cluster, write the ledger from this one process.

The flow, for files and folders given on the command line::

    read items (here) --batches--> normalise (workers) --> duplicate check against the ledger (here)
        --new documents, batches--> extract (workers) --as_completed--> write in input order (here)

Only this process writes, with the store and resolution calls of ``pipeline.ingest`` (duplicate by content hash or
canonical URL, near-duplicate by MinHash, ``resolve.plan`` for incident links) in the order of the inputs, so the
ledger is the one a plain ``ingest`` of the same inputs builds. Extraction is a pure function of the document, so
it can run anywhere and in any order; what depends on the ledger (duplicates, near-duplicates, incident links) is
decided here, at write time. A document is sent for extraction only when its sha256 and canonical URL are new to
the ledger and to the run, so a re-run after an interruption extracts only what is missing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from threatledger.config import Settings
from threatledger.errors import ThreatledgerError
from threatledger.model import Document, Extraction, RawItem
from threatledger.pipeline import Clock, IngestReport, Outcome, system_clock

if TYPE_CHECKING:
    from distributed import Client, Future

    from threatledger.store import SQLiteStore

__all__ = ["Backfill", "backfill", "local_client"]

log = logging.getLogger(__name__)
Progress = Callable[[str], None]


def local_client(workers: int) -> Client:
    """A Dask cluster on this machine: one process per worker, one thread each (spaCy is not thread-parallel)."""
    import dask.config
    from distributed import Client, LocalCluster

    # The statistical profiler samples every worker thread 100 times a second: CPU the extractors can use. The
    # nanny's default MALLOC_TRIM_THRESHOLD_=65536 hands freed memory back to the system at once, so the models'
    # many short-lived arrays are mapped and unmapped again: measured +18% CPU per document. glibc's adaptive
    # default is kept (None unsets the variable).
    settings = {
        "distributed.worker.profile.enabled": False,
        "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    }
    with dask.config.set(settings):
        cluster = LocalCluster(  # type: ignore[no-untyped-call]
            n_workers=workers,
            threads_per_worker=1,
            processes=True,
            dashboard_address="127.0.0.1:0",
            memory_limit=0,
        )
    return Client(cluster)  # type: ignore[no-untyped-call]


@dataclass(slots=True)
class _Slot:
    """One input item on its way to the ledger."""

    locator: str
    url: str | None
    now: str
    document: Document | None = None
    failure: str | None = None
    extraction: Extraction | None = None
    waiting: bool = True  # for normalisation or extraction


class Backfill:
    """One backfill run: submits work, collects results, writes in order. Use :func:`backfill`."""

    def __init__(
        self,
        client: Client,
        settings: Settings,
        store: SQLiteStore,
        *,
        batch: int = 32,
        with_events: bool = True,
        clock: Clock = system_clock,
        progress: Progress | None = None,
    ) -> None:
        from distributed import as_completed

        from threatledger.scale.worker import ExtractorsPlugin, plugin_name

        self.client, self.settings, self.store = client, settings, store
        self.batch, self.clock, self.progress = max(1, batch), clock, progress
        self.plugin = plugin_name(settings, with_events)
        client.register_plugin(ExtractorsPlugin(settings, with_events), name=self.plugin)
        workers = max(1, len(client.scheduler_info(n_workers=-1).get("workers", {})))
        self.window = 4 * workers  # tasks in flight: enough to keep workers busy, bounded memory
        self.pending: Any = as_completed()  # type: ignore[no-untyped-call]
        self.tasks: dict[Any, tuple[str, list[Any]]] = {}  # future key -> (kind, the entries it was given)
        self.slots: dict[int, _Slot] = {}
        self.queue: list[tuple[int, Document]] = []  # new documents waiting for an extraction batch
        self.claimed: dict[str, int] = {}  # sha256 / canonical URL -> first position sent for extraction
        self.next_write = 0
        self.report = IngestReport()
        self.sent = {"normalise": 0, "extract": 0}  # documents sent to workers, per stage

    # -- the loop ---------------------------------------------------------------------------------------------
    def run(self, items: Iterator[RawItem | ThreatledgerError]) -> IngestReport:
        self.items = enumerate(items)
        self.exhausted = False
        while True:
            self._write_ready()
            self._fill()
            if not self.tasks:
                break
            future = next(self.pending)
            kind, entries = self.tasks.pop(future.key)
            if kind == "normalise":
                self._normalised(future, entries)
            else:
                self._extracted(future, entries)
        if self.slots:  # cannot happen unless a result went missing: say so rather than drop items
            raise ThreatledgerError(f"backfill ended with {len(self.slots)} items unwritten")
        return self.report

    def _submit(self, kind: str, fn: Callable[..., Any], entries: list[Any], *args: Any) -> None:
        future = self.client.submit(fn, *args, entries, pure=False)
        self.tasks[future.key] = (kind, entries)
        self.sent[kind] += len(entries)
        self.pending.add(future)

    def _fill(self) -> None:
        """Submit normalisation batches while there is room, and extraction batches when due."""
        from threatledger.scale.worker import normalise_batch

        while (
            not self.exhausted
            and len(self.tasks) < self.window
            and len(self.slots) < 8 * self.window * self.batch
        ):
            chunk: list[tuple[int, RawItem, str]] = []
            for index, item in self.items:
                now = self.clock().isoformat()
                if isinstance(item, ThreatledgerError):
                    self.slots[index] = _Slot(
                        item.locator or "?", None, now, failure=str(item), waiting=False
                    )
                    continue
                self.slots[index] = _Slot(item.locator, item.url, now)
                chunk.append((index, item, now))
                if len(chunk) == self.batch:
                    break
            else:
                self.exhausted = True
            if chunk:
                self._submit("normalise", normalise_batch, chunk)
        normalising = any(s.document is None and s.failure is None for s in self.slots.values())
        if len(self.queue) >= self.batch or (
            self.queue and (not normalising or len(self.tasks) < self.window)
        ):
            self._flush_queue()

    def _flush_queue(self) -> None:
        from threatledger.scale.worker import extract_batch

        while self.queue:
            chunk, self.queue = self.queue[: self.batch], self.queue[self.batch :]
            self._submit("extract", extract_batch, chunk, self.plugin)

    # -- results ----------------------------------------------------------------------------------------------
    def _normalised(self, future: Future[Any], entries: list[tuple[int, RawItem, str]]) -> None:
        if future.status == "error":  # a bug on the worker, not bad input: report each item of the batch
            message = f"internal error while normalising: {_error(future)!r}"
            for index, _, _ in entries:
                slot = self.slots[index]
                slot.failure, slot.waiting = f"{slot.locator}: {message}", False
            return
        for index, result in future.result():
            slot = self.slots[index]
            if isinstance(result, str):
                slot.failure, slot.waiting = result, False
                continue
            slot.document = result
            if self._needs_extraction(index, result):
                self.queue.append((index, result))
            else:
                slot.waiting = False  # a duplicate: decided at write time, no findings needed

    def _needs_extraction(self, index: int, document: Document) -> bool:
        keys = [f"sha256:{document.sha256}"]
        if document.canonical_url:
            keys.append(f"url:{document.canonical_url}")
        if any(self.claimed.get(k, index) < index for k in keys):
            return False  # an earlier input has the same content or URL: this one will be a duplicate
        if self.store.find_duplicate(document) is not None:
            return False  # already in the ledger (a re-run): nothing to extract
        for key in keys:
            self.claimed[key] = min(index, self.claimed.get(key, index))
        return True

    def _extracted(self, future: Future[Any], entries: list[tuple[int, Document]]) -> None:
        from threatledger.scale.worker import extract_batch

        if future.status != "error":
            for index, extraction in future.result():
                slot = self.slots[index]
                slot.extraction, slot.waiting = extraction, False
            return
        if len(entries) > 1:  # find the document that fails: retry one by one
            log.warning("an extraction batch failed (%r); retrying its documents one by one", _error(future))
            for entry in entries:
                self._submit("extract", extract_batch, [entry], self.plugin)
            return
        slot = self.slots[entries[0][0]]
        slot.failure, slot.waiting = f"{slot.locator}: extraction failed: {_error(future)!r}", False

    # -- writing, in input order ------------------------------------------------------------------------------
    def _write_ready(self) -> None:
        while self.next_write in self.slots and not self.slots[self.next_write].waiting:
            slot = self.slots[self.next_write]
            outcome = self._write(slot)
            if outcome is None:  # found to need findings after all (an earlier copy failed): extract it now
                assert slot.document is not None
                slot.waiting = True
                self.queue.append((self.next_write, slot.document))
                self._flush_queue()
                return
            del self.slots[self.next_write]
            self.next_write += 1
            self.report.outcomes.append(outcome)
            if self.progress:
                self.progress(outcome.locator)

    def _write(self, slot: _Slot) -> Outcome | None:
        """As ``pipeline`` ingest after normalisation; None when the document needs extraction first."""
        from threatledger.pipeline import admit, write_new

        document = slot.document
        if document is None:
            return Outcome(slot.locator, "failed", message=slot.failure)
        try:
            skipped, sig = admit(document, slot.locator, slot.url, self.store, slot.now)
            if skipped is not None:
                return skipped
            if slot.failure is not None:
                return Outcome(slot.locator, "failed", message=slot.failure)
            if slot.extraction is None:
                return None
            return write_new(document, slot.extraction, sig, slot.locator, self.store, slot.now)
        except ThreatledgerError as exc:
            return Outcome(slot.locator, "failed", message=str(exc))


def _error(future: Future[Any]) -> BaseException | None:
    return future.exception()  # type: ignore[no-untyped-call, no-any-return]


def backfill(
    sources: Sequence[str | Path],
    settings: Settings,
    store: SQLiteStore,
    client: Client,
    *,
    batch: int = 32,
    with_events: bool = True,
    clock: Clock = system_clock,
    progress: Progress | None = None,
) -> IngestReport:
    """Ingest files and folders through a Dask cluster; the ledger ends as ``pipeline.ingest`` would leave it."""
    from threatledger.sources.files import iter_items

    run = Backfill(
        client, settings, store, batch=batch, with_events=with_events, clock=clock, progress=progress
    )
    return run.run(iter_items([Path(s) for s in sources], settings))
