"""Shared test fixtures. Corpora from ../shared/data are used when present and skipped cleanly when absent."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import uuid
from collections.abc import Iterator
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


# -- a throwaway PostgreSQL cluster for the second store backend ------------------------------------------------
def _pg_bin() -> Path | None:
    """Debian's server binaries (newest version), or whatever initdb is on PATH."""
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda p: p.parent.parent.name)
    if candidates:
        return candidates[-1].parent
    found = shutil.which("initdb")
    return Path(found).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(args: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the `postgres` (or `nobody`) system user instead."""
    if os.geteuid() != 0:
        return args
    user = "postgres" if _user_exists("postgres") else "nobody"
    return ["runuser", "-u", user, "--", *args]


def _user_exists(name: str) -> bool:
    import pwd

    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A PostgreSQL cluster in a temp dir on 127.0.0.1 and a free port; yields the admin URL.

    Set THREATLEDGER_TEST_PG=postgresql://... to use an existing server instead (it must allow CREATE DATABASE).
    Skips (with the reason) when no server can be started.
    """
    external = os.environ.get("THREATLEDGER_TEST_PG")
    if external:
        yield external
        return
    pytest.importorskip("psycopg", reason="psycopg is not installed (pip install -e '.[postgres]')")
    bindir = _pg_bin()
    if bindir is None:
        pytest.skip(
            "PostgreSQL server binaries not found (apt-get install postgresql); PostgreSQL tests skipped"
        )
    base = Path(tempfile.mkdtemp(prefix="threatledger-pg-"))
    data, log = base / "data", base / "server.log"
    if os.geteuid() == 0:
        user = "postgres" if _user_exists("postgres") else "nobody"
        shutil.chown(base, user)
    port = _free_port()
    try:
        subprocess.run(
            _as_server_user(
                [str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                 "--locale=C.UTF-8", "--no-sync"]
            ),
            check=True, capture_output=True, timeout=120,
        )  # fmt: skip
        options = (
            f"-h 127.0.0.1 -p {port} -k {base} -c fsync=off -c synchronous_commit=off"
            " -c full_page_writes=off -c max_connections=60 -c shared_buffers=32MB"
        )
        subprocess.run(
            _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"]),
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
    except (OSError, subprocess.SubprocessError) as exc:
        detail = getattr(exc, "stderr", b"") or b""
        shutil.rmtree(base, ignore_errors=True)
        pytest.skip(f"cannot start a PostgreSQL server ({exc}; {detail.decode(errors='replace')[-300:]})")
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run(
            _as_server_user([str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True, timeout=60, check=False,
        )  # fmt: skip
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the test server (dropped afterwards)."""
    import psycopg

    name = f"tl_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = postgres_server.rsplit("/", 1)[0] + "/" + name
    yield url
    with psycopg.connect(postgres_server, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
