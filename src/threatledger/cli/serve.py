"""`threatledger serve`, `token create|list|remove`, `watchlists add|list|remove`, `alerts` and `watch`."""

from __future__ import annotations

import dataclasses
import re
import secrets
import time

import click
from rich.table import Table

from threatledger.cli.app import App, echo_json
from threatledger.model import to_json
from threatledger.pipeline import system_clock

__all__ = ["COMMANDS", "after_ingest", "parse_interval"]

_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(text: str) -> float:
    """Seconds in an interval like 90, 90s, 15m, 1h, 1d."""
    match = _INTERVAL.match(text)
    if not match or float(match.group(1)) <= 0:
        raise click.BadParameter(f"{text!r}: write an interval like 30s, 15m, 1h")
    return float(match.group(1)) * _UNITS[match.group(2)]


def after_ingest(app: App, marker: int) -> None:
    """Evaluate the watchlists against what an ingest or poll added, and say how many alerts it raised."""
    from threatledger.watch import evaluate_watchlists

    alerts = evaluate_watchlists(app.store, marker)
    if alerts:
        app.err.print(f"{len(alerts)} new alert(s); `threatledger alerts` lists them")


@click.command()
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to bind (loopback unless told)."
)
@click.option("--port", default=8080, show_default=True, type=click.IntRange(0, 65535))
@click.option(
    "--token",
    "make_token",
    is_flag=True,
    help="Make a one-off API token for this run and print it (THREATLEDGER_API_TOKEN is read too).",
)
@click.pass_obj
def serve(app: App, host: str, port: int, make_token: bool) -> None:
    """Serve the web pages and the JSON API (/api, /openapi.json) over the ledger."""
    import uvicorn

    from threatledger.api import create_app
    from threatledger.store import open_store

    open_store(app.settings.db).close()  # fail here, with the CLI's message, if the ledger cannot be opened
    token = secrets.token_urlsafe(32) if make_token else None
    web = create_app(app.settings, lambda: open_store(app.settings.db), api_token=token)
    shown = f"[{host}]" if ":" in host else host
    click.echo(f"threatledger serving {app.settings.db} at http://{shown}:{port}/  (Ctrl-C stops)")
    if token:
        click.echo(f"API token for this run: {token}")
    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo("warning: listening beyond loopback; write endpoints still need a token", err=True)
    uvicorn.run(web, host=host, port=port, log_level="warning")


@click.group()
def token() -> None:
    """API tokens for the write endpoints (stored hashed in the ledger)."""


@token.command("create")
@click.option("--name", default="default", show_default=True, help="A label to recognise the token by.")
@click.pass_obj
def token_create(app: App, name: str) -> None:
    """Make a token and print it once; only its hash is kept."""
    from threatledger.api.auth import create_token

    value, row = create_token(app.store, name, system_clock().isoformat())
    click.echo(value)
    app.err.print(f"token {row.name} ({row.id}) created; it is not shown again")


@token.command("list")
@click.pass_obj
def token_list(app: App) -> None:
    """List tokens (names and dates, never the values)."""
    table = Table("id", "name", "created", "last used")
    for row in app.store.list_tokens():
        table.add_row(row.id, row.name, row.created, row.last_used or "never")
    app.console.print(table)


@token.command("remove")
@click.argument("key")
@click.pass_obj
def token_remove(app: App, key: str) -> None:
    """Revoke a token by id or name."""
    if not app.store.remove_token(key):
        raise click.ClickException(f"no token {key!r}; `threatledger token list` shows them")
    app.console.print(f"removed {key}")


@click.group()
def watchlists() -> None:
    """Saved filters that raise alerts when new reporting matches."""


@watchlists.command("add")
@click.argument("name")
@click.option("--actor")
@click.option("--country", help="ISO alpha-2 code of the victim's country.")
@click.option("--sector")
@click.option("--type", "type_", help="Incident type, e.g. ransomware.")
@click.option("--cve")
@click.option("--keyword", help="Full-text query over new documents.")
@click.option("--stance", help="Only claims of this stance (suspected, denied, ...).")
@click.option("--webhook", help="POST alerts here as signed JSON.")
@click.option("--email", help="Mail alerts here (THREATLEDGER_SMTP_HOST must be set).")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def watchlist_add(
    app: App,
    name: str,
    actor: str | None,
    country: str | None,
    sector: str | None,
    type_: str | None,
    cve: str | None,
    keyword: str | None,
    stance: str | None,
    webhook: str | None,
    email: str | None,
    as_json: bool,
) -> None:
    """Save a watchlist; with --webhook, its signing secret is printed once."""
    from threatledger.watch import create_watchlist

    filters = {
        "actor": actor,
        "country": country,
        "sector": sector,
        "type": type_,
        "cve": cve,
        "keyword": keyword,
        "stance": stance,
    }
    row = create_watchlist(app.store, name, filters, webhook_url=webhook, email=email)
    if as_json:
        echo_json(to_json(row))
        return
    app.console.print(f"watchlist {row.name} saved: {row.filters}")
    if row.webhook_secret:
        app.console.print(f"webhook signing secret (shown once): {row.webhook_secret}", markup=False)


@watchlists.command("list")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def watchlist_list(app: App, as_json: bool) -> None:
    """List watchlists."""
    rows = app.store.list_watchlists()
    if as_json:
        echo_json([{k: v for k, v in to_json(r).items() if k != "webhook_secret"} for r in rows])
        return
    table = Table("name", "filters", "webhook", "e-mail", "created")
    for r in rows:
        filters = ", ".join(f"{k}={v}" for k, v in sorted(r.filters.items()))
        table.add_row(r.name, filters, r.webhook_url or "", r.email or "", r.created)
    app.console.print(table)


@watchlists.command("remove")
@click.argument("key")
@click.pass_obj
def watchlist_remove(app: App, key: str) -> None:
    """Remove a watchlist (by name or id) and its alerts."""
    if not app.store.remove_watchlist(key):
        raise click.ClickException(f"no watchlist {key!r}; `threatledger watchlists list` shows them")
    app.console.print(f"removed {key}")


@click.command()
@click.option("--watchlist", help="Only this watchlist's alerts.")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def alerts(app: App, watchlist: str | None, limit: int, as_json: bool) -> None:
    """List alerts, newest first, with their delivery status."""
    rows = app.store.list_alerts(watchlist=watchlist, limit=limit)
    if as_json:
        echo_json([to_json(r) for r in rows])
        return
    table = Table("created", "watchlist", "match", "title", "webhook", "e-mail")
    for r in rows:
        table.add_row(
            r.created,
            r.watchlist,
            f"{r.object_type} {r.object_id}",
            r.title or "",
            r.webhook_status or "-",
            r.email_status or "-",
        )
    app.console.print(table)


@click.command()
@click.option("--interval", default="15m", show_default=True, help="Time between rounds (30s, 15m, 1h).")
@click.option("--once", is_flag=True, help="Run one round and exit.")
@click.option(
    "--allow-private", is_flag=True, help="Allow feeds and webhooks on private addresses (SSRF risk)."
)
@click.option("--base-url", help="Public URL of `threatledger serve`, for links in alerts.")
@click.pass_obj
def watch(app: App, interval: str, once: bool, allow_private: bool, base_url: str | None) -> None:
    """Poll feeds, evaluate watchlists and deliver alerts on a schedule (Ctrl-C stops cleanly)."""
    from threatledger.pipeline import poll_feeds
    from threatledger.sources.web import make_client
    from threatledger.watch import MailSettings, deliver_pending

    seconds = parse_interval(interval)
    settings = dataclasses.replace(app.settings, allow_private=allow_private or app.settings.allow_private)
    mail = MailSettings.from_env()
    with make_client(settings) as client:
        try:
            while True:
                marker = app.store.change_marker()
                report = poll_feeds(settings, app.store, app.extractors(), client=client)
                after_ingest(app, marker)
                delivery = deliver_pending(app.store, settings, client, mail=mail, base_url=base_url)
                s = report.summary()
                app.console.print(
                    f"{system_clock().isoformat()}  {s['added']} added, {s['failed']} failed; "
                    f"alerts delivered {delivery.delivered}, failed {delivery.failed}"
                )
                for message in delivery.messages:
                    app.err.print(message, markup=False)
                if once:
                    return
                time.sleep(seconds)
        except KeyboardInterrupt:
            app.console.print("stopped")


COMMANDS = [serve, token, watchlists, alerts, watch]
