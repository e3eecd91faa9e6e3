"""JSON endpoints under /api: thin over the store and :mod:`threatledger.api.queries`."""

from __future__ import annotations

import json
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from threatledger.api import queries
from threatledger.api.app import Context, context, error_response
from threatledger.api.ingest import ingest_json
from threatledger.api.openapi import openapi_spec
from threatledger.errors import InputError
from threatledger.model import to_json
from threatledger.store.watch import WatchlistRow

__all__ = ["api_routes", "paged", "watchlist_json"]


def paged(request: Request, items: list[Any], page: queries.Page) -> dict[str, Any]:
    """A page of ``items`` (fetched with limit + 1) with a ``next`` link when more remain."""
    more = len(items) > page.limit
    next_url = str(request.url.include_query_params(offset=page.offset + page.limit)) if more else None
    return {"items": items[: page.limit], "limit": page.limit, "offset": page.offset, "next": next_url}


def watchlist_json(row: WatchlistRow, *, with_secret: bool = False) -> dict[str, Any]:
    data = to_json(row)
    if not with_secret:
        data.pop("webhook_secret", None)
    return dict(data)


def documents(request: Request) -> JSONResponse:
    page = queries.page_args(request.query_params)
    since = request.query_params.get("since") or None
    with context(request).store() as store:
        rows = store.list_documents(since=since, limit=page.limit + 1, offset=page.offset)
    return JSONResponse(paged(request, [to_json(r) for r in rows], page))


def document(request: Request) -> JSONResponse:
    doc_id = request.path_params["doc_id"]
    with context(request).store() as store:
        detail = queries.document_detail(store, doc_id)
    if detail is None:
        raise HTTPException(404, f"no document {doc_id!r}")
    return JSONResponse(detail)


def incidents(request: Request) -> JSONResponse:
    page = queries.page_args(request.query_params)
    filters = queries.incident_filters(request.query_params)
    with context(request).store() as store:
        rows = store.incidents(filters, limit=page.limit + 1, offset=page.offset)
    return JSONResponse({**paged(request, rows, page), "filters": filters})


def incident(request: Request) -> JSONResponse:
    incident_id = request.path_params["incident_id"]
    with context(request).store() as store:
        detail = queries.incident_detail(store, incident_id)
    if detail is None:
        raise HTTPException(404, f"no incident {incident_id!r}")
    return JSONResponse(detail)


def entities(request: Request) -> JSONResponse:
    page = queries.page_args(request.query_params, default_limit=100)
    kind = request.query_params.get("type") or None
    with context(request).store() as store:
        rows = store.entities(type=kind, limit=page.limit + page.offset + 1)
    return JSONResponse(paged(request, rows[page.offset :], page))


def entity(request: Request) -> JSONResponse:
    name = request.path_params["name"]
    with context(request).store() as store:
        detail = queries.entity_detail(store, name)
    if detail is None:
        raise HTTPException(404, f"no entity named {name!r}")
    return JSONResponse(detail)


def search(request: Request) -> JSONResponse:
    query = request.query_params.get("q", "").strip()
    if not query:
        raise InputError("give a query: /api/search?q=words")
    page = queries.page_args(request.query_params, default_limit=20)
    with context(request).store() as store:
        hits = store.search(query, limit=page.limit + 1, offset=page.offset)
    return JSONResponse({**paged(request, [to_json(h) for h in hits], page), "q": query})


def indicators(request: Request) -> JSONResponse:
    page = queries.page_args(request.query_params, default_limit=100)
    params = request.query_params
    with context(request).store() as store:
        rows = store.indicators(
            value=params.get("value") or None,
            type=params.get("type") or None,
            limit=page.limit + page.offset + 1,
        )
    items = [queries.indicator_view(r) for r in rows[page.offset :]]
    return JSONResponse(paged(request, items, page))


def feeds(request: Request) -> JSONResponse:
    with context(request).store() as store:
        rows = store.list_feeds()
    return JSONResponse({"items": [to_json(r) for r in rows]})


def watchlists(request: Request) -> JSONResponse:
    with context(request).store() as store:
        rows = store.list_watchlists()
    return JSONResponse({"items": [watchlist_json(r) for r in rows]})


def alerts(request: Request) -> JSONResponse:
    page = queries.page_args(request.query_params)
    with context(request).store() as store:
        rows = store.list_alerts(
            watchlist=request.query_params.get("watchlist") or None, limit=page.limit + 1, offset=page.offset
        )
    return JSONResponse(paged(request, [to_json(r) for r in rows], page))


def openapi(request: Request) -> JSONResponse:
    return JSONResponse(openapi_spec())


# -- writes -----------------------------------------------------------------------------------------------------
async def _body(request: Request) -> dict[str, Any]:
    try:
        data = json.loads(await request.body() or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"the request body is not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise InputError("the request body must be a JSON object")
    return data


async def _authorise(request: Request) -> Context | Response:
    ctx = context(request)
    if not await run_in_threadpool(ctx.authorised, request):
        return error_response(
            401,
            "a bearer token is required: send Authorization: Bearer <token> (THREATLEDGER_API_TOKEN or "
            "`threatledger token create`)",
            {"WWW-Authenticate": 'Bearer realm="threatledger"'},
        )
    return ctx


async def post_ingest(request: Request) -> Response:
    ctx = await _authorise(request)
    if isinstance(ctx, Response):
        return ctx
    body = await _body(request)
    result = await run_in_threadpool(ingest_json, ctx, body)
    failed = result["summary"]["failed"] > 0
    added = result["summary"]["added"] > 0
    return JSONResponse(result, status_code=422 if failed else 201 if added else 200)


async def post_feed(request: Request) -> Response:
    ctx = await _authorise(request)
    if isinstance(ctx, Response):
        return ctx
    body = await _body(request)
    url = body.get("url")
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise InputError('give the feed as {"url": "https://..."}')

    def add() -> bool:
        with ctx.store() as store:
            return store.add_feed(url, ctx.clock().isoformat())

    added = await run_in_threadpool(add)
    return JSONResponse({"url": url, "added": added}, status_code=201 if added else 200)


async def post_watchlist(request: Request) -> Response:
    ctx = await _authorise(request)
    if isinstance(ctx, Response):
        return ctx
    body = await _body(request)
    from threatledger.watch import create_watchlist

    name, filters = body.get("name"), body.get("filters")
    if not isinstance(name, str) or not isinstance(filters, dict):
        raise InputError('give {"name": "...", "filters": {"actor": "..."}, "webhook": url?, "email": addr?}')
    webhook, email = body.get("webhook"), body.get("email")
    if webhook is not None and not isinstance(webhook, str):
        raise InputError("webhook must be a URL string")
    if email is not None and not isinstance(email, str):
        raise InputError("email must be a string")

    def create() -> WatchlistRow | None:
        with ctx.store() as store:
            if store.get_watchlist(name.strip()) is not None:
                return None
            return create_watchlist(store, name, filters, webhook_url=webhook, email=email, clock=ctx.clock)

    row = await run_in_threadpool(create)
    if row is None:
        return error_response(409, f"a watchlist named {name!r} exists already; DELETE it first")
    return JSONResponse(watchlist_json(row, with_secret=True), status_code=201)


async def delete_watchlist(request: Request) -> Response:
    ctx = await _authorise(request)
    if isinstance(ctx, Response):
        return ctx
    key = request.path_params["key"]

    def remove() -> bool:
        with ctx.store() as store:
            return store.remove_watchlist(key)

    if not await run_in_threadpool(remove):
        raise HTTPException(404, f"no watchlist {key!r}")
    return Response(status_code=204)


def api_routes() -> list[BaseRoute]:
    return [
        Route("/openapi.json", openapi, methods=["GET"]),
        Route("/api/documents", documents, methods=["GET"]),
        Route("/api/documents/{doc_id}", document, methods=["GET"]),
        Route("/api/incidents", incidents, methods=["GET"]),
        Route("/api/incidents/{incident_id}", incident, methods=["GET"]),
        Route("/api/entities", entities, methods=["GET"]),
        Route("/api/entities/{name}", entity, methods=["GET"]),
        Route("/api/search", search, methods=["GET"]),
        Route("/api/indicators", indicators, methods=["GET"]),
        Route("/api/feeds", feeds, methods=["GET"]),
        Route("/api/feeds", post_feed, methods=["POST"]),
        Route("/api/watchlists", watchlists, methods=["GET"]),
        Route("/api/watchlists", post_watchlist, methods=["POST"]),
        Route("/api/watchlists/{key}", delete_watchlist, methods=["DELETE"]),
        Route("/api/alerts", alerts, methods=["GET"]),
        Route("/api/ingest", post_ingest, methods=["POST"]),
    ]
