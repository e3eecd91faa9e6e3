"""`threatledger ingest` and `threatledger demo`."""

from __future__ import annotations

import dataclasses
from importlib import resources
from pathlib import Path

import click
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from threatledger.cli.app import App, print_report, processes_option

__all__ = ["COMMANDS"]


def _progress(app: App) -> Progress:
    return Progress(
        SpinnerColumn(),
        TextColumn("{task.completed} items"),
        TextColumn("[dim]{task.description}"),
        TimeElapsedColumn(),
        console=app.err,
        transient=True,
        disable=not app.err.is_terminal,
    )


@click.command()
@click.argument("targets", nargs=-1, required=True, metavar="PATH_OR_URL...")
@click.option(
    "--allow-private", is_flag=True, help="Allow URLs on loopback/private/link-local addresses (SSRF risk)."
)
@processes_option("Extraction processes for files and folders (batches of 16 documents each).")
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def ingest(app: App, targets: tuple[str, ...], allow_private: bool, processes: int, as_json: bool) -> None:
    """Ingest files, folders and URLs (txt, md, html, pdf, json, jsonl) into the ledger.

    Files are extracted in batches, in --processes processes, and written in their order: the ledger is the one a
    document-at-a-time ingest builds.
    """
    from threatledger.pipeline import ingest as run_ingest

    settings = dataclasses.replace(app.settings, allow_private=allow_private or app.settings.allow_private)
    from threatledger.cli.serve import after_ingest

    marker = app.store.change_marker()
    with _progress(app) as bar:
        task = bar.add_task("", total=None)
        report = run_ingest(
            list(targets),
            settings,
            app.store,
            app.extractors(),
            progress=lambda loc: bar.update(task, advance=1, description=loc),
            processes=processes,
        )
    after_ingest(app, marker)
    print_report(app, report, as_json)


def demo_corpus() -> Path:
    """The sample corpus that ships with the package."""
    return Path(str(resources.files("threatledger") / "data" / "demo"))


@click.command()
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def demo(app: App, as_json: bool) -> None:
    """Ingest the bundled sample corpus (fictional incident news and a feed file) and summarise the ledger."""
    from threatledger.pipeline import ingest as run_ingest

    report = run_ingest([str(demo_corpus())], app.settings, app.store, app.extractors())
    if as_json:
        print_report(app, report, True)
        return
    s = report.summary()
    app.console.print(
        f"Demo corpus: {s['added']} added, {s['duplicate']} already present, {s['failed']} failed"
    )
    app.console.print(f"Ledger: {app.settings.db}  ({app.store.count_documents()} documents)")
    for row in app.store.incidents(limit=10):
        app.console.print(
            f"  incident {row['id']}  {row['title']}  [{row['reports']} report(s), {row['claims']} claim(s)]"
        )
    app.console.print(
        "Next: `threatledger incidents`, `threatledger search ransomware`, or browse the ledger:"
    )
    app.console.print("  threatledger serve    then open http://127.0.0.1:8080/ (the NISC incident, for one)")


COMMANDS = [ingest, demo]
