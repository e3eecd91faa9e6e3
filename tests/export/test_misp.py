"""MISP export: events PyMISP loads back, with the right attribute types, tags, reports and opinions."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pymisp import MISPEvent

from threatledger.export.misp import export_misp
from threatledger.store import open_store

from .ledger_fixture import INCIDENT, PORT_INCIDENT, Ledger, build_ledger


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    return build_ledger(tmp_path_factory.mktemp("misp") / "ledger.sqlite3")


@pytest.fixture(scope="module")
def events(ledger: Ledger) -> dict[str, Any]:
    store = open_store(str(ledger.path))
    try:
        return export_misp(store)
    finally:
        store.close()


def load(item: dict[str, Any]) -> MISPEvent:
    event = MISPEvent()
    event.load(json.dumps(item))
    return event


def nisc(events: dict[str, Any]) -> MISPEvent:
    return next(load(i) for i in events["response"] if i["Event"]["uuid"] == INCIDENT.split("--")[1])


def test_one_event_per_incident(events: dict[str, Any]) -> None:
    uuids = sorted(i["Event"]["uuid"] for i in events["response"])
    assert uuids == sorted(x.split("--")[1] for x in (INCIDENT, PORT_INCIDENT))


def test_round_trip_through_pymisp(events: dict[str, Any]) -> None:
    for item in events["response"]:
        event = load(item)
        again = json.loads(event.to_json())
        assert again["uuid"] == item["Event"]["uuid"]
        assert {(a["type"], a["value"]) for a in again["Attribute"]} == {
            (a["type"], a["value"]) for a in item["Event"]["Attribute"]
        }
        assert [t["name"] for t in again["Tag"]] == [t["name"] for t in item["Event"]["Tag"]]
        assert len(again["Opinion"]) == len(item["Event"]["Opinion"])
        assert len(again["EventReport"]) == len(item["Event"]["EventReport"])


def test_attribute_types_and_ids_flags(events: dict[str, Any]) -> None:
    event = nisc(events)
    assert event.info == "NISC email system breach"
    assert str(event.date) == "2023-08-04"
    found = {(a.type, a.value): a for a in event.attributes}
    expected_ids = {
        ("ip-dst", "198.51.100.23"): True,
        ("domain", "mail-sync.example.org"): True,
        ("url", "http://mail-sync.example.org/owa/update.php"): True,
        ("sha256", "5e884898da28047151d0e56f8dc6292773603d0d6aabbdd62a11ef721d1542d8"): True,
        ("md5", "098f6bcd4621d373cade4e832627b4f6"): True,
        ("email-src", "hr-notice@mail-sync.example.org"): True,
        ("filename", "invoice.doc"): True,
        ("vulnerability", "CVE-2023-2868"): False,
        ("domain", "www.microsoft.com"): False,  # benign: kept, never for detection
        ("link", "https://www.ft.com/content/nisc-breach"): False,
        ("link", "https://www.nisc.go.jp/news/20230804.html"): False,
        ("link", "https://kestrel-labs.example/blog/blacktech-nisc"): False,
    }
    assert {k: a.to_ids for k, a in found.items()} == expected_ids
    assert "warninglist" in found[("domain", "www.microsoft.com")].comment
    assert found[("vulnerability", "CVE-2023-2868")].comment.endswith("; affects email-related equipment")
    assert found[("ip-dst", "198.51.100.23")].category == "Network activity"


def test_galaxy_tags(events: dict[str, Any]) -> None:
    tags = {t.name for t in nisc(events).tags}
    assert 'misp-galaxy:threat-actor="BlackTech"' in tags
    assert 'misp-galaxy:mitre-intrusion-set="BlackTech - G0098"' in tags
    assert 'misp-galaxy:mitre-attack-pattern="Spearphishing Attachment - T1566.001"' in tags
    assert 'misp-galaxy:mitre-malware="PlugX - S0013"' in tags
    assert 'misp-galaxy:mitre-tool="Cobalt Strike - S0154"' in tags
    # a description is not a galaxy cluster
    assert not any("Chinese state-backed hackers" in t for t in tags)


def test_reports_and_opinions(events: dict[str, Any]) -> None:
    event = nisc(events)
    names = [r.name for r in event.event_reports]
    assert "Chinese state hackers breached Japan's cyber defence agency" in names
    claims = next(r for r in event.event_reports if r.name == "Timeline and attribution claims")
    assert "| China's foreign ministry | China | denied |" in claims.content
    assert "**compromised**: 2022-10 (month)" in claims.content
    assert "code overlaps in the PlugX loader" in claims.content
    opinions = {o.authors: o for o in event.opinions}
    assert int(opinions["China's foreign ministry"].opinion) == 0
    assert int(opinions["Kestrel Labs"].opinion) == 60
    assert int(opinions["three people familiar with the matter"].opinion) == 80
    assert int(opinions["NISC"].opinion) == 50
    assert "not-attributed" in opinions["NISC"].comment
    assert all(o.object_uuid == event.uuid and o.object_type == "Event" for o in event.opinions)


def test_deterministic_and_one_incident(ledger: Ledger) -> None:
    store = open_store(str(ledger.path))
    try:
        assert export_misp(store) == export_misp(store)
        only = export_misp(store, PORT_INCIDENT)
    finally:
        store.close()
    assert [i["Event"]["info"] for i in only["response"]] == ["Port of Nagoya ransomware attack"]
    event = load(only["response"][0])
    assert {t.name for t in event.tags} >= {'misp-galaxy:threat-actor="LockBit"'}
    assert [int(o.opinion) for o in event.opinions] == [100]


def test_feed(ledger: Ledger, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from threatledger.cli import cli

    feed = tmp_path / "feed"
    result = CliRunner().invoke(cli, ["--db", str(ledger.path), "export", "misp", "--feed", str(feed)])
    assert result.exit_code == 0, result.output
    manifest = json.loads((feed / "manifest.json").read_text(encoding="utf-8"))
    uuid = INCIDENT.split("--")[1]
    assert set(manifest) == {uuid, PORT_INCIDENT.split("--")[1]}
    assert manifest[uuid]["info"] == "NISC email system breach"
    assert manifest[uuid]["Orgc"]["name"] == "threatledger"
    event = MISPEvent()
    event.load_file(str(feed / f"{uuid}.json"))
    assert ("ip-dst", "198.51.100.23") in {(a.type, a.value) for a in event.attributes}
    assert len(event.opinions) == 4
    hashes = (feed / "hashes.csv").read_text(encoding="utf-8")
    assert f",{uuid}" in hashes
