"""POST /api/ingest: a URL or a pasted article through the pipeline, then the watchlists.

It runs the pipeline's per-item step (fetch, normalise, extract, store) with the pipeline's own failure isolation,
so one request behaves exactly like one item of `threatledger ingest`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from threatledger import pipeline
from threatledger.errors import InputError
from threatledger.model import RawItem
from threatledger.pipeline import IngestReport, Outcome

if TYPE_CHECKING:
    from threatledger.api.app import Context
    from threatledger.pipeline import Extractors
    from threatledger.store import SQLiteStore

__all__ = ["MAX_TEXT", "ingest_json", "text_item"]

MAX_TEXT = 2_000_000  # characters of pasted text accepted


def _optional(body: dict[str, Any], key: str) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InputError(f"{key} must be a string")
    return value


def text_item(body: dict[str, Any]) -> RawItem:
    """A pasted article ({"title", "text", "url"?, "published"?}) as a raw item."""
    title, text = _optional(body, "title"), _optional(body, "text")
    if not title or not text or not text.strip():
        raise InputError(
            'give {"url": "https://..."} or {"title": "...", "text": "...", "url"?, "published"?}'
        )
    if len(text) > MAX_TEXT:
        raise InputError(f"text is longer than {MAX_TEXT} characters")
    url = _optional(body, "url")
    published = _optional(body, "published")
    if published:
        from threatledger.api.queries import date_interval

        if date_interval(published) is None:
            raise InputError(f"published must be an ISO date, not {published!r}")
    return RawItem(
        locator=url or f"api:{title[:80]}",
        content=text.encode("utf-8"),
        content_type="text/plain",
        url=url,
        title=title,
        published=published,
        source_kind="json",
    )


def _outcome(o: Outcome) -> dict[str, Any]:
    return {
        "locator": o.locator,
        "status": o.status,
        "doc_id": o.doc_id,
        "title": o.title,
        "message": o.message,
    }


def _fetch(ctx: Context, url: str, store: SQLiteStore, extractors: Extractors) -> Outcome:
    from threatledger.sources.web import make_client

    http = ctx.http_client or make_client(ctx.settings)
    try:
        return pipeline.ingest_url(http, url, ctx.settings, store, extractors, ctx.clock)
    finally:
        if ctx.http_client is None:
            http.close()


def ingest_json(ctx: Context, body: dict[str, Any]) -> dict[str, Any]:
    """Run the ingest for one request body; returns the report and the alerts it raised."""
    from threatledger.watch import evaluate_watchlists

    url = _optional(body, "url")
    item = None if (url and "text" not in body) else text_item(body)
    if item is None and not (url and url.startswith(("http://", "https://"))):
        raise InputError("url must be an http(s) URL")
    with ctx.writing(), ctx.store() as store:
        marker = store.change_marker()
        extractors = ctx.extractors()
        report = IngestReport()
        if item is None:
            assert url is not None
            report.outcomes.append(_fetch(ctx, url, store, extractors))
        else:
            report.outcomes.append(pipeline.ingest_item(item, store, extractors, ctx.clock))
        alerts = evaluate_watchlists(store, marker, clock=ctx.clock)
    return {"summary": report.summary(), "outcomes": [_outcome(o) for o in report.outcomes], "alerts": alerts}
