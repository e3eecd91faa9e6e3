"""Shared test fixtures. Corpora from ../shared/data are used when present and skipped cleanly when absent."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("THREATLEDGER_SHARED", REPO.parent / "shared"))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The team's corpora folder; tests that need it skip when it is absent."""
    data = SHARED / "data"
    if not data.is_dir():
        pytest.skip(f"shared corpora not found at {data} (set THREATLEDGER_SHARED)")
    return data


@pytest.fixture(scope="session")
def seed_article() -> Path:
    path = SHARED / "seed" / "nisc-article.txt"
    if not path.is_file():
        pytest.skip(f"seed article not found at {path}")
    return path
