"""Distributed backfill: a LocalCluster with two workers builds exactly the ledger a plain ingest builds."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from threatledger.config import Settings
from threatledger.pipeline import Extractors, ingest
from threatledger.scale.synthetic import articles, write_jsonl
from threatledger.store import open_store
from threatledger.store.postgres_copy import TABLES, table_rows

distributed = pytest.importorskip(
    "distributed", reason="the [scale] extra (dask[distributed]) is not installed"
)

COUNT = 300


def clock() -> dt.datetime:
    return dt.datetime(2024, 5, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(scope="module")
def client() -> Iterator[distributed.Client]:
    from threatledger.scale.backfill import local_client

    c = local_client(2)
    yield c
    cluster = c.cluster
    c.close()
    cluster.close()


def test_synthetic_articles_are_varied_and_reproducible() -> None:
    first = articles(200)
    assert first == articles(200) and first != articles(200, seed=8)
    texts = {a["text"] for a in first}
    assert len(texts) > 180 and len({a["url"] for a in first}) == 200  # a few exact copies under new URLs


@pytest.mark.slow
def test_backfill_matches_ingest_and_resumes(tmp_path: Path, client: distributed.Client) -> None:
    from threatledger.scale.backfill import Backfill
    from threatledger.sources.files import iter_items

    source = write_jsonl(tmp_path / "in" / "articles.jsonl", COUNT)
    settings = Settings.load(str(tmp_path / "plain.sqlite3"))
    plain = open_store(settings.db)
    expected = ingest([str(source)], settings, plain, Extractors(settings), clock=clock)
    assert expected.summary()["added"] > 250 and not expected.failed

    full = source.read_text(encoding="utf-8").splitlines(keepends=True)
    distributed_store = open_store(str(tmp_path / "backfill.sqlite3"))
    # an interrupted run: only the first third of the file was there
    source.write_text("".join(full[:100]), encoding="utf-8")
    first = Backfill(client, settings, distributed_store, batch=16, clock=clock)
    first.run(iter_items([source], settings))
    source.write_text("".join(full), encoding="utf-8")
    second = Backfill(client, settings, distributed_store, batch=16, clock=clock)
    report = second.run(iter_items([source], settings))
    assert second.sent["extract"] <= COUNT - 100  # what the first run stored was not extracted again

    for table in TABLES:
        assert table_rows(distributed_store, table) == table_rows(plain, table), table.name
    statuses = [o.status for o in report.outcomes]
    assert statuses[100:] == [o.status for o in expected.outcomes][100:]
    assert [o.doc_id for o in report.outcomes] == [o.doc_id for o in expected.outcomes]
    for incident in plain.incidents(limit=1000)[:25]:
        assert json.dumps(distributed_store.incident(incident["id"]), sort_keys=True) == json.dumps(
            plain.incident(incident["id"]), sort_keys=True
        )

    again = Backfill(client, settings, distributed_store, batch=16, clock=clock)
    rerun = again.run(iter_items([source], settings))
    assert again.sent["extract"] == 0 and rerun.summary()["duplicate"] == COUNT
    plain.close()
    distributed_store.close()


@pytest.mark.slow
def test_backfill_command(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from threatledger.cli import cli

    source = write_jsonl(tmp_path / "articles.jsonl", 12, seed=3)
    db = str(tmp_path / "l.sqlite3")
    args = ["--db", db, "backfill", str(source), "--workers", "1", "--batch", "4", "--json"]
    result = CliRunner().invoke(cli, args, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    out = json.loads(result.output)
    assert out["summary"]["added"] >= 10 and out["summary"]["failed"] == 0
    store = open_store(db)
    assert store.count_documents() == out["summary"]["added"] + out["summary"]["near-duplicate"]
    store.close()


@pytest.mark.slow
def test_backfill_into_postgresql_equals_an_ingest_into_sqlite(
    tmp_path: Path, client: distributed.Client, postgres_url: str
) -> None:
    from threatledger.scale.backfill import backfill

    source = write_jsonl(tmp_path / "in" / "articles.jsonl", 80, seed=5)
    settings = Settings.load(str(tmp_path / "plain.sqlite3"))
    plain = open_store(settings.db)
    expected = ingest([str(source)], settings, plain, Extractors(settings), clock=clock)
    shared = open_store(postgres_url)
    report = backfill([str(source)], settings, shared, client, batch=8, clock=clock)
    assert report.summary() == expected.summary() and not report.failed
    for table in TABLES:
        assert table_rows(shared, table) == table_rows(plain, table), table.name
    assert backfill([str(source)], settings, shared, client, batch=8, clock=clock).summary()["added"] == 0
    plain.close()
    shared.close()
