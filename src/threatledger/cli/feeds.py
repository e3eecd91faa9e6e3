"""`threatledger feeds add|list|poll`."""

from __future__ import annotations

import dataclasses

import click
from rich.table import Table

from threatledger.cli.app import App, echo_json, print_report
from threatledger.model import to_json
from threatledger.pipeline import system_clock

__all__ = ["COMMANDS"]


@click.group()
def feeds() -> None:
    """Manage RSS/Atom feeds."""


@feeds.command("add")
@click.argument("urls", nargs=-1, required=True)
@click.pass_obj
def add(app: App, urls: tuple[str, ...]) -> None:
    """Subscribe to one or more feeds."""
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise click.ClickException(f"{url}: a feed must be an http(s) URL")
        added = app.store.add_feed(url, system_clock().isoformat())
        app.console.print(f"{'added' if added else 'already subscribed'}: {url}")


@feeds.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def list_feeds(app: App, as_json: bool) -> None:
    """List subscribed feeds with their last poll."""
    rows = app.store.list_feeds()
    if as_json:
        echo_json([to_json(r) for r in rows])
        return
    table = Table("url", "title", "items", "last polled", "status")
    for r in rows:
        table.add_row(r.url, r.title or "", str(r.items), r.last_polled or "never", r.last_status or "")
    app.console.print(table)


@feeds.command("poll")
@click.argument("urls", nargs=-1)
@click.option(
    "--allow-private", is_flag=True, help="Allow feeds and articles on private addresses (SSRF risk)."
)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def poll(app: App, urls: tuple[str, ...], allow_private: bool, as_json: bool) -> None:
    """Fetch new items from every feed (or the given ones) and the articles they link to."""
    from threatledger.pipeline import poll_feeds

    settings = dataclasses.replace(app.settings, allow_private=allow_private or app.settings.allow_private)
    from threatledger.cli.serve import after_ingest

    marker = app.store.change_marker()
    report = poll_feeds(settings, app.store, app.extractors(), only=urls)
    after_ingest(app, marker)
    print_report(app, report, as_json)


COMMANDS = [feeds]
