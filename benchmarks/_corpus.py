"""Synthesised news documents for the store benchmarks (not part of the package).

Documents are built from real sentences of the CASIE news articles when ``../shared/data/casie`` is present (each
document a random mix, so no two are near-duplicates), else from templated threat-news sentences with random
names, numbers and indicators.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterator
from pathlib import Path

__all__ = ["ACTORS", "COUNTRIES", "documents", "sentence_pool"]

ROOT = Path(__file__).resolve().parents[1]
CASIE = ROOT.parent / "shared" / "data" / "casie"
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"'])")
ACTORS = ["LockBit", "APT28", "Lazarus Group", "Sandworm", "BlackCat", "FIN7", "Cl0p", "Scattered Spider"]
COUNTRIES = ["DE", "JP", "BR", "CA", "FR", "IN", "US", "GB", "AU", "KR"]
_TEMPLATES = (
    "The {actor} group claimed an attack on {victim}, a {sector} company, on March {day}, 2024.",
    "Investigators said the intruders exploited CVE-2023-{n:04d} and moved laterally with stolen credentials.",
    "Researchers linked the intrusion to 185.220.{a}.{b} and the domain update-{n}.example-cdn[.]com.",
    "{victim} said services were restored within {day} days, although some systems remained offline.",
    "The attackers used spear-phishing emails (T1566.001) and scheduled tasks (T1053.005) for persistence.",
    "Officials declined to attribute the campaign, but analysts saw overlaps with earlier {actor} operations.",
)


def sentence_pool() -> tuple[list[str], str]:
    sentences: list[str] = []
    for path in sorted(CASIE.glob("*/annotation/*.json")):
        content = json.loads(path.read_text(encoding="utf-8")).get("content")
        if isinstance(content, str):
            sentences.extend(
                s.strip() for s in _SPLIT.split(" ".join(content.split())) if len(s.split()) >= 6
            )
    if sentences:
        return sorted(set(sentences)), f"sentences of the CASIE articles ({len(set(sentences))} distinct)"
    rng = random.Random(11)
    synthetic = {
        t.format(
            actor=rng.choice(ACTORS),
            victim=f"{rng.choice(['Harbor', 'Nord', 'Kestrel', 'Arden', 'Velo'])} {rng.choice(['Water', 'Bank', 'Health', 'Transit'])}",
            sector=rng.choice(["healthcare", "energy", "finance", "logistics"]),
            day=rng.randint(1, 28),
            n=rng.randint(1, 9999),
            a=rng.randint(1, 254),
            b=rng.randint(1, 254),
        )
        for t in _TEMPLATES
        for _ in range(800)
    }
    return sorted(synthetic), "templated threat-news sentences (CASIE not found)"


def documents(count: int, sentences: int = 14, seed: int = 1) -> Iterator[tuple[str, str, str]]:
    """(title, published, text) triples; every text a distinct random mix of pool sentences."""
    pool, _ = sentence_pool()
    rng = random.Random(seed)
    for number in range(count):
        body = rng.sample(pool, min(sentences, len(pool)))
        title = f"Report {number}: {body[0][:80]}"
        published = f"20{rng.randint(18, 25)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"
        yield title, published, "\n\n".join(body)
