"""`threatledger export stix|misp` and `threatledger import stix` through the command line."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner
from stix2validator import validate_file

from threatledger.cli import cli

from .ledger_fixture import PORT_INCIDENT, build_ledger


def test_export_and_import(tmp_path: Path) -> None:
    ledger = build_ledger(tmp_path / "ledger.sqlite3")
    runner = CliRunner()
    db = ["--db", str(ledger.path)]
    out = tmp_path / "bundle.json"
    result = runner.invoke(cli, [*db, "export", "stix", "--all", "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert validate_file(str(out)).is_valid
    again = runner.invoke(cli, [*db, "export", "stix"])
    assert again.exit_code == 0 and again.stdout == out.read_text(encoding="utf-8")

    one = runner.invoke(cli, [*db, "export", "stix", "--incident", PORT_INCIDENT])
    assert [o["id"] for o in json.loads(one.stdout)["objects"] if o["type"] == "incident"] == [PORT_INCIDENT]
    since = runner.invoke(cli, [*db, "export", "stix", "--since", "2023-12-01"])
    assert [o["name"] for o in json.loads(since.stdout)["objects"] if o["type"] == "report"] == [
        "BlackTech targets Japanese government email with PlugX"
    ]
    both = runner.invoke(cli, [*db, "export", "stix", "--all", "--since", "2023-01-01"])
    assert both.exit_code != 0 and "choose one" in both.output

    events = tmp_path / "events.json"
    result = runner.invoke(cli, [*db, "export", "misp", "-o", str(events)])
    assert result.exit_code == 0, result.output
    assert len(json.loads(events.read_text(encoding="utf-8"))["response"]) == 2

    fresh = ["--db", str(tmp_path / "fresh.sqlite3")]
    result = runner.invoke(cli, [*fresh, "import", "stix", str(out), "--json"])
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)["summary"]
    assert summary["reports"] == 4 and summary["documents_added"] == 4
    result = runner.invoke(cli, [*fresh, "import", "stix", str(out)])
    assert "0 new" in result.stdout and "4 already in the ledger" in result.stdout


def test_unknown_incident(tmp_path: Path) -> None:
    runner = CliRunner()
    result = runner.invoke(
        cli, ["--db", str(tmp_path / "l.sqlite3"), "export", "misp", "--incident", "incident--x"]
    )
    assert result.exit_code != 0
    assert "no incident" in str(result.exception)
