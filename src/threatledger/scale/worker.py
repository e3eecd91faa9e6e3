"""What runs on a Dask worker: normalising and extracting batches of documents. Nothing here writes the ledger.

Models (spaCy pipeline, knowledge base, event model) are loaded once per worker process by
:class:`ExtractorsPlugin`, registered under a name derived from the settings, so a worker serving two backfills
with different settings keeps one set of models for each. Tasks find the plugin through ``get_worker()``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from distributed import WorkerPlugin, get_worker

from threatledger.config import Settings
from threatledger.errors import ThreatledgerError
from threatledger.model import Document, Extraction, RawItem

if TYPE_CHECKING:
    from distributed import Worker

    from threatledger.pipeline import Extractors

__all__ = ["ExtractorsPlugin", "extract_batch", "normalise_batch", "plugin_name"]

log = logging.getLogger(__name__)


def plugin_name(settings: Settings, with_events: bool) -> str:
    """The plugin's name: one per distinct extraction setup (settings that change what is extracted)."""
    key = repr((settings.kb_dir, settings.cache_dir, with_events)).encode()
    return "threatledger-extractors-" + hashlib.sha256(key).hexdigest()[:12]


class ExtractorsPlugin(WorkerPlugin):  # type: ignore[misc]
    """Loads the extraction models when a worker starts (or joins), once per worker process."""

    def __init__(self, settings: Settings, with_events: bool = True) -> None:
        self.settings = settings
        self.with_events = with_events
        self.extractors: Extractors | None = None

    def setup(self, worker: Worker) -> None:
        from threatledger.pipeline import Extractors

        extractors = Extractors(self.settings, with_events=self.with_events)
        extractors.warm()  # load every model and list now, not inside the first task
        self.extractors = extractors
        log.info("worker %s: extraction models loaded", worker.address)

    def teardown(self, worker: Worker) -> None:
        self.extractors = None


def _extractors(name: str) -> Extractors:
    plugin = get_worker().plugins.get(name)
    if not isinstance(plugin, ExtractorsPlugin) or plugin.extractors is None:
        raise RuntimeError(f"worker plugin {name} is not registered; submit work through threatledger.scale")
    return plugin.extractors


def normalise_batch(items: Sequence[tuple[int, RawItem, str]]) -> list[tuple[int, Document | str]]:
    """(position, raw item, fetched time) -> (position, document or the reason it could not be read)."""
    from threatledger.normalise import normalise

    out: list[tuple[int, Document | str]] = []
    for index, item, fetched in items:
        try:
            out.append((index, normalise(item, fetched=fetched)))
        except ThreatledgerError as exc:
            out.append((index, str(exc)))
    return out


def extract_batch(name: str, documents: Sequence[tuple[int, Document]]) -> list[tuple[int, Extraction]]:
    """(position, document) -> (position, findings), the batch parsed together by spaCy."""
    extractors = _extractors(name)
    found = extractors.run_many([d for _, d in documents])
    return [(index, extraction) for (index, _), extraction in zip(documents, found, strict=True)]
