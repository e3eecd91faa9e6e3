"""`threatledger kb update`, `entity NAME`, `entities`, `incidents`, `incident ID`, `indicators`."""

from __future__ import annotations

from typing import Any

import click
from rich.table import Table

from threatledger.cli.app import App, echo_json
from threatledger.model import to_json

__all__ = ["COMMANDS"]


@click.group()
def kb() -> None:
    """The knowledge base of actors, malware, tools, techniques, sectors and countries."""


@kb.command("update")
@click.option("--allow-private", is_flag=True, hidden=True)
@click.pass_obj
def kb_update(app: App, allow_private: bool) -> None:
    """Refresh the knowledge from the internet (MITRE ATT&CK, MISP galaxy) into the data dir."""
    import httpx

    from threatledger.knowledge.update import update_from_internet

    assert app.settings.kb_dir is not None
    with httpx.Client(
        timeout=app.settings.timeout_s, follow_redirects=True, headers={"User-Agent": app.settings.user_agent}
    ) as client:
        written = update_from_internet(app.settings.kb_dir, client)
    app.console.print(f"knowledge refreshed in {app.settings.kb_dir}: {written}")


def _kb_info(app: App, name: str) -> list[dict[str, Any]]:
    from threatledger.knowledge import load_kb

    knowledge = load_kb(app.settings)
    out = []
    for entry in knowledge.lookup(name):
        record = to_json(entry)
        related = []
        for rel in knowledge.related(entry.id):
            other_id = rel.target if rel.source == entry.id else rel.source
            other = knowledge.entry(other_id)
            related.append(
                {
                    **to_json(rel),
                    "id": other_id,
                    "canonical": other.canonical if other else other_id,
                    "other_type": other.type if other else None,
                }
            )
        record["related"] = related
        out.append(record)
    return out


@click.command()
@click.argument("name")
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def entity(app: App, name: str, as_json: bool) -> None:
    """What is known about NAME: canonical entry, aliases, sources, country, related, and ledger mentions."""
    from threatledger.api.queries import entity_detail

    known = _kb_info(app, name)
    ledger = entity_detail(app.store, name, limit=20)
    if ledger is None:
        for entry in known:  # the ledger may know it under its canonical name only
            ledger = entity_detail(app.store, entry["canonical"], limit=20)
            if ledger is not None:
                break
    if as_json:
        echo_json({"knowledge": known, "ledger": ledger})
        return
    if not known and ledger is None:
        raise click.ClickException(f"nothing known about {name!r}; try `threatledger search {name!r}`")
    c = app.console
    for k in known:
        c.print(f"[bold]{k['canonical']}[/] ({k['type']})  {k['id']}")
        if k.get("aliases"):
            c.print(f"  aliases: {', '.join(k['aliases'])}")
        c.print(f"  sources: {', '.join(k.get('sources', []))}   country: {k.get('country') or '?'}")
        for r in k["related"]:
            c.print(f"  {r['type']}: {r['canonical']} ({r['id']}; {r['reason']})", markup=False)
    if ledger is None:
        c.print("not yet seen in the ledger")
        return
    for e in ledger["entities"]:
        c.print(
            f"[bold]in the ledger:[/] {e['canonical']} ({e['type']}), {e['documents']} document(s), "
            f"first seen {e['first_seen'] or '?'}, last seen {e['last_seen'] or '?'}"
        )
        c.print(f"  names: {', '.join(e['names'])}", markup=False)
    if ledger["incidents"]:
        c.print("[bold]incidents (as victim or claimed attacker)[/]")
        for i in ledger["incidents"]:
            c.print(f"  {i['id']}  {i['title']}  ({i['reports']} report(s))", markup=False)
    for heading, groups in (
        ("claims about it", ledger["claims_about"]),
        ("claims it made", ledger["claims_made"]),
    ):
        for stance, items in groups.items():
            c.print(f"[bold]{heading}: {stance}[/]")
            for claim in items:
                c.print(
                    f"  {claim['made_on'] or '?'}  {claim['claimant'] or 'the article'}: “{claim['evidence']}”"
                    f"  ({claim['publisher'] or claim['doc_title'] or claim['doc_id']})",
                    markup=False,
                )


@click.command()
@click.option(
    "--type", "etype", help="threat-actor, malware, tool, organization, country, sector, person ..."
)
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def entities(app: App, etype: str | None, limit: int, as_json: bool) -> None:
    """Entities found in the ledger, most mentioned first."""
    rows = app.store.entities(type=etype, limit=limit)
    if as_json:
        echo_json(rows)
        return
    table = Table("canonical", "type", "documents", "country", "first seen", "last seen")
    for r in rows:
        table.add_row(
            r["canonical"],
            r["type"],
            str(r["documents"]),
            r["country"] or "",
            r["first_seen"] or "",
            r["last_seen"] or "",
        )
    app.console.print(table)


@click.command()
@click.option("--country", help="ISO code of the victim's country, e.g. JP.")
@click.option("--sector")
@click.option("--actor", help="Claimed actor (canonical name or as written).")
@click.option("--type", "itype")
@click.option("--stance")
@click.option("--since", metavar="DATE")
@click.option("--until", metavar="DATE")
@click.option("--limit", default=50, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def incidents(
    app: App,
    country: str | None,
    sector: str | None,
    actor: str | None,
    itype: str | None,
    stance: str | None,
    since: str | None,
    until: str | None,
    limit: int,
    as_json: bool,
) -> None:
    """Incidents in the ledger, filtered."""
    filters = {
        "country": country,
        "sector": sector,
        "actor": actor,
        "type": itype,
        "stance": stance,
        "since": since,
        "until": until,
    }
    rows = app.store.incidents(filters, limit=limit)
    if as_json:
        echo_json(rows)
        return
    table = Table("id", "type", "title", "victim", "country", "reports", "claims", "last reported")
    for r in rows:
        table.add_row(
            r["id"],
            r["type"],
            r["title"],
            r["victim"] or "",
            r["country"] or "",
            str(r["reports"]),
            str(r["claims"]),
            r["last_reported"] or "",
        )
    app.console.print(table)


@click.command()
@click.option("--value")
@click.option("--type", "itype")
@click.option("--limit", default=100, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def indicators(app: App, value: str | None, itype: str | None, limit: int, as_json: bool) -> None:
    """Indicators found in the ledger (benign ones flagged)."""
    rows = app.store.indicators(value=value, type=itype, limit=limit)
    if as_json:
        echo_json(rows)
        return
    table = Table("type", "value", "benign", "document")
    for r in rows:
        table.add_row(
            r["type"], r["value"], r["benign_reason"] or ("yes" if r["benign"] else ""), r["doc_id"]
        )
    app.console.print(table)


COMMANDS = [kb, entity, entities, incidents, indicators]
