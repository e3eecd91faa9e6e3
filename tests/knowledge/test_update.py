from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from threatledger.config import Settings
from threatledger.errors import KnowledgeError
from threatledger.knowledge.loader import kb_sources
from threatledger.knowledge.update import update_from_internet


def _client(routes: dict[str, bytes]) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        for suffix, body in routes.items():
            if request.url.path.endswith(suffix):
                return httpx.Response(200, content=body)
        return httpx.Response(404)

    return httpx.Client(transport=httpx.MockTransport(handler))


def test_update_writes_clusters_and_bundle(tmp_path: Path) -> None:
    cluster = json.dumps({"values": [{"value": "APT28", "uuid": "u"}]}).encode()
    bundle = json.dumps({"type": "bundle", "objects": []}).encode()
    client = _client({"threat-actor.json": cluster, "enterprise-attack.json": bundle})
    report = update_from_internet(tmp_path, client, clusters=("threat-actor", "sector"))
    assert report.files == ("clusters/threat-actor.json", "enterprise-attack.json")
    assert report.failed and "sector" in report.failed[0]
    clusters, attack = kb_sources(Settings(db=":memory:", cache_dir=tmp_path / "c", kb_dir=tmp_path))
    assert clusters == tmp_path / "clusters" and attack == tmp_path / "enterprise-attack.json"


def test_update_rejects_garbage(tmp_path: Path) -> None:
    client = _client({"threat-actor.json": b"<html>rate limited</html>"})
    with pytest.raises(KnowledgeError, match="network"):
        update_from_internet(tmp_path, client, clusters=("threat-actor",), attack=False)
    assert not (tmp_path / "clusters" / "threat-actor.json").exists()
