"""Near-duplicate documents: MinHash over word shingles, banded for LSH lookups in the store.

Syndicated copies and lightly edited rewrites share most of their word 5-shingles; a different article about the
same incident shares few. The threshold is chosen by measurement on pairs built in
``tests/resolve/test_near_duplicates.py`` (exact copy, copy with another headline and boilerplate, another article
about the same incident, another incident at the same victim); see docs/quality.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

__all__ = ["NAME", "THRESHOLD", "VERSION", "Signature", "band_keys", "signature", "similarity"]

NAME = "near-duplicates"
VERSION = "1"
NUM_PERM = 64
BANDS = 16  # 16 bands of 4 rows: candidates from a Jaccard of about 0.4 up, checked exactly afterwards
ROWS = NUM_PERM // BANDS
SHINGLE = 5
THRESHOLD = 0.5  # estimated Jaccard of 5-shingles at or above which a document is a near-duplicate
_WORD = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, slots=True)
class Signature:
    values: tuple[int, ...]

    def to_bytes(self) -> bytes:
        return np.asarray(self.values, dtype=np.uint32).tobytes()

    @classmethod
    def from_bytes(cls, data: bytes) -> Signature:
        return cls(tuple(int(v) for v in np.frombuffer(data, dtype=np.uint32)))


def signature(text: str) -> Signature:
    """MinHash of the text's lower-cased word 5-shingles (deterministic: fixed seed)."""
    words = [w.casefold() for w in _WORD.findall(text)]
    if len(words) < SHINGLE:
        shingles = {" ".join(words).encode()}
    else:
        shingles = {" ".join(words[i : i + SHINGLE]).encode() for i in range(len(words) - SHINGLE + 1)}
    minhash = MinHash(num_perm=NUM_PERM, seed=1)
    minhash.update_batch(list(shingles))
    return Signature(tuple(int(v) for v in minhash.hashvalues))


def band_keys(sig: Signature) -> list[str]:
    """LSH band keys: documents sharing any key are candidates."""
    return [
        f"{band}:" + "-".join(str(v) for v in sig.values[band * ROWS : (band + 1) * ROWS])
        for band in range(BANDS)
    ]


def similarity(a: Signature, b: Signature) -> float:
    """Estimated Jaccard similarity of the two documents' shingle sets."""
    same = sum(1 for x, y in zip(a.values, b.values, strict=True) if x == y)
    return same / NUM_PERM
