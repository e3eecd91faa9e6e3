"""Incident resolution: matching rules, store-backed linking, and reversible merge/split/undo."""

from __future__ import annotations

from pathlib import Path

import pytest

from threatledger.errors import StoreError
from threatledger.ids import make_id, text_sha256
from threatledger.model import DatePoint, Document, Entity, Extraction, Incident, Mention, Victim
from threatledger.resolve import plan
from threatledger.resolve.incidents import Candidate, best_match, victim_key
from threatledger.resolve.summary import summarise
from threatledger.store import SQLiteStore, open_store

NOW = "2024-04-01T00:00:00+00:00"


def test_victim_key_folds_names() -> None:
    assert victim_key("Acme Corp.") == victim_key("ACME corporation") == "acme"
    assert victim_key("Japan’s NISC") == "japan nisc"


def test_different_victims_never_merge_without_shared_evidence() -> None:
    new = Candidate("n", "data-breach", ("Acme Bank",), dates=("2024-03-01",))
    old = Candidate("o", "data-breach", ("Zenith Bank",), dates=("2024-03-01",))
    assert best_match(new, [old]) is None


def test_same_victim_close_in_time_merges_with_reasons() -> None:
    new = Candidate("n", "ransomware", ("Harbor Valley Water Authority",), dates=("2024-03-19",))
    old = Candidate("o", "data-breach", ("Harbor Valley Water",), dates=("2024-03-14",))
    match = best_match(new, [old])
    assert match is not None and match.incident_id == "o"
    assert any("victim" in r for r in match.reasons) and match.score >= 0.6


def test_same_victim_years_apart_stays_apart() -> None:
    new = Candidate("n", "data-breach", ("Acme",), dates=("2024-03-19",))
    old = Candidate("o", "data-breach", ("Acme",), dates=("2019-01-01",))
    assert best_match(new, [old]) is None


def test_vulnerability_reports_do_not_merge_with_attacks() -> None:
    new = Candidate("n", "vulnerability-patch", ("Acme",), dates=("2024-03-19",))
    old = Candidate("o", "data-breach", ("Acme",), dates=("2024-03-18",))
    assert best_match(new, [old]) is None


def _doc(text: str, published: str, publisher: str) -> Document:
    sha = text_sha256(text)
    return Document(
        id=make_id("document", sha256=sha),
        text=text,
        sha256=sha,
        published=published,
        publisher=publisher,
        title=text[:30],
    )


def _extraction(doc: Document, victim: str, compromised: str) -> Extraction:
    start = doc.text.index(victim)
    mention = Mention(start, start + len(victim), victim)
    entity = Entity(
        make_id("entity", type="organization", canonical=victim), "organization", victim, victim, (mention,)
    )
    incident = Incident(
        id=make_id("incident", doc=doc.id, victim=victim),
        type="data-breach",
        title=f"{victim} breach",
        victims=(Victim(victim, entity=entity.id, country="US"),),
        timeline={"compromised": DatePoint(compromised, "month", mention)},
    )
    return Extraction(doc_id=doc.id, entities=(entity,), incidents=(incident,))


def _save(
    store: SQLiteStore, text: str, published: str, publisher: str, victim: str, compromised: str
) -> str:
    doc = _doc(text, published, publisher)
    ex = _extraction(doc, victim, compromised)
    store.save_document(doc, ex, NOW, plan(doc, ex, store))
    return ex.incidents[0].id


@pytest.fixture()
def store(tmp_path: Path) -> SQLiteStore:
    return open_store(str(tmp_path / "l.sqlite3"))


def test_reports_of_one_incident_link_and_summarise(store: SQLiteStore) -> None:
    first = _save(
        store,
        "Kestrel Health said hackers stole patient data.",
        "2024-06-11",
        "Meridian",
        "Kestrel Health",
        "2024-04",
    )
    second = _save(
        store,
        "Patient records were taken from Kestrel Health in March.",
        "2024-06-12",
        "Wire",
        "Kestrel Health",
        "2024-03",
    )
    other = _save(
        store,
        "Zenith Bank disclosed a breach of customer data.",
        "2024-06-12",
        "Wire",
        "Zenith Bank",
        "2024-05",
    )
    rows = store.incidents()
    assert len(rows) == 2
    record = store.incident(first)
    assert record is not None and len(record["reports"]) == 2
    assert store.incident(second)["id"] == first  # type: ignore[index]
    assert store.incident(other)["id"] == other  # type: ignore[index]
    summary = summarise(record["reports"], record["claims"])
    assert summary["timeline"]["compromised"]["value"] == "2024-03"  # the earliest a source gives
    assert {v["value"] for v in summary["disagreements"]["compromised"]} == {"2024-03", "2024-04"}
    assert summary["timeline"]["reported"]["value"] == "2024-06-11"
    (op,) = store.incident_ops(first)
    assert op["op"] == "auto-link" and op["score"] >= 0.6 and op["reasons"]


def test_merge_split_and_undo_are_reversible(store: SQLiteStore) -> None:
    a = _save(store, "Acme Water reported an intrusion.", "2024-01-02", "A", "Acme Water", "2023-12")
    b = _save(store, "Borealis Power reported an intrusion.", "2024-01-03", "B", "Borealis Power", "2023-12")
    op = store.merge_incidents(a, b, NOW)
    assert [r["id"] for r in store.incidents()] == [a]
    assert len(store.incident(a)["reports"]) == 2  # type: ignore[index]
    with pytest.raises(StoreError):
        store.merge_incidents(a, b, NOW)
    store.undo_incident_op(op, NOW)
    assert {r["id"] for r in store.incidents()} == {a, b}
    with pytest.raises(StoreError):
        store.undo_incident_op(op, NOW)
    op2 = store.merge_incidents(a, b, NOW)
    new_id, op3 = store.split_incident(a, [b], NOW)
    assert new_id == b and {r["id"] for r in store.incidents()} == {a, b}
    store.undo_incident_op(op3, NOW)
    assert [r["id"] for r in store.incidents()] == [a]
    assert [o["op"] for o in store.incident_ops(a)] == ["merge", "merge", "split"]
    assert op2 > op
