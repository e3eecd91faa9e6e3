"""Synthetic incident news for load tests and benchmarks: varied short articles, reproducible from a seed.

Articles follow a victim through several outlets (so incidents link across reports), with actors claimed,
suspected or denied, indicators, CVEs and dates, and a sprinkling of exact and near-duplicates (wire copies) so a
backfill meets every path of the pipeline. Nothing here is real.
"""

from __future__ import annotations

import json
import random
from pathlib import Path
from typing import Any

__all__ = ["articles", "write_jsonl"]

_VICTIMS = [
    ("Acme Logistics", "Rotterdam", "freight company"),
    ("Borealis Power", "Winnipeg", "utility"),
    ("Kestrel Health", "Leeds", "hospital group"),
    ("Nordmark Shipping", "Hamburg", "shipping line"),
    ("Harbor Valley Water", "Oregon", "water utility"),
    ("Sakura Precision", "Nagoya", "parts maker"),
    ("Andes Mining", "Santiago", "mining company"),
    ("Lumen Bank", "Lisbon", "bank"),
    ("Tallinn Telecom", "Tallinn", "telecom operator"),
    ("Cedar County Schools", "Iowa", "school district"),
    ("Marlow Insurance", "London", "insurer"),
    ("Pioneer Aerospace", "Toulouse", "aerospace supplier"),
]
_ACTORS = ["LockBit", "BlackCat", "Cl0p", "Lazarus Group", "APT29", "Scattered Spider", "Akira", "Play"]
_KINDS = [
    ("ransomware attack", "encrypted its {system} and forced staff to work by hand"),
    ("data breach", "exposed {system} records of about {n} customers"),
    ("intrusion", "gave attackers access to its {system} for several weeks"),
    ("phishing campaign", "tricked employees into handing over passwords to the {system}"),
]
_SYSTEMS = ["billing systems", "email servers", "customer database", "payroll platform", "file servers"]
_OUTLETS = [
    "Cyber Ledger Daily",
    "Port Tech Weekly",
    "EuroSec News",
    "Grid Security Review",
    "The Patch Report",
]
_STANCES = [
    "{actor} claimed responsibility for the attack on its leak site.",
    "Researchers suspect {actor} was behind the attack.",
    "A spokesperson said there was no evidence linking {actor} to the incident.",
    "The company did not say who was behind the attack.",
]


def _article(rng: random.Random, n: int) -> dict[str, Any]:
    victim, place, what = rng.choice(_VICTIMS)
    kind, effect = rng.choice(_KINDS)
    actor = rng.choice(_ACTORS)
    month = rng.randint(1, 12)
    day = rng.randint(1, 28)
    year = rng.choice([2022, 2023, 2024])
    effect = effect.format(system=rng.choice(_SYSTEMS), n=rng.randint(2, 90) * 1000)
    ip = f"203.0.113.{rng.randint(1, 254)}"
    domain = f"{actor.lower().replace(' ', '')}-{rng.randint(1, 99)}.example"
    lines = [
        f"{victim}, a {what} based in {place}, said on {_weekday(rng)} that a {kind} {effect}.",
        f"The attack began on {year}-{month:02d}-{day:02d} and was discovered {rng.randint(2, 30)} days later.",
        rng.choice(_STANCES).format(actor=actor),
        f"Investigators found connections to {ip} and to the domain {domain}.",
    ]
    if rng.random() < 0.4:
        lines.append(f"The attackers exploited CVE-{year}-{rng.randint(1000, 49999)} in a VPN appliance.")
    if rng.random() < 0.5:
        lines.append(f"{victim} said it had informed the authorities and hired an incident response firm.")
    outlet = rng.choice(_OUTLETS)
    published = f"{year}-{month:02d}-{min(28, day + rng.randint(1, 20)):02d}"
    return {
        "title": f"{victim} hit by {kind} (report {n})",
        "text": " ".join(lines),
        "published": published,
        "publisher": outlet,
        "url": f"https://{outlet.replace(' ', '').lower()}.example/news/{n}",
    }


def _weekday(rng: random.Random) -> str:
    return rng.choice(["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"])


def articles(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """``count`` articles; about 3% exact copies and 3% near-copies of earlier ones (new URL, same story)."""
    rng = random.Random(seed)
    out: list[dict[str, Any]] = []
    for n in range(count):
        roll = rng.random()
        if out and roll < 0.03:
            out.append(dict(rng.choice(out), url=f"https://wire.example/copy/{n}"))
        elif out and roll < 0.06:
            original = rng.choice(out)
            text = original["text"].replace(" said ", " told reporters ", 1)
            out.append(dict(original, text=text, url=f"https://mirror.example/{n}", title=original["title"]))
        else:
            out.append(_article(rng, n))
    return out


def write_jsonl(path: Path, count: int, seed: int = 7) -> Path:
    """Write ``count`` articles to ``path`` as JSONL (the format `threatledger ingest` reads)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        for record in articles(count, seed):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    return path
