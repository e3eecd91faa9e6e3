"""Fixtures for the page and browser tests: the fixture ledger and the app over it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.applications import Starlette

from threatledger.api import create_app
from threatledger.config import Settings
from threatledger.store import SQLiteStore
from web.ledger_fixture import Ledger, build_ledger
from web.live_server import serving


@pytest.fixture(scope="module")
def ledger(tmp_path_factory: pytest.TempPathFactory) -> Ledger:
    return build_ledger(tmp_path_factory.mktemp("ledger") / "ledger.sqlite3")


@pytest.fixture(scope="module")
def app(ledger: Ledger) -> Starlette:
    settings = Settings(db=str(ledger.path), cache_dir=ledger.path.parent / "cache")
    return create_app(settings, lambda: SQLiteStore(ledger.path), api_token="test-token")


@pytest.fixture(scope="module")
def base_url(app: Starlette) -> Iterator[str]:
    with serving(app) as url:
        yield url


CHROMIUM = Path("/usr/bin/chromium")
