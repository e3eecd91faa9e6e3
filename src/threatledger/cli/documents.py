"""`threatledger documents`, `show`, `search`."""

from __future__ import annotations

import click
from rich.table import Table

from threatledger.cli.app import App, echo_json
from threatledger.extract.vulnerabilities import stored_product_and_vendor
from threatledger.model import to_json

__all__ = ["COMMANDS"]


@click.command()
@click.option("--since", metavar="DATE", help="Only documents published (or fetched) on or after DATE.")
@click.option("--limit", default=50, show_default=True)
@click.option("--offset", default=0)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def documents(app: App, since: str | None, limit: int, offset: int, as_json: bool) -> None:
    """List documents in the ledger, newest first."""
    rows = app.store.list_documents(since=since, limit=limit, offset=offset)
    if as_json:
        echo_json([to_json(r) for r in rows])
        return
    table = Table("id", "published", "title", "source", "seen")
    for r in rows:
        table.add_row(
            r.id,
            (r.published or r.fetched or "")[:10],
            r.title or "",
            r.url or r.source or "",
            str(r.sightings),
        )
    app.console.print(table)


@click.command()
@click.argument("doc_id")
@click.option("--json", "as_json", is_flag=True)
@click.option("--text/--no-text", default=True, help="Print the document text.")
@click.pass_obj
def show(app: App, doc_id: str, as_json: bool, text: bool) -> None:
    """Show one document, its sightings and what was extracted from it."""
    document = app.store.get_document(doc_id)
    if document is None:
        raise click.ClickException(f"no document {doc_id!r}; `threatledger documents` lists the ids")
    extraction = app.store.get_extraction(doc_id) or {}
    sightings = app.store.sightings(doc_id)
    if as_json:
        echo_json({"document": to_json(document), "sightings": sightings, "extraction": extraction})
        return
    c = app.console
    c.print(f"[bold]{document.title or '(untitled)'}[/]")
    c.print(f"id {document.id}  published {document.published or '?'}  publisher {document.publisher or '?'}")
    c.print(f"url {document.url or '-'}  sha256 {document.sha256[:16]}…")
    for s in sightings:
        c.print(f"  seen {s['seen_at']} as {s['kind']}: {s['locator']}")
    for key in ("entities", "indicators", "dates", "techniques", "events", "incidents", "claims"):
        c.print(f"{key}: {len(extraction.get(key, []))}")
    for v in extraction.get("vulnerabilities", []):
        product, vendor = stored_product_and_vendor(v)
        c.print(
            f"  {v['id']}: {product or '?'}" + (f" ({vendor})" if vendor else ""),
            markup=False,
            highlight=False,
        )
    if text:
        c.print()
        c.print(document.text, markup=False, highlight=False)


@click.command()
@click.argument("query")
@click.option("--limit", default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True)
@click.pass_obj
def search(app: App, query: str, limit: int, as_json: bool) -> None:
    """Full-text search over document titles and main text, best matches first.

    Words, "phrases", AND, OR and NOT. When a query matches more than 5,000 documents, the
    5,000 most recently added matches are ranked (scored with the whole ledger's statistics).
    """
    hits = app.store.search(query, limit=limit)
    if as_json:
        echo_json([to_json(h) for h in hits])
        return
    if not hits:
        app.console.print("no matches")
    for h in hits:
        app.console.print(f"[bold]{h.title or '(untitled)'}[/]  [dim]{h.doc_id}  {h.published or ''}[/]")
        app.console.print(f"   {h.snippet}", markup=False)


COMMANDS = [documents, show, search]
