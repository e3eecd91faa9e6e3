"""Fixtures for the source tests: a loopback HTTP server, settings and a client."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from loopback_server import LoopbackServer, serve

from threatledger.config import Settings
from threatledger.sources.web import make_client


@pytest.fixture(scope="session")
def http_server() -> Iterator[LoopbackServer]:
    with serve() as server:
        yield server


@pytest.fixture()
def settings(tmp_path: Path) -> Settings:
    """Settings for the loopback test server: private addresses allowed, short timeouts."""
    return Settings(
        db=str(tmp_path / "ledger.sqlite3"), cache_dir=tmp_path, allow_private=True, timeout_s=2.0
    )


@pytest.fixture()
def guarded(tmp_path: Path) -> Settings:
    """Default settings: the SSRF guard on."""
    return Settings(db=str(tmp_path / "ledger.sqlite3"), cache_dir=tmp_path, timeout_s=2.0)


@pytest.fixture()
def client(settings: Settings) -> Iterator[httpx.Client]:
    with make_client(settings) as made:
        yield made
