"""`threatledger extract`: run the extraction pipeline on files without touching the store."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from threatledger.cli.app import App, processes_option
from threatledger.pipeline import Outcome

__all__ = ["COMMANDS"]


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True, path_type=Path))
@click.option(
    "--published", metavar="DATE", help="Publication date (YYYY-MM-DD) that relative dates resolve against."
)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "json"]), default="jsonl", show_default=True)
@click.option("--no-events", is_flag=True, help="Skip the event model (faster).")
@processes_option("Extraction processes (batches of 16 documents each; the output is the same).")
@click.pass_obj
def extract(
    app: App, paths: tuple[Path, ...], published: str | None, fmt: str, no_events: bool, processes: int
) -> None:
    """Print one JSON record per input file (doc_id = the file stem) with every finding and its offsets."""
    from threatledger.export.jsonl import extraction_record
    from threatledger.pipeline import extract_paths

    failed = False
    extractors = app.extractors(with_events=not no_events)
    for result in extract_paths(
        list(paths), app.settings, extractors, published=published, n_process=processes
    ):
        if isinstance(result, Outcome):
            failed = True
            click.echo(f"failed: {result.message}", err=True)
            continue
        stem, document, extraction = result
        record = extraction_record(stem, document, extraction)
        if fmt == "json":
            click.echo(json.dumps(record, indent=2, ensure_ascii=False))
        else:
            click.echo(json.dumps(record, ensure_ascii=False))
    if failed:
        sys.exit(1)


COMMANDS = [extract]
