"""The TAXII 2.1 server under uvicorn on 127.0.0.1, driven by the OASIS taxii2-client library."""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import uvicorn
from requests.exceptions import HTTPError
from starlette.applications import Starlette
from taxii2client.common import TokenAuth
from taxii2client.v21 import ApiRoot, Collection, Server, as_pages

from export.ledger_fixture import INCIDENT, PORT_INCIDENT, Ledger, build_ledger
from threatledger.config import Settings
from threatledger.export.stix import collect_stix
from threatledger.store import SQLiteStore, open_store
from threatledger.taxii import taxii_routes
from threatledger.taxii.collections import COLLECTIONS, TAXII_MEDIA_TYPE

TOKEN = "tl_test-token-for-the-taxii-server"
STORED = "tl_a-token-kept-in-the-ledger"
ACCEPT = {"Accept": TAXII_MEDIA_TYPE}


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    ledger = build_ledger(tmp_path_factory.mktemp("taxii") / "ledger.sqlite3")
    store = open_store(str(ledger.path))
    try:
        store.add_token("partner", hashlib.sha256(STORED.encode()).hexdigest(), "2024-01-01T00:00:00+00:00")
    finally:
        store.close()
    return ledger


@pytest.fixture(scope="module")
def base_url(ledger: Ledger, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = Settings(db=str(ledger.path), cache_dir=tmp_path_factory.mktemp("cache"))

    def store_factory() -> SQLiteStore:
        return open_store(str(ledger.path))

    app = Starlette(routes=taxii_routes(settings, store_factory, api_token=TOKEN))
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def export(ledger: Ledger) -> Any:
    store = open_store(str(ledger.path))
    try:
        return collect_stix(store)
    finally:
        store.close()


def api_root(base_url: str) -> ApiRoot:
    return ApiRoot(f"{base_url}/taxii2/api/", user="taxii", password=TOKEN)


def collection(base_url: str, alias: str) -> Collection:
    found = next(c for c in COLLECTIONS if c.alias == alias)
    return Collection(f"{base_url}/taxii2/api/collections/{found.id}/", user="taxii", password=TOKEN)


def test_discovery_and_collections(base_url: str) -> None:
    server = Server(f"{base_url}/taxii2/", user="taxii", password=TOKEN)
    assert server.title == "threatledger"
    assert server.default.url == f"{base_url}/taxii2/api/"
    assert [r.url for r in server.api_roots] == [f"{base_url}/taxii2/api/"]
    root = server.api_roots[0]
    assert root.versions == [TAXII_MEDIA_TYPE]
    titles = {c.title: c for c in root.collections}
    # short titles: OpenCTI's TAXII2 connector names collections as <api root path>.<title>
    assert set(titles) == {"All", "Incidents", "Indicators"}
    for c in root.collections:
        assert c.can_read and not c.can_write
        assert c.media_types == ["application/stix+json;version=2.1"]


def test_page_through_everything(base_url: str, export: Any) -> None:
    everything = collection(base_url, "all")
    pages = list(as_pages(everything.get_objects, per_request=10))
    assert len(pages) > 2
    assert all(p["more"] for p in pages[:-1]) and not pages[-1]["more"]
    assert all(len(p["objects"]) == 10 for p in pages[:-1])
    ids = [o["id"] for p in pages for o in p["objects"]]
    assert len(ids) == len(set(ids))
    assert {o["id"]: o for p in pages for o in p["objects"]} == {o["id"]: o for o in export.objects}


def test_added_after(base_url: str, export: Any) -> None:
    everything = collection(base_url, "all")
    since = "2023-12-01T00:00:00Z"
    objects = [
        o for p in as_pages(everything.get_objects, per_request=7, added_after=since) for o in p["objects"]
    ]
    expected = {k for k, v in export.date_added.items() if v > "2023-12-01T00:00:00.000Z"}
    assert {o["id"] for o in objects} == expected
    names = {o.get("name") for o in objects}
    assert "PlugX" in names and "BlackTech targets Japanese government email with PlugX" in names
    assert not any(o["id"] in {INCIDENT, PORT_INCIDENT} for o in objects)  # known before that date
    manifest = everything.get_manifest(added_after=since)
    assert all(e["date_added"] > "2023-12-01T00:00:00.000Z" for e in manifest["objects"])
    assert everything.get_objects(added_after="2030-01-01T00:00:00Z") == {}


def test_collections_split_indicators(base_url: str) -> None:
    incidents = [o for p in as_pages(collection(base_url, "incidents").get_objects, 50) for o in p["objects"]]
    indicators = [
        o for p in as_pages(collection(base_url, "indicators").get_objects, 50) for o in p["objects"]
    ]
    assert not any(o["type"] == "indicator" for o in incidents)
    assert {o["type"] for o in incidents} >= {"incident", "report", "opinion", "note", "intrusion-set"}
    kinds = {o["type"] for o in indicators}
    assert kinds >= {"indicator", "ipv4-addr", "relationship", "extension-definition", "identity"}
    assert "incident" not in kinds and "report" not in kinds


def test_one_object_versions_and_filters(base_url: str, export: Any) -> None:
    everything = collection(base_url, "all")
    envelope = everything.get_object(INCIDENT)
    assert [o["id"] for o in envelope["objects"]] == [INCIDENT]
    incident = envelope["objects"][0]
    versions = everything.object_versions(INCIDENT)
    assert versions["versions"] == [incident["modified"]]
    assert everything.get_object(INCIDENT, version=incident["modified"])["objects"][0]["id"] == INCIDENT
    assert everything.get_object(INCIDENT, version="2000-01-01T00:00:00.000Z") == {}
    typed = everything.get_objects(type=["incident"])
    assert sorted(o["id"] for o in typed["objects"]) == sorted([INCIDENT, PORT_INCIDENT])
    manifest = everything.get_manifest(type="incident")
    entry = next(e for e in manifest["objects"] if e["id"] == INCIDENT)
    assert entry["version"] == incident["modified"]
    assert entry["date_added"] == export.date_added[INCIDENT]
    assert entry["media_type"] == "application/stix+json;version=2.1"
    with pytest.raises(HTTPError, match="404"):
        everything.get_object("incident--00000000-0000-5000-8000-000000000000")


def test_token_schemes(base_url: str) -> None:
    url = f"{base_url}/taxii2/api/collections/"
    assert httpx.get(url, headers={**ACCEPT, "Authorization": f"Bearer {TOKEN}"}).status_code == 200
    assert httpx.get(url, headers={**ACCEPT, "Authorization": f"Bearer {STORED}"}).status_code == 200
    assert httpx.get(url, headers=ACCEPT, auth=("anyone", STORED)).status_code == 200
    root = ApiRoot(f"{base_url}/taxii2/api/", auth=TokenAuth(TOKEN))
    assert len(root.collections) == 3
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "Basic !!"}):
        response = httpx.get(url, headers={**ACCEPT, **headers})
        assert response.status_code == 401
        assert "Basic" in response.headers["www-authenticate"]
        assert response.headers["content-type"] == TAXII_MEDIA_TYPE
        assert response.json()["http_status"] == "401"


def test_page_headers(base_url: str) -> None:
    url = f"{base_url}/taxii2/api/collections/{COLLECTIONS[0].id}/objects/"
    auth = {"Authorization": f"Bearer {TOKEN}", **ACCEPT}
    first = httpx.get(url, headers=auth, params={"limit": 5})
    assert first.status_code == 200 and first.headers["content-type"] == TAXII_MEDIA_TYPE
    body = first.json()
    assert body["more"] is True and len(body["objects"]) == 5
    assert first.headers["X-TAXII-Date-Added-First"] <= first.headers["X-TAXII-Date-Added-Last"]
    second = httpx.get(url, headers=auth, params={"limit": 5, "next": body["next"]})
    assert second.headers["X-TAXII-Date-Added-First"] >= first.headers["X-TAXII-Date-Added-Last"]
    assert not {o["id"] for o in body["objects"]} & {o["id"] for o in second.json()["objects"]}
    # the alias works as well as the id
    by_alias = httpx.get(f"{base_url}/taxii2/api/collections/all/objects/", headers=auth, params={"limit": 5})
    assert by_alias.json() == body


@pytest.mark.parametrize(
    ("method", "path", "headers", "params", "status"),
    [
        ("GET", "collections/", {"Accept": "application/json"}, {}, 406),
        ("GET", "collections/", {"Accept": "application/taxii+json;version=2.0"}, {}, 406),
        ("GET", "collections/", {"Accept": "*/*"}, {}, 200),
        ("GET", "collections/", {"Accept": "application/taxii+json"}, {}, 200),
        ("GET", "collections/nope/objects/", ACCEPT, {}, 404),
        ("GET", f"collections/{COLLECTIONS[0].id}/objects/", ACCEPT, {"next": "garbage"}, 400),
        ("GET", f"collections/{COLLECTIONS[0].id}/objects/", ACCEPT, {"limit": "none"}, 400),
        ("GET", f"collections/{COLLECTIONS[0].id}/objects/", ACCEPT, {"added_after": "yesterday"}, 400),
        (
            "POST",
            f"collections/{COLLECTIONS[0].id}/objects/",
            {**ACCEPT, "Content-Type": "application/json"},
            {},
            415,
        ),
        (
            "POST",
            f"collections/{COLLECTIONS[0].id}/objects/",
            {**ACCEPT, "Content-Type": TAXII_MEDIA_TYPE},
            {},
            403,
        ),
    ],
)
def test_statuses(
    base_url: str, method: str, path: str, headers: dict[str, str], params: dict[str, str], status: int
) -> None:
    response = httpx.request(
        method,
        f"{base_url}/taxii2/api/{path}",
        headers={"Authorization": f"Bearer {TOKEN}", **headers},
        params=params,
        content=b"{}" if method == "POST" else None,
    )
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == TAXII_MEDIA_TYPE


def test_next_alone_continues_an_added_after_query(base_url: str, export: Any) -> None:
    """OpenCTI's TAXII2 connector drops added_after once it has a next token; the pages must not change."""
    url = f"{base_url}/taxii2/api/collections/{COLLECTIONS[0].id}/objects/"
    auth = {"Authorization": f"Bearer {TOKEN}", **ACCEPT}
    params: dict[str, Any] = {"added_after": "2023-12-01T00:00:00Z", "limit": 3}
    seen: list[str] = []
    while True:
        body = httpx.get(url, headers=auth, params=params).json()
        seen += [o["id"] for o in body.get("objects", [])]
        if not body.get("more"):
            break
        params = {"next": body["next"], "limit": 3}
    assert sorted(seen) == sorted(k for k, v in export.date_added.items() if v > "2023-12-01T00:00:00.000Z")
