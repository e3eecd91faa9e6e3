"""`threatledger db migrate` and `threatledger db copy` as a user runs them."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from threatledger.cli import cli
from threatledger.store import open_store
from threatledger.store.postgres_copy import TABLES, table_rows

from .test_contract import NOW, document, extraction


def run(*args: str) -> dict:  # type: ignore[type-arg]
    result = CliRunner().invoke(cli, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return json.loads(result.output)  # type: ignore[no-any-return]


def test_db_migrate_lists_the_migrations(tmp_path: Path) -> None:
    out = run("--db", str(tmp_path / "l.sqlite3"), "db", "migrate", "--json")
    assert out["version"] == len(out["migrations"]) >= 5
    assert out["migrations"][0]["name"].startswith("documents")


def test_db_migrate_on_postgres_hides_the_password(postgres_url: str) -> None:
    url = postgres_url.replace("postgres@", "postgres:secret@")
    out = run("--db", url, "db", "migrate", "--json")
    assert "secret" not in out["ledger"] and out["version"] >= 5


def test_db_copy_sqlite_to_postgres_twice(tmp_path: Path, postgres_url: str) -> None:
    path = tmp_path / "l.sqlite3"
    lite = open_store(str(path))
    for n in range(3):
        doc = document(f"Hackers breached NISC, case {n}.", url=f"https://a.example/{n}")
        lite.save_document(doc, extraction(doc), NOW)
    lite.add_watchlist("jp", {"country": "JP"}, NOW)
    for _ in range(2):
        out = run("db", "copy", "--from", f"sqlite:///{path}", "--to", postgres_url, "--batch", "2", "--json")
        assert out["complete"] and out["tables"]["documents"] == {"read": 3, "target": 3}
    pg = open_store(postgres_url)
    for table in TABLES:
        assert table_rows(pg, table) == table_rows(lite, table), table.name
    pg.close()
    lite.close()
