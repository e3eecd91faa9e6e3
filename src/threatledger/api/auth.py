"""Bearer tokens for the write endpoints: one from the environment, or ones stored (hashed) in the ledger."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from threatledger.store import SQLiteStore
from threatledger.store.watch import TokenRow

__all__ = ["TOKEN_ENV", "bearer", "create_token", "digest", "token_allowed"]

TOKEN_ENV = "THREATLEDGER_API_TOKEN"
_PREFIX = "tl_"


def digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_token(store: SQLiteStore, name: str, created: str) -> tuple[str, TokenRow]:
    """A new random token; only its sha256 is stored, so the clear value is returned here once."""
    token = _PREFIX + secrets.token_urlsafe(32)
    return token, store.add_token(name, digest(token), created)


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header."""
    if not header:
        return None
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return None
    return value.strip()


def token_allowed(token: str | None, static: str | None, store: SQLiteStore, used_at: str) -> bool:
    if not token:
        return False
    if static and hmac.compare_digest(token.encode("utf-8"), static.encode("utf-8")):
        return True
    return store.token_known(digest(token), used_at)
