"""`threatledger incident ID` and the reversible operations `incident merge|split|undo|ops`."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import click

from threatledger.cli.app import App, echo_json
from threatledger.pipeline import system_clock

__all__ = ["COMMANDS", "incident_view"]


class _IncidentGroup(click.Group):
    """`incident ID` shows an incident; `incident merge ...` and friends are subcommands."""

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        if args and args[0] not in self.commands and not args[0].startswith("-"):
            args = ["show", *args]
        return super().resolve_command(ctx, args)


def incident_view(app: App, incident_id: str) -> dict[str, Any]:
    """An incident with its derived summary (timeline, disagreements, claim ledger) and operations log."""
    from threatledger.resolve.summary import summarise

    record = app.store.incident(incident_id)
    if record is None:
        raise click.ClickException(f"no incident {incident_id!r}; `threatledger incidents` lists the ids")
    record["summary"] = summarise(record["reports"], record["claims"])
    record["operations"] = app.store.incident_ops(record["id"])
    return record


@click.group(cls=_IncidentGroup)
def incident() -> None:
    """Show an incident (`incident ID`), or merge, split and undo incident decisions."""


@incident.command("show")
@click.argument("incident_id")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def show(app: App, incident_id: str, as_json: bool) -> None:
    """Timeline, victims, sources, and claims grouped by stance with their evidence and sources."""
    record = incident_view(app, incident_id)
    if as_json:
        echo_json(record)
        return
    c = app.console
    summary = record["summary"]
    c.print(f"[bold]{record['title']}[/]  ({record['type']})  {record['id']}")
    for v in summary["victims"]:
        c.print(f"  victim: {v['name']}  country {v.get('country') or '?'}  sector {v.get('sector') or '?'}")
    for key in ("compromised", "discovered", "disclosed", "reported"):
        point = summary["timeline"].get(key)
        if point:
            quote = (point.get("evidence") or {}).get("text", "")
            source = (
                point["source"].get("publisher") or point["source"].get("title") or point["source"]["doc_id"]
            )
            c.print(f"  {key:<11} {point['value']:<12} {source}: “{quote}”", markup=False)
            c.print(f"              rule: {point['rule']}", style="dim")
    for key, values in summary["disagreements"].items():
        listed = "; ".join(f"{v['value']} ({len(v['sources'])} source(s))" for v in values)
        c.print(f"  sources disagree on {key}: {listed}", markup=False)
    if summary["dwell"]:
        c.print(f"  dwell time: {summary['dwell']['days']} days ({summary['dwell']['from']})")
    if summary["compromised_data"]:
        c.print(f"  compromised data: {'; '.join(summary['compromised_data'])}", markup=False)
    c.print("[bold]sources[/]")
    for s in summary["sources"]:
        c.print(
            f"  {s['published'] or '?'}  {s['publisher'] or ''}  {s['title'] or s['doc_id']}  {s['url'] or ''}",
            markup=False,
        )
    by_stance: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in summary["claims"]:
        by_stance[row["stance"]].append(row)
    for stance, rows in sorted(by_stance.items()):
        c.print(f"[bold]{stance}[/]")
        for row in rows:
            c.print(
                f"  {row['claimant'] or 'the article'} → {row['actor']}  "
                f"({len(row['sightings'])} sighting(s), {row['independent_sources']} independent)",
                markup=False,
            )
            for s in row["sightings"]:
                cites = f" citing {s['cites']}" if s["cites"] else ""
                c.print(
                    f"    {s['made_on'] or '?'} {s['publisher'] or s['title'] or s['doc_id']}{cites}: "
                    f"“{s['evidence']}”",
                    markup=False,
                )
    for op in record["operations"]:
        state = f" (undone {op['undone_at']})" if op["undone_at"] else ""
        c.print(
            f"  op {op['id']}: {op['op']} {op['other_id']} → {op['incident_id']} score {op['score']} "
            f"{'; '.join(op['reasons'])}{state}",
            style="dim",
            markup=False,
        )


@incident.command("merge")
@click.argument("target")
@click.argument("other")
@click.pass_obj
def merge(app: App, target: str, other: str) -> None:
    """Merge incident OTHER into TARGET (logged; `incident undo OP` reverses it)."""
    op = app.store.merge_incidents(target, other, system_clock().isoformat())
    app.console.print(f"merged {other} into {target} (operation {op})")


@incident.command("split")
@click.argument("incident_id")
@click.option(
    "--report",
    "reports",
    multiple=True,
    required=True,
    help="Report id to move out (repeatable); `incident ID --json` lists them.",
)
@click.pass_obj
def split(app: App, incident_id: str, reports: tuple[str, ...]) -> None:
    """Move reports out of an incident into a new incident (logged and undoable)."""
    new_id, op = app.store.split_incident(incident_id, list(reports), system_clock().isoformat())
    app.console.print(f"split {len(reports)} report(s) into {new_id} (operation {op})")


@incident.command("undo")
@click.argument("op_id", type=int)
@click.pass_obj
def undo(app: App, op_id: int) -> None:
    """Reverse a merge, split or automatic link."""
    row = app.store.undo_incident_op(op_id, system_clock().isoformat())
    app.console.print(f"undid operation {op_id} ({row['op']})")


@incident.command("ops")
@click.argument("incident_id", required=False)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def ops(app: App, incident_id: str | None, as_json: bool) -> None:
    """The log of merges, splits and automatic links (with scores and reasons)."""
    rows = app.store.incident_ops(incident_id)
    if as_json:
        echo_json(rows)
        return
    for op in rows:
        state = f" undone {op['undone_at']}" if op["undone_at"] else ""
        app.console.print(
            f"{op['id']}: {op['at']} {op['op']} {op['other_id']} → {op['incident_id']} "
            f"score {op['score']} {'; '.join(op['reasons'])}{state}",
            markup=False,
        )


COMMANDS = [incident]
