"""The JSON API over a fixture ledger: listings, filters, pagination, details, errors, auth and writes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from threatledger.api import create_app
from threatledger.config import Settings
from threatledger.store import SQLiteStore
from web.ledger_fixture import INCIDENT, PORT_INCIDENT, SCRIPT, Ledger

AUTH = {"Authorization": "Bearer test-token"}


@pytest.fixture(scope="module")
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def test_incidents_filters_and_next_link(client: TestClient) -> None:
    body = client.get("/api/incidents").json()
    assert {i["id"] for i in body["items"]} == {INCIDENT, PORT_INCIDENT}
    assert body["next"] is None
    first = client.get("/api/incidents", params={"limit": 1}).json()
    assert len(first["items"]) == 1 and first["next"]
    second = client.get(first["next"]).json()
    assert len(second["items"]) == 1 and second["next"] is None
    assert first["items"][0]["id"] != second["items"][0]["id"]
    for params, expected in (
        ({"country": "jp"}, {INCIDENT, PORT_INCIDENT}),
        ({"sector": "government"}, {INCIDENT}),
        ({"actor": "China"}, {INCIDENT}),
        ({"actor": "LockBit"}, {PORT_INCIDENT}),
        ({"type": "ransomware"}, {PORT_INCIDENT}),
        ({"stance": "denied"}, {INCIDENT}),
        ({"since": "2023-09"}, {INCIDENT}),
        ({"until": "2023-07-31"}, {PORT_INCIDENT}),
        ({"country": "US"}, set()),
    ):
        got = {i["id"] for i in client.get("/api/incidents", params=params).json()["items"]}
        assert got == expected, params


def test_incident_detail_has_timeline_claims_by_stance_and_reports(
    client: TestClient, ledger: Ledger
) -> None:
    d = client.get(f"/api/incidents/{INCIDENT}").json()
    stages = {e["event"]: e for e in d["timeline"] if e["event"] != "report"}
    assert stages["compromised"]["value"] == "2022-10" and stages["compromised"]["granularity"] == "month"
    assert stages["compromised"]["start"] == "2022-10-01" and stages["compromised"]["end"] == "2022-10-31"
    assert stages["disclosed"]["value"] == "2023-08-04"  # the day beats the month another report gives
    assert stages["discovered"]["value"] == "2023-06"  # a date beats the "nine months" duration
    assert [e["value"] for e in d["timeline"] if e["event"] == "report"] == [
        "2023-08-04",
        "2023-11-27",
        "2023-11-28",
    ]
    groups = d["claims_by_stance"]
    assert list(groups) == ["asserted", "suspected", "denied", "not-attributed"]
    assert {c["publisher"] for c in groups["not-attributed"]} == {"NISC", "The Record"}
    assert groups["denied"][0]["evidence"].startswith("China's ministry of foreign affairs denied")
    assert groups["suspected"][0]["cites"] == "three government and private sector sources"
    assert {r["doc_id"] for r in d["reports"]} == {ledger.record_doc, ledger.ft_doc, ledger.nisc_doc}
    assert d["dwell_days"] == 243


def test_documents_entities_search_indicators_feeds(client: TestClient, ledger: Ledger) -> None:
    docs = client.get("/api/documents").json()["items"]
    assert len(docs) == 4
    doc = client.get(f"/api/documents/{ledger.hostile_doc}").json()
    assert SCRIPT in doc["document"]["title"]
    assert doc["vulnerabilities"] == [
        {"id": "CVE-2023-4966", "product": "Citrix NetScaler", "vendor": None, "mentions": 1}
    ]
    entity = client.get("/api/entities/NISC").json()
    assert entity["entities"][0]["canonical"] == "NISC"
    assert INCIDENT in {i["id"] for i in entity["incidents"]}
    alias = client.get("/api/entities/Chinese state hackers").json()
    assert alias["entities"][0]["canonical"] == "Chinese state-backed hackers"
    hits = client.get("/api/search", params={"q": "hackers"}).json()["items"]
    assert {h["doc_id"] for h in hits} == {ledger.record_doc, ledger.ft_doc}
    iocs = {i["type"]: i for i in client.get("/api/indicators").json()["items"]}
    assert iocs["ipv4"]["defanged"] == "203.0.113[.]7"
    assert iocs["url"]["defanged"] == "hxxp://malicious.example[.]net/payload.exe"
    assert iocs["url"]["value"] == "http://malicious.example.net/payload.exe"
    assert client.get("/api/feeds").json() == {"items": []}
    assert len(client.get("/api/entities", params={"limit": 2}).json()["items"]) == 2


@pytest.mark.parametrize(
    ("url", "status"),
    [
        ("/api/incidents/incident--nope", 404),
        ("/api/documents/nope", 404),
        ("/api/entities/nobody", 404),
        ("/api/incidents?limit=0", 400),
        ("/api/incidents?limit=x", 400),
        ("/api/incidents?since=yesterday", 400),
        ("/api/incidents?stance=maybe", 400),
        ("/api/search", 400),
        ("/api/nothing", 404),
    ],
)
def test_errors_are_json_with_a_message(client: TestClient, url: str, status: int) -> None:
    response = client.get(url)
    assert response.status_code == status
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"]["message"]


def test_security_headers_on_api_and_pages(client: TestClient) -> None:
    for url in ("/api/incidents", "/incidents", "/static/style.css"):
        headers = client.get(url).headers
        csp = headers["content-security-policy"]
        for part in (
            "default-src 'self'",
            "script-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
        ):
            assert part in csp
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["referrer-policy"] == "no-referrer"


def test_openapi_describes_every_api_route(client: TestClient, app: Starlette) -> None:
    spec = client.get("/openapi.json").json()
    assert spec["openapi"].startswith("3.")
    routes = {getattr(r, "path", "") for r in app.routes}
    for path in routes:
        if path.startswith("/api/"):
            assert path in spec["paths"], path


def test_writes_need_a_bearer_token(client: TestClient) -> None:
    body = {"name": "x", "filters": {"actor": "China"}}
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic dGVzdA=="}):
        response = client.post("/api/watchlists", json=body, headers=headers)
        assert response.status_code == 401
        assert "bearer token" in response.json()["error"]["message"]
    assert client.post("/api/feeds", json={"url": "https://x.example/feed"}).status_code == 401
    assert client.post("/api/ingest", json={"url": "https://x.example/a"}).status_code == 401
    assert client.delete("/api/watchlists/x").status_code == 401


def test_watchlist_and_feed_writes(client: TestClient) -> None:
    created = client.post(
        "/api/watchlists",
        json={"name": "china-watch", "filters": {"actor": "China"}, "webhook": "https://hooks.example/x"},
        headers=AUTH,
    )
    assert created.status_code == 201
    assert len(created.json()["webhook_secret"]) >= 32
    listed = client.get("/api/watchlists").json()["items"]
    assert [w["name"] for w in listed] == ["china-watch"]
    assert "webhook_secret" not in listed[0]
    again = client.post(
        "/api/watchlists", json={"name": "china-watch", "filters": {"actor": "X"}}, headers=AUTH
    )
    assert again.status_code == 409
    bad = client.post("/api/watchlists", json={"name": "y", "filters": {"colour": "red"}}, headers=AUTH)
    assert bad.status_code == 400 and "colour" in bad.json()["error"]["message"]
    assert client.post("/api/watchlists", content=b"{nope", headers=AUTH).status_code == 400
    assert client.delete("/api/watchlists/china-watch", headers=AUTH).status_code == 204
    assert client.delete("/api/watchlists/china-watch", headers=AUTH).status_code == 404
    assert (
        client.post("/api/feeds", json={"url": "https://news.example/feed"}, headers=AUTH).status_code == 201
    )
    assert (
        client.post("/api/feeds", json={"url": "https://news.example/feed"}, headers=AUTH).status_code == 200
    )
    assert client.post("/api/feeds", json={"url": "file:///etc/passwd"}, headers=AUTH).status_code == 400


def test_ingest_text_with_a_stored_token_raises_alerts(tmp_path: Any) -> None:
    db = tmp_path / "ingest.sqlite3"
    settings = Settings(db=str(db), cache_dir=tmp_path / "cache")
    app = create_app(settings, lambda: SQLiteStore(db))
    from threatledger.api.auth import create_token
    from threatledger.watch import create_watchlist

    store = SQLiteStore(db)
    token, _ = create_token(store, "ci", "2024-01-01T00:00:00+00:00")
    create_watchlist(store, "germany", {"country": "DE"})
    store.close()
    headers = {"Authorization": f"Bearer {token}"}
    article = {
        "title": "ACME hit by ransomware",
        "text": "Acme Maschinenbau, a manufacturer based in Stuttgart, Germany, said on Friday that a ransomware "
        "attack had encrypted its production systems. The company said it was working with the police.\n",
        "published": "2024-03-01",
    }
    with TestClient(app) as client:
        response = client.post("/api/ingest", json=article, headers=headers)
        assert response.status_code == 201, response.text
        body = response.json()
        assert body["summary"]["added"] == 1 and len(body["alerts"]) == 1
        again = client.post("/api/ingest", json=article, headers=headers)
        assert again.status_code == 200 and again.json()["outcomes"][0]["status"] == "duplicate"
        assert again.json()["alerts"] == []
        alerts = client.get("/api/alerts").json()["items"]
        assert [a["watchlist"] for a in alerts] == ["germany"]
        assert alerts[0]["object_type"] == "incident"
        assert client.post("/api/ingest", json={"title": "no text"}, headers=headers).status_code == 400
    store = SQLiteStore(db)
    assert store.list_tokens()[0].last_used is not None
    store.close()


def test_live_server_serves_json(base_url: str) -> None:
    response = httpx.get(f"{base_url}/api/incidents", params={"actor": "China"})
    assert response.status_code == 200
    assert [i["id"] for i in response.json()["items"]] == [INCIDENT]
