"""Batched ingest (extraction ahead in worker processes, writes in input order) builds the one-at-a-time ledger."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

from threatledger.config import Settings
from threatledger.model import Document, Extraction, RawItem
from threatledger.pipeline import Extractors, ingest, ingest_item
from threatledger.scale.synthetic import articles
from threatledger.sources.files import iter_items
from threatledger.store import open_store
from threatledger.store.postgres_copy import TABLES, table_rows


def clock() -> dt.datetime:
    return dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


def _corpus(folder: Path) -> Path:
    records = articles(90, seed=21)
    # a wire copy under another headline a few items later, inside the same batch as its original
    copy = dict(records[3], url="https://wire.example/copy", title="Wire: " + str(records[3]["title"]))
    copy["text"] = "Updated. " + str(records[3]["text"])
    records.insert(6, copy)
    folder.mkdir()
    (folder / "a.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    (folder / "b.txt").write_bytes(b"")  # fails: empty
    (folder / "c.txt").write_text(str(records[10]["text"]), encoding="utf-8")  # an exact copy
    return folder


def test_batched_ingest_equals_one_at_a_time(tmp_path: Path) -> None:
    folder = _corpus(tmp_path / "in")
    settings = Settings.load(str(tmp_path / "one.sqlite3"))
    extractors = Extractors(settings)
    one = open_store(settings.db)
    expected = []
    for item in iter_items([folder], settings):
        if isinstance(item, Exception):
            expected.append(("failed", item.locator))
        else:
            outcome = ingest_item(item, one, extractors, clock)
            expected.append((outcome.status, outcome.locator))

    batched = open_store(str(tmp_path / "batched.sqlite3"))
    report = ingest([str(folder)], settings, batched, extractors, clock=clock, processes=2)
    assert [(o.status, o.locator) for o in report.outcomes] == expected
    statuses = {status for status, _ in expected}
    assert {"added", "duplicate", "near-duplicate", "failed"} <= statuses
    for table in TABLES:
        assert table_rows(batched, table) == table_rows(one, table), table.name
    again = ingest([str(folder)], settings, batched, extractors, clock=clock, processes=2)
    assert again.summary()["added"] == 0
    one.close()
    batched.close()


class _FailsOnMarker(Extractors):
    """Extraction that breaks on one document (an extractor bug), to check that the rest of a batch goes on."""

    def _run_here(self, docs: list[Document]) -> Iterator[Extraction]:
        if any("EXPLODE" in d.text for d in docs):
            raise RuntimeError("extractor bug")
        yield from super()._run_here(docs)


def test_an_extractor_failure_stays_with_its_document(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for n, record in enumerate(articles(12, seed=4)):
        (folder / f"{n:02d}.txt").write_text(str(record["text"]), encoding="utf-8")
    (folder / "05b.txt").write_text("Hackers breached Example Corp. EXPLODE", encoding="utf-8")
    settings = Settings.load(str(tmp_path / "l.sqlite3"))
    store = open_store(settings.db)
    report = ingest([str(folder)], settings, store, _FailsOnMarker(settings), clock=clock)
    failed = [o for o in report.outcomes if o.status == "failed"]
    assert [o.locator for o in failed] == [str(folder / "05b.txt")]
    assert "internal error RuntimeError" in (failed[0].message or "")
    assert (
        report.summary()["added"] + report.summary()["near-duplicate"] + report.summary()["duplicate"] == 12
    )
    assert store.count_documents() >= 10
    store.close()


def test_batches_close_at_a_byte_budget() -> None:
    from threatledger.ingest_batch import chunks

    items = [RawItem(f"f{n}", b"x" * 400) for n in range(10)]
    sizes = [len(c) for c in chunks(iter(items), size=64, max_bytes=1000)]
    assert sizes == [3, 3, 3, 1]
    assert [len(c) for c in chunks(iter(items), size=4)] == [4, 4, 2]


def test_a_known_page_grown_too_long_to_extract_is_a_duplicate_in_batches_too(tmp_path: Path) -> None:
    records = articles(5, seed=3)
    # the same page fetched again, now too long to extract: recognised by its URL before the length matters
    grown = dict(records[1], text=str(records[1]["text"]) + " Comments follow." * 400)
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in [*records, grown]), encoding="utf-8"
    )
    settings = Settings.load(str(tmp_path / "one.sqlite3"))
    extractors = Extractors(settings)
    extractors.nlp.max_length = 2_000
    expected = []
    one = open_store(settings.db)
    for item in iter_items([folder], settings):
        assert not isinstance(item, Exception)
        expected.append(ingest_item(item, one, extractors, clock).status)
    assert expected == ["added"] * 5 + ["duplicate"]
    batched = open_store(str(tmp_path / "batched.sqlite3"))
    report = ingest([str(folder)], settings, batched, extractors, clock=clock, processes=2)
    assert [o.status for o in report.outcomes] == expected
    one.close()
    batched.close()
