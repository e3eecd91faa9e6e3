"""Incident clustering across outlets, measured with B-cubed on a corpus written for the tests.

`tests/resolve/data/incidents.jsonl` holds 31 short articles from different outlets about 13 incidents, with
distractors at the same victims (another incident years earlier, a vulnerability report at the same company).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from threatledger.config import Settings
from threatledger.pipeline import Extractors, ingest
from threatledger.resolve.evaluation import bcubed
from threatledger.store import open_store

DATA = Path(__file__).parent / "data" / "incidents.jsonl"


def test_bcubed_arithmetic() -> None:
    gold = {"a": "x", "b": "x", "c": "y"}
    assert bcubed({"a": "1", "b": "1", "c": "2"}, gold) == (1.0, 1.0, 1.0)
    p, r, _ = bcubed({"a": "1", "b": "2", "c": "3"}, gold)
    assert p == 1.0 and r == pytest.approx(2 / 3)
    p, r, _ = bcubed({"a": "1", "b": "1", "c": "1"}, gold)
    assert r == 1.0 and p == pytest.approx(5 / 9)


def cluster_corpus(tmp_path: Path) -> tuple[dict[str, str], dict[str, str], list[tuple[str, str]]]:
    """Ingest the corpus; returns (predicted cluster per article, gold label per article, cross-victim merges)."""
    records = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines() if line.strip()]
    source = tmp_path / "articles.jsonl"
    source.write_text(
        "\n".join(
            json.dumps(
                {
                    "title": r["title"],
                    "text": r["text"],
                    "published": r["published"],
                    "publisher": r["outlet"],
                    "url": f"https://{r['outlet'].replace(' ', '').lower()}.example/{i}",
                }
            )
            for i, r in enumerate(records)
        ),
        encoding="utf-8",
    )
    settings = Settings.load(str(tmp_path / "ledger.sqlite3"))
    store = open_store(settings.db)
    report = ingest([str(source)], settings, store, Extractors(settings))
    assert not report.failed, [o.message for o in report.outcomes if o.status == "failed"]
    predicted: dict[str, str] = {}
    gold: dict[str, str] = {}
    for outcome in report.outcomes:
        index = int(outcome.locator.rsplit("#", 1)[1]) - 1
        gold[str(index)] = records[index]["incident"]
        rows = store.conn.execute(
            "SELECT DISTINCT incident_id FROM incident_reports WHERE doc_id = ? ORDER BY incident_id",
            (outcome.doc_id,),
        ).fetchall()
        if rows:
            predicted[str(index)] = rows[0][0]
    victims_of: dict[str, set[str]] = {}
    for index, incident in predicted.items():
        victims_of.setdefault(incident, set()).add(records[int(index)]["incident"].rsplit("-", 1)[0])
    cross = [(i, ",".join(sorted(v))) for i, v in victims_of.items() if len(v) > 1]
    store.close()
    return predicted, gold, cross


@pytest.mark.slow
def test_incident_clustering_bcubed(tmp_path: Path) -> None:
    predicted, gold, cross = cluster_corpus(tmp_path)
    p, r, f1 = bcubed(predicted, gold)
    print(f"B-cubed P={p:.3f} R={r:.3f} F1={f1:.3f}; articles with an incident: {len(predicted)}/{len(gold)}")
    assert cross == [], f"incidents merged across different victims: {cross}"
    assert f1 >= 0.9
