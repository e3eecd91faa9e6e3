"""Settings, loaded once at the entry point and passed down (no global state)."""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from pathlib import Path

import platformdirs

from threatledger import __version__

__all__ = ["Settings", "default_db_path"]

APP = "threatledger"


def default_db_path() -> Path:
    return Path(platformdirs.user_data_dir(APP)) / "ledger.sqlite3"


@dataclass(frozen=True, slots=True)
class Settings:
    db: str  # a path to an SQLite file, sqlite:///PATH, or postgresql://...
    cache_dir: Path  # compiled knowledge-base matchers and other rebuildable files
    allow_private: bool = False  # fetch loopback/private/link-local URLs (off: SSRF guard)
    max_bytes: int = 25 * 1024 * 1024  # largest file or HTTP body accepted
    timeout_s: float = 20.0
    max_redirects: int = 5
    user_agent: str = f"threatledger/{__version__} (+https://github.com/threatledger/threatledger)"
    kb_dir: Path | None = None  # refreshed knowledge (`kb update`) overriding the packaged galaxies

    @classmethod
    def load(cls, db: str | None = None, **overrides: object) -> Settings:
        """Settings from explicit values, then the environment, then defaults."""
        chosen = db or os.environ.get("THREATLEDGER_DB") or str(default_db_path())
        cache = Path(os.environ.get("THREATLEDGER_CACHE") or platformdirs.user_cache_dir(APP))
        kb_env = os.environ.get("THREATLEDGER_KB_DIR")
        kb_dir = Path(kb_env) if kb_env else Path(platformdirs.user_data_dir(APP)) / "kb"
        settings = cls(db=chosen, cache_dir=cache, kb_dir=kb_dir)
        return replace(settings, **overrides)  # type: ignore[arg-type]
