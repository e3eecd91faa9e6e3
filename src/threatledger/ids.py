"""Deterministic identifiers and content hashes.

Ids are uuid5 over the canonical JSON of an object's identity fields, so the same input always yields the same id
and re-ingesting changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
import uuid
from typing import Any

__all__ = ["NAMESPACE", "canonical_json", "make_id", "normalised_text", "text_sha256"]

NAMESPACE = uuid.UUID("6f1c1b8e-2f43-5c4e-9a55-746872656174")
_SPACE = re.compile(r"\s+")


def canonical_json(value: Any) -> str:
    """JSON with sorted keys and no insignificant whitespace."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def make_id(kind: str, **identity: Any) -> str:
    """`kind--uuid5(canonical identity)`, e.g. ``document--...``."""
    return f"{kind}--{uuid.uuid5(NAMESPACE, canonical_json({'kind': kind, **identity}))}"


def normalised_text(text: str) -> str:
    """Text as compared for duplicate detection: NFKC, case-folded, whitespace collapsed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip().casefold()


def text_sha256(text: str) -> str:
    """sha256 of the normalised text: the same article with other whitespace hashes the same."""
    return hashlib.sha256(normalised_text(text).encode("utf-8")).hexdigest()
