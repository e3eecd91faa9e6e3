"""Crash safety: `threatledger ingest` killed with SIGKILL at random points leaves a consistent ledger that a re-run
completes, with the same contents as an uninterrupted run."""

from __future__ import annotations

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hostile_inputs import ARTICLE

DOCS = 200
KILLS = 3
TABLES = ("documents", "sightings", "entities", "entity_names", "entity_mentions", "indicators", "incidents")
WORDS = [
    "servers",
    "backups",
    "payroll",
    "invoices",
    "shipping",
    "trains",
    "clinic",
    "pharmacy",
    "council",
    "turbine",
    "billing",
    "portal",
]


def _corpus(folder: Path) -> None:
    folder.mkdir()
    rng = random.Random(3)
    for number in range(DOCS):
        closing = " ".join(rng.choice(WORDS) for _ in range(60))
        text = ARTICLE.format(name=f"Company {number}", octet=number % 250 + 1) + f"\nAffected: {closing}.\n"
        (folder / f"{number:04d}.txt").write_text(text, encoding="utf-8")


def _ingest(db: Path, folder: Path, tmp: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "THREATLEDGER_CACHE": str(tmp / "cache"), "THREATLEDGER_KB_DIR": str(tmp / "kb")}
    return subprocess.Popen(
        [sys.executable, "-m", "threatledger", "--db", str(db), "ingest", str(folder), "--json"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=env,
    )


def _count(db: Path) -> int:
    if not db.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=5) as conn:
            return int(conn.execute("SELECT count(*) FROM documents").fetchone()[0])
    except sqlite3.Error:
        return 0


def _contents(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        counts = {t: int(conn.execute(f"SELECT count(*) FROM {t}").fetchone()[0]) for t in TABLES}
        counts["distinct sha256"] = int(
            conn.execute("SELECT count(DISTINCT sha256) FROM documents").fetchone()[0]
        )
        counts["distinct entity names"] = int(
            conn.execute("SELECT count(*) FROM (SELECT DISTINCT type, canonical FROM entities)").fetchone()[0]
        )
    return counts


@pytest.mark.slow
@pytest.mark.timeout(900)
def test_sigkilled_ingest_leaves_a_consistent_ledger_that_a_rerun_completes(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    _corpus(folder)
    db = tmp_path / "ledger.sqlite3"
    rng = random.Random(20240229)
    for _ in range(KILLS):
        before = _count(db)
        target = min(DOCS - 1, before + rng.randint(3, 30))
        process = _ingest(db, folder, tmp_path)
        deadline = time.monotonic() + 300
        while _count(db) < target and process.poll() is None and time.monotonic() < deadline:
            time.sleep(rng.uniform(0.01, 0.3))
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=30)
        with sqlite3.connect(db) as conn:
            assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert _count(db) >= before
    assert _count(db) < DOCS, "the kills came too late to interrupt anything"
    final = _ingest(db, folder, tmp_path)
    assert final.wait(timeout=600) == 0
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    interrupted = _contents(db)
    assert interrupted["documents"] == interrupted["distinct sha256"] == DOCS

    reference_db = tmp_path / "reference.sqlite3"
    reference = _ingest(reference_db, folder, tmp_path)
    assert reference.wait(timeout=600) == 0
    assert interrupted == _contents(reference_db)
