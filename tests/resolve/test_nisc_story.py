"""One incident, many reports: the seed article and two differently worded NISC reports become one incident."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from threatledger.config import Settings
from threatledger.pipeline import Extractors, ingest
from threatledger.resolve.summary import summarise
from threatledger.store import open_store

DATA = Path(__file__).parent / "data"


@pytest.mark.slow
def test_three_reports_make_one_nisc_incident(tmp_path: Path, seed_article: Path) -> None:
    articles = [
        {
            "title": "Japan's cybersecurity agency breached by suspected Chinese hackers: report",
            "text": seed_article.read_text(encoding="utf-8"),
            "published": "2023-08-29",
            "publisher": "Recorded Future News",
            "url": "https://therecord.example/nisc",
        },
        {
            "title": "Chinese state hackers breached Japan's cyber defence agency",
            "text": (DATA / "nisc-ft.txt").read_text(encoding="utf-8"),
            "published": "2023-08-28",
            "publisher": "Financial Times",
            "url": "https://ft.example/nisc",
        },
        {
            "title": "Japan's cybersecurity centre says email breach was limited",
            "text": (DATA / "nisc-statement.txt").read_text(encoding="utf-8"),
            "published": "2023-09-08",
            "publisher": "Japan Policy Wire",
            "url": "https://jpw.example/nisc-statement",
        },
    ]
    source = tmp_path / "nisc.jsonl"
    source.write_text("\n".join(json.dumps(a) for a in articles), encoding="utf-8")
    settings = Settings.load(str(tmp_path / "ledger.sqlite3"))
    store = open_store(settings.db)
    extractors = Extractors(settings)
    report = ingest([str(source)], settings, store, extractors)
    assert report.summary()["added"] == 3, report.outcomes

    nisc = [
        r
        for r in store.incidents()
        if "nisc" in (r["victim"] or "").casefold() or "incident readiness" in (r["victim"] or "").casefold()
    ]
    assert len(nisc) == 1, store.incidents()
    record = store.incident(nisc[0]["id"])
    assert record is not None
    assert {r["publisher"] for r in record["reports"]} == {
        "Recorded Future News",
        "Financial Times",
        "Japan Policy Wire",
    }
    summary = summarise(record["reports"], record["claims"])
    assert summary["timeline"]["compromised"]["value"] == "2022-10"
    assert summary["timeline"]["disclosed"]["value"].startswith("2023-08")
    assert summary["timeline"]["compromised"]["rule"]
    stances = {(row["claimant"] or "").casefold(): row["stance"] for row in summary["claims"]}
    assert "suspected" in set(stances.values()) and "not-attributed" in set(stances.values())
    assert any(row["stance"] == "denied" for row in summary["claims"])
    # each source's claims stay apart, dated by their source
    made = {c["doc_id"]: c["made_on"] for c in record["claims"]}
    assert len(made) >= 2

    # a syndicated copy adds a sighting only
    copy = dict(
        articles[1],
        url="https://syndicate.example/copy",
        text="Syndicated from the Financial Times.\n" + articles[1]["text"] + "\nAll rights reserved.",
    )
    source.write_text(json.dumps(copy), encoding="utf-8")
    again = ingest([str(source)], settings, store, extractors)
    assert again.summary()["near-duplicate"] == 1
    assert len(store.incident(nisc[0]["id"])["reports"]) == 3  # type: ignore[index]
    store.close()
