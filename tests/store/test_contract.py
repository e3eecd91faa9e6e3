"""Store contract: every backend (SQLite, PostgreSQL) passes these."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from threatledger.ids import make_id, text_sha256
from threatledger.model import (
    Claim,
    ClaimActor,
    DatePoint,
    Document,
    Entity,
    Extraction,
    Incident,
    Indicator,
    Mention,
    Victim,
)
from threatledger.store import SQLiteStore, open_store
from threatledger.store.base import Resolution

NOW = "2024-01-02T03:04:05+00:00"


def document(text: str, url: str | None = None, published: str | None = "2023-08-29") -> Document:
    sha = text_sha256(text)
    return Document(
        id=make_id("document", sha256=sha),
        text=text,
        sha256=sha,
        url=url,
        canonical_url=url,
        title=text.split(".")[0],
        published=published,
        source=url or "test.txt",
    )


def extraction(doc: Document) -> Extraction:
    start = doc.text.index("NISC")
    mention = Mention(start, start + 4, "NISC")
    incident = Incident(
        id=make_id("incident", doc=doc.id, victim="NISC"),
        type="intrusion",
        title="NISC email intrusion",
        victims=(Victim("NISC", country="JP", sector="government"),),
        timeline={"compromised": DatePoint("2022-10", "month", mention)},
        dwell_days=270,
    )
    claim = Claim(
        id=make_id("claim", doc=doc.id, n=0),
        incident=incident.id,
        claimant=mention,
        actor=ClaimActor("Chinese hackers", 0, 7, "state", "China"),
        stance="suspected",
        evidence=mention,
    )
    return Extraction(
        doc_id=doc.id,
        entities=(
            Entity(
                make_id("entity", type="organization", canonical="NISC"),
                "organization",
                "NISC",
                "NISC",
                (mention,),
                aliases=("National Center of Incident Readiness",),
            ),
        ),
        indicators=(Indicator("ipv4", "8.8.8.8", 0, 7, "8.8.8[.]8", True, "public-dns"),),
        incidents=(incident,),
        claims=(claim,),
        versions={"entities": "1"},
    )


@pytest.fixture(params=["sqlite", "postgres"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SQLiteStore]:
    """The same contract on every backend; PostgreSQL runs on a throwaway server (see tests/conftest.py)."""
    if request.param == "postgres":
        location = request.getfixturevalue("postgres_url")
    else:
        location = str(tmp_path / "ledger.sqlite3")
    s = open_store(location)
    yield s
    s.close()


def test_migrations_are_recorded_and_idempotent(store: SQLiteStore) -> None:
    version = store.schema_version()
    assert version >= 2
    assert store.migrate() == []
    assert store.schema_version() == version


def test_saving_twice_records_a_sighting_not_a_copy(store: SQLiteStore) -> None:
    doc = document("Hackers breached NISC. The agency said so.", "https://a.example/x")
    assert store.save_document(doc, extraction(doc), NOW).status == "added"
    again = store.save_document(doc, extraction(doc), NOW)
    assert again.status == "duplicate" and again.duplicate_of == doc.id
    assert store.count_documents() == 1


def test_same_text_with_other_whitespace_is_a_duplicate(store: SQLiteStore) -> None:
    first = document("Hackers breached NISC.  The agency said so.")
    second = document("Hackers breached NISC.\nThe agency   said so.", url="https://b.example/y")
    store.save_document(first, None, NOW)
    result = store.save_document(second, None, NOW)
    assert result.status == "duplicate" and result.reason == "same-content"
    assert [s["kind"] for s in store.sightings(first.id)] == ["original", "duplicate"]


def test_same_canonical_url_is_a_duplicate(store: SQLiteStore) -> None:
    store.save_document(document("First version about NISC.", "https://a.example/x"), None, NOW)
    result = store.save_document(document("Edited version about NISC.", "https://a.example/x"), None, NOW)
    assert result.status == "duplicate" and result.reason == "same-url"


def test_search_ranks_and_snippets(store: SQLiteStore) -> None:
    store.save_document(document("Ransomware hit a port in Nagoya. Ransomware again."), None, NOW)
    store.save_document(
        document("A phishing campaign against banks, and a word about ransomware."), None, NOW
    )
    hits = store.search("ransomware")
    assert len(hits) == 2
    assert "Nagoya" in hits[0].snippet and "[" in hits[0].snippet
    assert store.search('"phishing campaign"')[0].title.startswith("A phishing")
    assert store.search("nothinglikethis") == []
    assert store.search('unbalanced " quote AND') is not None


def test_findings_are_queryable(store: SQLiteStore) -> None:
    doc = document("Suspected hackers breached NISC in Japan.")
    store.save_document(doc, extraction(doc), NOW)
    assert [e["canonical"] for e in store.entities(type="organization")] == ["NISC"]
    assert store.entities(name="national center of incident readiness")[0]["canonical"] == "NISC"
    rows = store.incidents({"country": "jp"})
    assert len(rows) == 1 and rows[0]["claims"] == 1
    assert store.incidents({"actor": "china"})[0]["id"] == rows[0]["id"]
    assert store.incidents({"country": "US"}) == []
    record = store.incident(rows[0]["id"])
    assert record is not None and record["claims"][0]["stance"] == "suspected"
    assert record["data"]["timeline"]["compromised"]["value"] == "2022-10"
    assert store.indicators(value="8.8.8.8")[0]["benign"] is True
    assert store.get_extraction(doc.id)["entities"][0]["name"] == "NISC"


def test_a_failed_write_leaves_nothing_behind(store: SQLiteStore) -> None:
    doc = document("Hackers breached NISC again.")
    bad = extraction(doc)
    broken = Extraction(doc_id=doc.id, entities=bad.entities, indicators=(None,))  # type: ignore[arg-type]
    with pytest.raises(AttributeError):
        store.save_document(doc, broken, NOW)
    assert store.count_documents() == 0
    assert store.entities() == []


def test_feed_cursor(store: SQLiteStore) -> None:
    assert store.add_feed("https://feeds.example/rss", NOW) is True
    assert store.add_feed("https://feeds.example/rss", NOW) is False
    assert not store.feed_seen("https://feeds.example/rss", "guid-1")
    store.mark_feed_item("https://feeds.example/rss", "guid-1", None, NOW)
    assert store.feed_seen("https://feeds.example/rss", "guid-1")
    store.update_feed(
        "https://feeds.example/rss", polled=NOW, status="new", etag='"abc"', modified=None, title="T"
    )
    (feed,) = store.list_feeds()
    assert feed.etag == '"abc"' and feed.items == 1 and feed.title == "T"


def test_ledger_file_is_wal_and_sound(tmp_path: Path) -> None:
    path = tmp_path / "l.sqlite3"
    s = open_store(f"sqlite:///{path}")
    assert s.integrity_check() == "ok"
    s.close()
    mode = sqlite3.connect(path).execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"


def _claimed(text: str, actor: str, published: str) -> tuple[Document, Extraction]:
    doc = document(text, published=published)
    mention = Mention(0, len(actor), actor)
    incident = Incident(
        id=make_id("incident", doc=doc.id), type="ransomware", title=text, victims=(Victim(text.split()[-1]),)
    )
    claim = Claim(
        id=make_id("claim", doc=doc.id, n=0),
        incident=incident.id,
        claimant=None,
        actor=ClaimActor(actor, 0, len(actor), "group", actor),
        stance="claimed-responsibility",
        evidence=mention,
    )
    return doc, Extraction(doc_id=doc.id, incidents=(incident,), claims=(claim,))


def test_actor_filter_pages_newest_first_for_prolific_and_rare_actors(store: SQLiteStore) -> None:
    for day in range(1, 7):
        actor = "Rarebird" if day == 3 else "LockBit"
        store.save_document(*_claimed(f"{actor} hit victim{day}", actor, f"2024-03-0{day}"), NOW)
    newest = [r["victim"] for r in store.incidents({"actor": "lockbit"}, limit=2)]
    assert newest == ["victim6", "victim5"]
    assert [r["victim"] for r in store.incidents({"actor": "LOCKBIT"}, limit=2, offset=2)] == [
        "victim4",
        "victim2",
    ]
    assert len(store.incidents({"actor": "LockBit"})) == 5
    assert [r["victim"] for r in store.incidents({"actor": "rarebird"}, limit=1)] == ["victim3"]
    assert store.incidents({"actor": "LockBit", "since": "2024-03-05"}, limit=1)[0]["victim"] == "victim6"


def test_search_ranks_the_newest_matches_of_a_very_common_word(store: SQLiteStore) -> None:
    store.RANK_WINDOW = 3
    store.save_document(
        document("Ransomware ransomware ransomware ransomware, the oldest report."), None, NOW
    )
    for n in range(1, 5):
        store.save_document(
            document(f"Report {n} mentions ransomware once among many other words here."), None, NOW
        )
    within_window = store.search("ransomware", limit=3)
    assert len(within_window) == 3 and all(h.title.startswith("Report") for h in within_window)
    assert {h.title.split()[1] for h in within_window} == {"2", "3", "4"}
    # a page beyond the window widens it to a multiple that covers the page, so every match is reachable
    assert len(store.search("ransomware", limit=3, offset=3)) == 2
    store.RANK_WINDOW = 10
    assert store.search("ransomware", limit=1)[0].title.startswith("Ransomware ransomware")


def test_incident_candidates_past_the_limit_are_the_most_recent(store: SQLiteStore) -> None:
    for day in (3, 1, 5, 2, 4):
        doc, found = _claimed(f"LockBit hit Harbor Water unit{day}", "LockBit", f"2024-03-0{day}")
        keys = {i.id: ("harbor water",) for i in found.incidents}
        store.save_document(doc, found, NOW, Resolution(keys=keys))
    newest = store.incident_candidates(["harbor water"], limit=2)
    assert [c["title"].split()[-1] for c in newest] == ["unit5", "unit4"]
    assert len(store.incident_candidates(["harbor water"])) == 5


def test_a_linked_report_fills_the_country_and_sector_the_first_lacked(store: SQLiteStore) -> None:
    first_doc = document("Hackers hit Harbor Water on Monday.", published="2024-03-01")
    first = Incident(id=make_id("incident", doc=first_doc.id), type="ransomware", title="t",
                     victims=(Victim("Harbor Water"),))  # fmt: skip
    store.save_document(first_doc, Extraction(doc_id=first_doc.id, incidents=(first,)), NOW)
    later_doc = document("Harbor Water, an Oregon utility, restored its systems.", published="2024-03-05")
    later = Incident(id=make_id("incident", doc=later_doc.id), type="ransomware", title="t",
                     victims=(Victim("Harbor Water", country="US", sector="water"),))  # fmt: skip
    links = Resolution(links={later.id: first.id})
    store.save_document(later_doc, Extraction(doc_id=later_doc.id, incidents=(later,)), NOW, links)
    (row,) = store.incidents({})
    assert (row["id"], row["country"], row["sector"], row["reports"]) == (first.id, "US", "water", 2)
