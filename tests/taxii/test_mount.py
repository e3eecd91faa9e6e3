"""The TAXII routes are part of the application the API and web UI run in."""

from __future__ import annotations

from pathlib import Path

from starlette.testclient import TestClient

from export.ledger_fixture import INCIDENT, build_ledger
from threatledger.api.app import create_app
from threatledger.config import Settings
from threatledger.taxii.collections import TAXII_MEDIA_TYPE

TOKEN = "tl_token-for-the-mounted-server"


def test_create_app_serves_taxii(tmp_path: Path) -> None:
    ledger = build_ledger(tmp_path / "ledger.sqlite3")
    app = create_app(Settings(db=str(ledger.path), cache_dir=tmp_path / "cache"), api_token=TOKEN)
    headers = {"Authorization": f"Bearer {TOKEN}", "Accept": TAXII_MEDIA_TYPE}
    with TestClient(app, base_url="http://127.0.0.1") as client:
        discovery = client.get("/taxii2/", headers=headers)
        assert discovery.status_code == 200 and discovery.headers["content-type"] == TAXII_MEDIA_TYPE
        assert discovery.json()["default"] == "http://127.0.0.1/taxii2/api/"
        found = client.get(f"/taxii2/api/collections/incidents/objects/{INCIDENT}/", headers=headers)
        assert found.json()["objects"][0]["id"] == INCIDENT
        assert client.get("/taxii2/api/collections/", headers={"Accept": TAXII_MEDIA_TYPE}).status_code == 401
