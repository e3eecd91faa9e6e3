"""The `threatledger` command line: parse, call the library, format. Each area's commands live in one module."""

from __future__ import annotations

import logging
import sys

import click

from threatledger import __version__
from threatledger.cli.app import App
from threatledger.errors import ThreatledgerError

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110})
@click.version_option(__version__, prog_name="threatledger")
@click.option(
    "--db",
    envvar="THREATLEDGER_DB",
    metavar="PATH|URL",
    help="Ledger location: an SQLite file (default: the platform data dir) or postgresql://...",
)
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
@click.pass_context
def cli(ctx: click.Context, db: str | None, verbose: int) -> None:
    """threatledger: a source-attributed knowledge base of cyber incidents."""
    level = logging.WARNING - 10 * min(verbose, 2)
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    ctx.obj = App.create(db)
    ctx.call_on_close(ctx.obj.close)


def _register() -> None:
    from threatledger.cli import (
        backfill,
        db,
        documents,
        extract,
        feeds,
        incidents,
        ingest,
        interop,
        knowledge,
        serve,
    )

    for module in (backfill, db, documents, extract, feeds, incidents, ingest, interop, knowledge, serve):
        for command in module.COMMANDS:
            cli.add_command(command)


_register()


def main() -> None:
    try:
        cli(standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except ThreatledgerError as exc:
        click.echo(f"error: {exc}", err=True)
        sys.exit(2)
    except KeyboardInterrupt:
        click.echo("interrupted: the ledger is consistent; re-run the command to finish", err=True)
        sys.exit(130)
