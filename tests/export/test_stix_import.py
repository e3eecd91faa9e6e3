"""STIX import: reports become documents, every object is kept verbatim, re-importing adds nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from threatledger.errors import ExportError
from threatledger.export.stix import export_stix
from threatledger.export.stix_import import import_stix, read_bundle
from threatledger.store import open_store

from .ledger_fixture import Ledger, build_ledger

PARTNER = {
    "type": "bundle",
    "id": "bundle--5d0f1c4e-2c1a-4b8e-9d7e-0a1b2c3d4e5f",
    "objects": [
        {
            "type": "identity",
            "spec_version": "2.1",
            "id": "identity--0f0e6a3e-8d5b-4d55-9c59-5c8ab3f0a0e1",
            "created": "2024-02-01T00:00:00.000Z",
            "modified": "2024-02-01T00:00:00.000Z",
            "name": "Partner CERT",
            "identity_class": "organization",
        },
        {
            "type": "report",
            "spec_version": "2.1",
            "id": "report--8f5c1a3e-1b2c-4d3e-8f4a-5b6c7d8e9f00",
            "created": "2024-02-01T00:00:00.000Z",
            "modified": "2024-02-02T00:00:00.000Z",
            "created_by_ref": "identity--0f0e6a3e-8d5b-4d55-9c59-5c8ab3f0a0e1",
            "name": "Spearphishing wave against ministries",
            "description": "Since January the actor sent spearphishing attachments to three ministries.",
            "published": "2024-02-02T00:00:00Z",
            "report_types": ["threat-report"],
            "object_refs": ["attack-pattern--7e33a43e-e34b-40ec-89da-36c9bb2cacd5"],
            "external_references": [
                {"source_name": "Partner CERT", "url": "https://cert.example/advisories/7"}
            ],
        },
        {
            "type": "attack-pattern",
            "spec_version": "2.1",
            "id": "attack-pattern--7e33a43e-e34b-40ec-89da-36c9bb2cacd5",
            "created": "2020-03-02T19:05:18.137Z",
            "modified": "2023-10-01T00:00:00.000Z",
            "name": "Spearphishing Attachment",
            "external_references": [{"source_name": "mitre-attack", "external_id": "T1566.001"}],
            "x_mitre_version": "2.2",
        },
    ],
}


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return build_ledger(tmp_path / "ledger.sqlite3")


def test_partner_bundle(tmp_path: Path) -> None:
    store = open_store(str(tmp_path / "l.sqlite3"))
    try:
        result = import_stix(store, PARTNER, source="partner.json", imported_at="2024-02-03T00:00:00+00:00")
        assert result.summary() == {
            "objects": 3,
            "new_objects": 3,
            "reports": 1,
            "documents_added": 1,
            "documents_duplicate": 0,
        }
        doc_id = result.documents["report--8f5c1a3e-1b2c-4d3e-8f4a-5b6c7d8e9f00"]
        document = store.get_document(doc_id)
        assert document is not None
        assert document.title == "Spearphishing wave against ministries"
        assert "three ministries" in document.text and document.text.startswith(document.title)
        assert document.publisher == "Partner CERT"
        assert document.url == "https://cert.example/advisories/7"
        assert document.published == "2024-02-02T00:00:00Z"
        assert document.source_kind == "stix"
        assert store.search("ministries")[0].doc_id == doc_id
        # kept verbatim, custom properties included
        row = store.stix_object("attack-pattern--7e33a43e-e34b-40ec-89da-36c9bb2cacd5")
        assert row is not None and row.data == PARTNER["objects"][2] and row.source == "partner.json"
        assert store.stix_object("report--8f5c1a3e-1b2c-4d3e-8f4a-5b6c7d8e9f00").doc_id == doc_id  # type: ignore[union-attr]
        assert store.count_stix_objects() == 3 and store.count_stix_objects("identity") == 1
        again = import_stix(store, PARTNER, source="partner.json", imported_at="2024-02-04T00:00:00+00:00")
        assert again.new_objects == 0 and again.added == () and store.count_documents() == 1
        # a newer version sits beside the old one
        newer: dict[str, Any] = json.loads(json.dumps(PARTNER))
        newer["objects"][2]["modified"] = "2024-04-01T00:00:00.000Z"
        import_stix(store, newer, source="partner-v2.json", imported_at="2024-04-02T00:00:00+00:00")
        versions = store.stix_object_versions("attack-pattern--7e33a43e-e34b-40ec-89da-36c9bb2cacd5")
        assert versions == ["2023-10-01T00:00:00.000Z", "2024-04-01T00:00:00.000Z"]
        latest = store.stix_objects(type="attack-pattern")
        assert [r.version for r in latest] == ["2024-04-01T00:00:00.000Z"]
    finally:
        store.close()


def test_export_then_import(ledger: Ledger, tmp_path: Path) -> None:
    source = open_store(str(ledger.path))
    try:
        bundle = export_stix(source, with_text=True)
    finally:
        source.close()
    target = open_store(str(tmp_path / "copy.sqlite3"))
    try:
        result = import_stix(target, bundle, source="ledger.json", imported_at="2024-01-02T00:00:00+00:00")
        assert result.summary()["documents_added"] == 4
        assert target.count_stix_objects() == len(bundle["objects"])
        titles = {r.title for r in target.list_documents()}
        assert "Port of Nagoya hit by ransomware" in titles
    finally:
        target.close()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "cannot read"),
        ('{"type": "report"}', "not a STIX bundle"),
        ('{"type": "bundle", "objects": {}}', "not a list"),
        ('{"type": "bundle", "objects": [{"type": "report"}]}', "no type or id"),
        ('{"type": "bundle", "objects": [{"type": "report", "id": "note--1"}]}', "does not match"),
    ],
)
def test_bad_bundles(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ExportError, match=message):
        read_bundle(path)
