"""The running server driven by headless Debian chromium: list, filter, open an incident, hostile content inert.

Set THREATLEDGER_SCREENSHOTS=1 (or run scripts/screenshots.py) to write docs/screenshots/*.png.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from web.conftest import CHROMIUM
from web.ledger_fixture import INCIDENT, PORT_INCIDENT, SCRIPT, Ledger

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists(), reason=f"{CHROMIUM} is absent: apt-get install -y chromium"),
]
SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.dialogs = []  # type: ignore[attr-defined]
    page.on("dialog", lambda d: (page.dialogs.append(d.message), d.dismiss()))
    page.errors = []  # type: ignore[attr-defined]
    page.on("pageerror", lambda e: page.errors.append(str(e)))
    yield page
    context.close()


def _shot(page: Any, name: str, tmp_path: Path) -> None:
    folder = SHOTS if os.environ.get("THREATLEDGER_SCREENSHOTS") else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / name), full_page=True)


def test_list_filter_open_incident(page: Any, base_url: str, tmp_path: Path) -> None:
    response = page.goto(f"{base_url}/")
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert page.locator("a.incident-link").count() == 2
    _shot(page, "incidents.png", tmp_path)
    page.fill("input[name=actor]", "China")
    page.select_option("select[name=stance]", "denied")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**/incidents?*actor=China*")
    links = page.locator("a.incident-link")
    assert links.count() == 1
    links.first.click()
    page.wait_for_url(f"**/incidents/{INCIDENT}")
    svg = page.locator("svg.timeline")
    assert svg.is_visible()
    assert svg.locator("g.event-compromised").count() == 1
    assert "2022-10 · month" in svg.text_content()
    assert page.locator("section.stance-denied blockquote").first.inner_text().startswith("China's ministry")
    assert page.locator("section.stance").count() == 4
    _shot(page, "incident.png", tmp_path)
    assert page.dialogs == [] and page.errors == []  # type: ignore[attr-defined]


def test_entity_page(page: Any, base_url: str, tmp_path: Path) -> None:
    page.goto(f"{base_url}/entities/NISC")
    assert page.locator("h1").inner_text() == "NISC"
    assert page.locator("ul.mentions li").count() >= 3
    _shot(page, "entity.png", tmp_path)


def test_hostile_article_renders_inert(page: Any, base_url: str, ledger: Ledger) -> None:
    for path in (
        "/incidents",
        f"/incidents/{PORT_INCIDENT}",
        f"/documents/{ledger.hostile_doc}",
        "/search?q=nagoya",
    ):
        response = page.goto(f"{base_url}{path}")
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("load")
        assert SCRIPT in page.content().replace("&lt;", "<").replace("&gt;", ">")  # shown as text
        assert page.locator("main img").count() == 0
        assert page.locator("main script").count() == 0
    assert page.dialogs == []  # type: ignore[attr-defined]


def test_copy_refanged_button(page: Any, base_url: str, browser: Any) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    page.goto(f"{base_url}/incidents/{PORT_INCIDENT}")
    button = page.locator('button[data-copy="203.0.113.7"]')
    assert page.locator("code.ioc", has_text="203.0.113[.]7").count() == 1
    button.click()
    page.wait_for_function("document.querySelector('button.copied') !== null")
    assert page.evaluate("navigator.clipboard.readText()") == "203.0.113.7"
