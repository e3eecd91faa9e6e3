"""Concurrent API reads while `threatledger ingest` writes to the same SQLite ledger (WAL: readers never block on
the one writer): every request succeeds and the readers see the ledger grow."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import httpx
import pytest
from hostile_inputs import ARTICLE

from threatledger.api import create_app
from threatledger.config import Settings
from threatledger.store import SQLiteStore
from web.live_server import serving

ENDPOINTS = [
    "/api/documents?limit=20",
    "/api/search?q=ransomware",
    "/api/incidents",
    "/api/incidents?country=DE&since=2020-01-01",
    "/api/entities",
    "/api/indicators",
]
DOCS = 40
WORDS = [
    "servers",
    "payroll",
    "shipping",
    "clinic",
    "turbine",
    "billing",
    "portal",
    "depot",
    "mailbox",
    "court",
]


@pytest.mark.slow
@pytest.mark.timeout(600)
def test_api_reads_succeed_while_an_ingest_writes(tmp_path: Path) -> None:
    folder = tmp_path / "corpus"
    folder.mkdir()
    rng = random.Random(9)
    for number in range(DOCS):
        closing = " ".join(rng.choice(WORDS) for _ in range(80))
        text = ARTICLE.format(name=f"Firm {number}", octet=number + 1) + f"\nAffected: {closing}.\n"
        (folder / f"{number:03d}.txt").write_text(text, encoding="utf-8")
    db = tmp_path / "ledger.sqlite3"
    SQLiteStore(db).close()  # migrated before the writer and the readers start
    settings = Settings(db=str(db), cache_dir=tmp_path / "cache")
    app = create_app(settings, lambda: SQLiteStore(db))
    statuses: Counter[int] = Counter()
    errors: list[str] = []
    seen_counts: list[int] = []
    lock = threading.Lock()
    env = {
        **os.environ,
        "THREATLEDGER_CACHE": str(tmp_path / "cache"),
        "THREATLEDGER_KB_DIR": str(tmp_path / "kb"),
    }
    with serving(app) as base:
        writer = subprocess.Popen(
            [sys.executable, "-m", "threatledger", "--db", str(db), "ingest", str(folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=env,
        )
        stop = threading.Event()

        def reader(seed: int) -> None:
            picker = random.Random(seed)
            with httpx.Client(base_url=base, timeout=30) as client:
                while not stop.is_set():
                    path = picker.choice(ENDPOINTS)
                    try:
                        response = client.get(path)
                    except httpx.HTTPError as exc:
                        with lock:
                            errors.append(f"{path}: {type(exc).__name__}: {exc}")
                        continue
                    with lock:
                        statuses[response.status_code] += 1
                        if response.status_code != 200:
                            errors.append(f"{path}: {response.status_code} {response.text[:200]}")
                        elif path.startswith("/api/documents"):
                            seen_counts.append(len(response.json()["items"]))

        threads = [threading.Thread(target=reader, args=(n,), daemon=True) for n in range(4)]
        for thread in threads:
            thread.start()
        try:
            _, stderr = writer.communicate(timeout=540)
        finally:
            stop.set()
            for thread in threads:
                thread.join(timeout=60)
    assert writer.returncode == 0, stderr.decode(errors="replace")[-2000:]
    assert not errors, errors[:10]
    assert sum(statuses.values()) >= 50, statuses
    assert min(seen_counts) < max(seen_counts) == 20, "the readers saw the ledger grow while it was written"
    store = SQLiteStore(db)
    assert store.count_documents() == DOCS
    assert store.integrity_check() == "ok"
    store.close()
