"""The CLI's state for one invocation: settings, and the store and extractors opened on first use."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console

from threatledger.config import Settings

if TYPE_CHECKING:
    from threatledger.pipeline import Extractors, IngestReport
    from threatledger.store import SQLiteStore

__all__ = ["App", "echo_json", "print_report", "processes_option"]

FC = TypeVar("FC", bound=Callable[..., Any])


def processes_option(help_text: str) -> Callable[[FC], FC]:
    """The ``--processes/-j`` option of the commands that extract many documents (forked workers)."""
    from threatledger import workers

    return click.option(
        "--processes",
        "-j",
        type=click.IntRange(1, 64),
        default=workers.default_processes,
        show_default=workers.DEFAULT_HELP,
        help=help_text,
    )


def _console(stderr: bool) -> Console:
    """A console that soft-wraps; when output goes to a file or pipe, tables get room instead of 80 columns."""
    console = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console = Console(stderr=stderr, highlight=False, soft_wrap=True, width=200)
    return console


@dataclass
class App:
    settings: Settings
    console: Console = field(default_factory=lambda: _console(stderr=False))
    err: Console = field(default_factory=lambda: _console(stderr=True))
    _store: SQLiteStore | None = None
    _extractors: Extractors | None = None

    @classmethod
    def create(cls, db: str | None) -> App:
        return cls(Settings.load(db))

    @property
    def store(self) -> SQLiteStore:
        if self._store is None:
            from threatledger.store import open_store

            self._store = open_store(self.settings.db)
        return self._store

    def extractors(self, *, with_events: bool = True) -> Extractors:
        if self._extractors is None:
            from threatledger.pipeline import Extractors

            self._extractors = Extractors(self.settings, with_events=with_events)
        return self._extractors

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, sort_keys=True, default=str))


def print_report(app: App, report: IngestReport, as_json: bool) -> None:
    """Print what was added, skipped and failed; exit non-zero when something failed."""
    if as_json:
        echo_json(
            {
                "summary": report.summary(),
                "outcomes": [
                    {
                        "locator": o.locator,
                        "status": o.status,
                        "doc_id": o.doc_id,
                        "title": o.title,
                        "message": o.message,
                    }
                    for o in report.outcomes
                ],
            }
        )
    else:
        for o in report.outcomes:
            if o.status == "added":
                app.console.print(
                    f"[green]added[/]     {o.doc_id}  {o.title or ''}  [dim]{o.locator}[/]", markup=True
                )
            elif o.status in {"duplicate", "near-duplicate"}:
                app.console.print(f"[yellow]duplicate[/] {o.locator}: {o.message}", markup=True)
            else:
                app.err.print(f"[red]failed[/]    {o.message or o.locator}", markup=True)
        s = report.summary()
        app.console.print(
            f"{s['added']} added, {s['duplicate']} duplicate, {s['near-duplicate']} near-duplicate, {s['failed']} failed"
        )
    if report.failed:
        sys.exit(1)
