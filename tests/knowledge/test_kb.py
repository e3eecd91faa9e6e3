from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from threatledger.config import Settings
from threatledger.errors import KnowledgeError
from threatledger.knowledge import build_kb, load_kb
from threatledger.knowledge.stix import read_attack_bundle


def _cluster(values: list[dict[str, Any]]) -> dict[str, Any]:
    return {"name": "x", "type": "x", "uuid": "0", "version": 1, "values": values}


@pytest.fixture()
def clusters(tmp_path: Path) -> Path:
    folder = tmp_path / "clusters"
    folder.mkdir()
    actors = [
        {
            "value": "APT28",
            "uuid": "a-1",
            "meta": {"synonyms": ["Fancy Bear", "Sofacy", "Strontium"], "country": "RU"},
        },
        {
            "value": "Sandworm",
            "uuid": "a-2",
            "meta": {"synonyms": ["Strontium"], "cfr-suspected-state-sponsor": "Russia"},
        },
    ]
    groups = [
        {
            "value": "APT28 - G0007",
            "uuid": "g-1",
            "meta": {"external_id": "G0007", "synonyms": ["APT28", "Fancy Bear"]},
        }
    ]
    ransomware = [{"value": "LockBit", "uuid": "r-1", "meta": {"synonyms": ["LockBit 3.0", "LockBit Black"]}}]
    techniques = [
        {
            "value": "Phishing - T1566",
            "uuid": "t-1",
            "meta": {"external_id": "T1566", "kill_chain": ["attack-Windows:initial-access"]},
        },
        {
            "value": "Spearphishing Attachment - T1566.001",
            "uuid": "t-2",
            "meta": {"external_id": "T1566.001"},
            "related": [{"dest-uuid": "t-1", "type": "subtechnique-of"}],
        },
        {
            "value": "Old Thing - T1086",
            "uuid": "t-3",
            "meta": {"external_id": "T1086"},
            "related": [{"dest-uuid": "t-2", "type": "revoked-by"}],
        },
    ]
    for name, values in [
        ("threat-actor", actors),
        ("mitre-intrusion-set", groups),
        ("ransomware", ransomware),
        ("mitre-attack-pattern", techniques),
    ]:
        (folder / f"{name}.json").write_text(json.dumps(_cluster(values)))
    (folder / "firearms.json").write_text(json.dumps(_cluster([{"value": "ignored", "uuid": "f"}])))
    return folder


def test_lookup_with_provenance_and_links(clusters: Path) -> None:
    kb = build_kb(clusters)
    hits = kb.lookup("fancy bear")
    assert [e.id for e in hits] == ["misp:threat-actor:a-1", "misp:mitre-intrusion-set:g-1"]
    assert hits[0].sources == ("misp:threat-actor",) and hits[0].country == "RU"
    assert hits[1].canonical == "APT28" and hits[1].external_id == "G0007"
    links = {(r.target, r.type) for r in kb.related("misp:threat-actor:a-1")}
    assert ("misp:mitre-intrusion-set:g-1", "same-as") in links
    assert ("misp:threat-actor:a-2", "overlaps-with") in links  # shared alias "Strontium": linked, not merged
    assert kb.entry("misp:threat-actor:a-2").country == "RU"  # type: ignore[union-attr]
    assert kb.entry("misp:threat-actor:a-2").canonical == "Sandworm"  # type: ignore[union-attr]
    assert len(kb) == 4
    assert kb.lookup("ignored") == []


def test_resolve_picks_family_representative(clusters: Path) -> None:
    kb = build_kb(clusters)
    target = kb.resolve("Sofacy")
    assert target is not None and (target.type, target.canonical, target.country) == (
        "threat-actor",
        "APT28",
        "RU",
    )
    lockbit = kb.resolve("LockBit Black")
    assert lockbit is not None and lockbit.type == "malware" and lockbit.canonical == "LockBit"
    assert kb.entry(lockbit.kb_ref).category == "ransomware"  # type: ignore[union-attr]


def test_techniques_follow_revocation(clusters: Path) -> None:
    kb = build_kb(clusters)
    assert kb.current_technique("T1086").id == "T1566.001"  # type: ignore[union-attr]
    assert kb.technique("t1566.001").parent == "T1566"  # type: ignore[union-attr]
    assert [t.id for t in kb.techniques_named("phishing")] == ["T1566"]


def test_errors_name_the_fix(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError, match="kb update"):
        build_kb(tmp_path / "missing")
    (tmp_path / "threat-actor.json").write_text("{not json")
    with pytest.raises(KnowledgeError, match=r"threat-actor\.json"):
        build_kb(tmp_path)


def test_load_kb_prefers_kb_dir_and_caches(clusters: Path, tmp_path: Path) -> None:
    settings = Settings(db=":memory:", cache_dir=tmp_path / "cache", kb_dir=clusters.parent)
    kb = load_kb(settings)
    assert kb.lookup("Sandworm") and str(clusters) in kb.provenance[0]
    assert len(list((tmp_path / "cache").glob("kb-*.pickle"))) == 1
    again = load_kb(settings)
    assert again.resolve("Fancy Bear") == kb.resolve("Fancy Bear")


def test_packaged_kb_cold_and_warm(tmp_path: Path) -> None:
    settings = Settings(db=":memory:", cache_dir=tmp_path / "cache", kb_dir=tmp_path / "nothing")
    started = time.perf_counter()
    kb = load_kb(settings)
    cold = time.perf_counter() - started
    started = time.perf_counter()
    load_kb(settings)
    warm = time.perf_counter() - started
    assert warm < cold
    lockbit = kb.resolve("LockBit")
    assert lockbit is not None and lockbit.type == "malware"
    apt28 = kb.resolve("Fancy Bear")
    assert apt28 is not None and apt28.type == "threat-actor" and apt28.country == "RU"
    assert kb.current_technique("T1086").id == "T1059.001"  # type: ignore[union-attr]


def test_shared_galaxy_and_attack_bundle(shared_data: Path) -> None:
    folder = shared_data / "misp-galaxy" / "clusters"
    bundle = shared_data / "mitre-attack" / "enterprise-attack.json"
    if not folder.is_dir() or not bundle.is_file():
        pytest.skip("misp-galaxy clusters or the ATT&CK bundle are absent")
    entries, techniques = read_attack_bundle(bundle)
    ids = {e.external_id for e in entries}
    assert {"G0007", "S0154"} <= ids
    by_id = {t.id: t for t in techniques}
    assert by_id["T1574.002"].revoked_by == "T1574.001"
    kb = build_kb(folder, bundle)
    assert kb.current_technique("T1574.002").id == "T1574.001"  # type: ignore[union-attr]
    assert any(e.id == "attack:G0007" for e in kb.lookup("APT28"))
