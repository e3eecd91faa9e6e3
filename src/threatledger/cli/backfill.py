"""`threatledger backfill`: ingest a large collection through a Dask cluster."""

from __future__ import annotations

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from threatledger.cli.app import App, print_report

__all__ = ["COMMANDS"]


@click.command()
@click.argument("sources", nargs=-1, required=True, metavar="SOURCE...")
@click.option("--scheduler", metavar="tcp://HOST:PORT", help="A running Dask scheduler to send work to.")
@click.option(
    "--workers",
    type=click.IntRange(1, 1024),
    default=2,
    show_default=True,
    help="Without --scheduler: worker processes of a local cluster (one thread each).",
)
@click.option(
    "--batch", type=click.IntRange(1, 4096), default=32, show_default=True, help="Documents per task."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
@click.pass_obj
def backfill(
    app: App, sources: tuple[str, ...], scheduler: str | None, workers: int, batch: int, as_json: bool
) -> None:
    """Ingest files and folders with normalisation and extraction spread over a Dask cluster.

    This process is the ledger's only writer and writes in input order, so the result is what `ingest` of the
    same SOURCEs gives; a re-run skips documents already in the ledger. Needs the [scale] extra.
    """
    try:
        from distributed import Client
    except ImportError as exc:
        raise click.ClickException("backfill needs Dask: pip install 'threatledger[scale]'") from exc
    from threatledger.cli.serve import after_ingest
    from threatledger.scale.backfill import backfill as run_backfill
    from threatledger.scale.backfill import local_client
    from threatledger.sources.files import iter_items

    if any(s.startswith(("http://", "https://")) for s in sources):
        raise click.ClickException("backfill reads files and folders; use `threatledger ingest` for URLs")
    total = sum(1 for _ in iter_items(list(sources), app.settings))
    client = Client(scheduler) if scheduler else local_client(workers)  # type: ignore[no-untyped-call]
    marker = app.store.change_marker()
    try:
        with Progress(
            TextColumn("backfill"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("[dim]{task.description}"),
            console=app.err,
            transient=True,
            disable=not app.err.is_terminal,
        ) as bar:
            task = bar.add_task("", total=total)
            report = run_backfill(
                list(sources),
                app.settings,
                app.store,
                client,
                batch=batch,
                progress=lambda loc: bar.update(task, advance=1, description=loc),
            )
    finally:
        cluster = client.cluster
        client.close()  # type: ignore[no-untyped-call]
        if cluster is not None and not scheduler:
            cluster.close()
    after_ingest(app, marker)
    print_report(app, report, as_json)


COMMANDS = [backfill]
