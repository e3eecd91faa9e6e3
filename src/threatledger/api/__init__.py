"""The JSON API (and, mounted beside it, the HTML pages) over a ledger: ``create_app(settings, store_factory)``."""

from __future__ import annotations

from threatledger.api.app import create_app

__all__ = ["create_app"]
