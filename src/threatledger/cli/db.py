"""`threatledger db migrate|copy`: ledger schema and moving a ledger between SQLite and PostgreSQL."""

from __future__ import annotations

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn
from rich.table import Table

from threatledger.cli.app import App, echo_json

__all__ = ["COMMANDS"]


@click.group()
def db() -> None:
    """Ledger database: migrations, and copying a ledger to another backend."""


@db.command("migrate")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def migrate(app: App, as_json: bool) -> None:
    """Bring the ledger (--db) to the current schema and list the migrations it has."""
    store = app.store  # opening a ledger applies pending migrations, under a lock on PostgreSQL
    store.migrate()
    rows = [
        {"version": int(r[0]), "name": r[1], "applied_at": str(r[2])}
        for r in store.conn.execute(
            "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
        )
    ]
    if as_json:
        echo_json({"ledger": _where(app.settings.db), "version": store.schema_version(), "migrations": rows})
        return
    table = Table("version", "migration", "applied at", title=f"{_where(app.settings.db)}")
    for r in rows:
        table.add_row(str(r["version"]), r["name"], r["applied_at"])
    app.console.print(table)
    app.console.print(f"schema version {store.schema_version()}: up to date")


@db.command("copy")
@click.option(
    "--from",
    "source",
    required=True,
    metavar="URL",
    help="Ledger to read: sqlite:///PATH, a path, or postgresql://...",
)
@click.option("--to", "target", required=True, metavar="URL", help="Ledger to write (migrated first).")
@click.option(
    "--batch", default=500, show_default=True, type=click.IntRange(1, 100_000), help="Rows per transaction."
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def copy(app: App, source: str, target: str, batch: int, as_json: bool) -> None:
    """Copy every table of one ledger into another (idempotent: re-run after an interruption)."""
    from threatledger.store import open_store
    from threatledger.store.postgres_copy import TABLES, copy_ledger

    src = open_store(source)
    try:
        dst = open_store(target)
        try:
            with Progress(
                TextColumn("{task.description:<18}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=app.err,
                disable=as_json or not app.err.is_terminal,
            ) as bar:
                tasks: dict[str, TaskID] = {}

                def progress(table: str, done: int, total: int) -> None:
                    if table not in tasks:
                        tasks[table] = bar.add_task(table, total=total)
                    bar.update(tasks[table], completed=done)

                report = copy_ledger(src, dst, batch=batch, progress=progress)
            counts = {
                t.name: int(dst.conn.execute(f"SELECT count(*) FROM {t.name}").fetchone()[0]) for t in TABLES
            }
        finally:
            dst.close()
    finally:
        src.close()
    short = [t.name for t in TABLES if counts[t.name] < report.rows[t.name]]
    if as_json:
        echo_json(
            {
                "from": _where(source),
                "to": _where(target),
                "schema_version": report.target_version,
                "tables": {name: {"read": report.rows[name], "target": counts[name]} for name in report.rows},
                "complete": not short,
            }
        )
    else:
        table = Table("table", "rows read", "rows in target")
        for name, read in report.rows.items():
            table.add_row(name, str(read), str(counts[name]))
        app.console.print(table)
        app.console.print(
            f"copied {_where(source)} -> {_where(target)} (schema version {report.target_version})"
        )
    if short:
        raise click.ClickException(f"the target has fewer rows than the source in: {', '.join(short)}")


def _where(location: str) -> str:
    from threatledger.store.postgres import redact

    return redact(location)


COMMANDS = [db]
