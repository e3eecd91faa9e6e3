"""`threatledger export stix|misp` and `threatledger import stix`: the ledger in the field's formats."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

import click

from threatledger.cli.app import App, echo_json

__all__ = ["COMMANDS"]


def _write(output: str, text: str) -> None:
    """Write ``text`` to ``output`` (``-``: standard output); a file is replaced only once fully written."""
    if output == "-":
        click.echo(text, nl=False)
        return
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _dump(value: Any) -> str:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


@click.group("export")
def export() -> None:
    """Write the ledger as STIX 2.1 or MISP JSON."""


@export.command("stix")
@click.option(
    "--incident", "incident_id", metavar="ID", help="One incident and the documents that report it."
)
@click.option("--since", metavar="DATE", help="Documents published (or fetched) on or after DATE.")
@click.option("--all", "everything", is_flag=True, help="The whole ledger (the default).")
@click.option("--with-text", is_flag=True, help="Put each document's text in its report's description.")
@click.option(
    "-o", "--output", default="-", show_default=True, metavar="FILE", help="Where to write the bundle."
)
@click.pass_obj
def export_stix_command(
    app: App, incident_id: str | None, since: str | None, everything: bool, with_text: bool, output: str
) -> None:
    """A STIX 2.1 bundle: reports, incidents with their timeline, actors, indicators, claims as opinions."""
    from threatledger.export.stix import bundle_json, export_stix

    if sum(bool(x) for x in (incident_id, since, everything)) > 1:
        raise click.UsageError("choose one of --incident, --since and --all")
    bundle = export_stix(app.store, incident_id=incident_id, since=since, with_text=with_text)
    _write(output, bundle_json(bundle))
    if output != "-":
        app.err.print(f"{len(bundle['objects'])} STIX objects written to {output}", markup=False)


@export.command("misp")
@click.option("--incident", "incident_id", metavar="ID", help="Only this incident (default: every incident).")
@click.option("--with-text", is_flag=True, help="Put each document's text in its event report.")
@click.option(
    "-o", "--output", default="-", show_default=True, metavar="FILE", help="Where to write the events."
)
@click.option(
    "--feed",
    type=click.Path(file_okay=False, path_type=Path),
    metavar="DIR",
    help="Write a MISP feed folder (manifest.json, one file per event, hashes.csv) instead; needs [misp].",
)
@click.pass_obj
def export_misp_command(
    app: App, incident_id: str | None, with_text: bool, output: str, feed: Path | None
) -> None:
    """MISP events, one per incident: attributes, galaxy tags, event reports and analyst opinions."""
    from threatledger.export.misp import export_misp

    events = export_misp(app.store, incident_id, with_text=with_text)
    if feed is not None:
        from threatledger.export.misp_feed import write_misp_feed

        written = write_misp_feed(events, feed)
        app.err.print(f"{len(written)} MISP events written to the feed in {feed}", markup=False)
        return
    _write(output, _dump(events))
    if output != "-":
        app.err.print(f"{len(events['response'])} MISP events written to {output}", markup=False)


@click.group("import")
def import_() -> None:
    """Load data in the field's formats into the ledger."""


@import_.command("stix")
@click.argument("bundle", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def import_stix_command(app: App, bundle: Path, as_json: bool) -> None:
    """Load a STIX 2.x bundle: reports become documents, every object is kept verbatim."""
    from threatledger.export.stix_import import import_stix, read_bundle
    from threatledger.pipeline import system_clock

    data = read_bundle(bundle)
    result = import_stix(app.store, data, source=str(bundle), imported_at=system_clock().isoformat())
    if as_json:
        echo_json({"summary": result.summary(), "documents": result.documents})
        return
    s = result.summary()
    app.console.print(
        f"{s['objects']} objects ({s['new_objects']} new), {s['reports']} reports: "
        f"{s['documents_added']} documents added, {s['documents_duplicate']} already in the ledger",
        markup=False,
    )


COMMANDS = [export, import_]
