"""The HTML pages without a browser: escaping, links to the JSON twins, the timeline SVG, defanged indicators."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from threatledger.api.queries import defang
from threatledger.web.timeline import timeline_svg
from web.ledger_fixture import IMG, INCIDENT, PORT_INCIDENT, SCRIPT, Ledger


@pytest.fixture(scope="module")
def client(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app) as c:
        yield c


def test_every_page_links_its_json_twin(client: TestClient, ledger: Ledger) -> None:
    pages = {
        "/incidents": "/api/incidents",
        f"/incidents/{INCIDENT}": f"/api/incidents/{INCIDENT}",
        f"/documents/{ledger.record_doc}": f"/api/documents/{ledger.record_doc}",
        "/entities": "/api/entities",
        "/entities/NISC": "/api/entities/NISC",
        "/search?q=hackers": "/api/search?q=hackers",
        "/indicators": "/api/indicators",
        "/feeds": "/api/feeds",
        "/watchlists": "/api/watchlists",
        "/alerts": "/api/alerts",
    }
    for page, twin in pages.items():
        response = client.get(page)
        assert response.status_code == 200, page
        assert f'href="{twin}"' in response.text, page
        assert client.get(twin).status_code == 200, twin


def test_hostile_markup_is_escaped_everywhere(client: TestClient, ledger: Ledger) -> None:
    for page in (
        "/incidents",
        f"/incidents/{PORT_INCIDENT}",
        f"/documents/{ledger.hostile_doc}",
        "/search?q=nagoya",
    ):
        html = client.get(page).text
        assert SCRIPT not in html and IMG not in html, page
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, page
        assert 'href="javascript:' not in html
    assert "<script" not in client.get(f"/documents/{ledger.hostile_doc}").text.replace(
        '<script src="/static/copy.js" defer></script>', ""
    )


def test_incident_page_draws_the_timeline_and_groups_claims(client: TestClient) -> None:
    html = client.get(f"/incidents/{INCIDENT}").text
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="timeline"' in html
    for stage in (
        "event-compromised",
        "event-discovered",
        "event-disclosed",
        "event-reported",
        "event-report",
    ):
        assert stage in html
    assert "2022-10 · month" in html and "dwell ≈ 243 days" in html
    for stance in ("asserted", "suspected", "denied", "not-attributed"):
        assert f"stance-{stance}" in html
    assert "three government and private sector sources" in html


def test_indicators_are_defanged_with_a_refanged_copy_button(client: TestClient) -> None:
    html = client.get(f"/incidents/{PORT_INCIDENT}").text
    assert "203.0.113[.]7" in html and 'data-copy="203.0.113.7"' in html
    assert "hxxp://malicious.example[.]net/payload.exe" in html
    assert ">http://malicious.example.net" not in html


@pytest.mark.parametrize(
    ("type_", "value", "shown"),
    [
        ("ipv4", "1.2.3.4", "1.2.3[.]4"),
        ("domain", "evil.com", "evil[.]com"),
        ("url", "https://a.evil.com/x?y=1", "hxxps://a.evil[.]com/x?y=1"),
        ("email", "bob@evil.com", "bob[@]evil[.]com"),
        ("sha256", "ab" * 32, "ab" * 32),
    ],
)
def test_defang(type_: str, value: str, shown: str) -> None:
    assert defang(type_, value) == shown


def test_timeline_svg_escapes_labels_and_skips_undated() -> None:
    svg = timeline_svg(
        [
            {
                "event": "compromised",
                "value": "2022",
                "granularity": "year",
                "start": "2022-01-01",
                "end": "2022-12-31",
                "evidence": SCRIPT,
            },
            {"event": "discovered", "value": "P9M", "granularity": "duration", "start": None, "end": None},
        ]
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert "not placed: discovery: P9M (duration)" in svg
    assert timeline_svg([]) == ""


def test_document_page_lists_its_vulnerabilities_with_their_products(
    client: TestClient, ledger: Ledger
) -> None:
    html = client.get(f"/documents/{ledger.hostile_doc}").text
    assert "<h2>Vulnerabilities</h2>" in html
    assert "<td><code>CVE-2023-4966</code></td><td>Citrix NetScaler</td><td>-</td>" in html
    assert "<h2>Vulnerabilities</h2>" not in client.get(f"/documents/{ledger.record_doc}").text
