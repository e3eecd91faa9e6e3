"""Server-rendered HTML pages; each shows the same data as its JSON twin under /api and links to it.

Templates autoescape everything; the only markup built in Python is the timeline SVG (escaped there) and search
snippet highlighting (escaped before the <mark> tags are added). No inline script or style anywhere, so the
Content-Security-Policy can forbid both.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import jinja2
from markupsafe import Markup, escape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Route
from starlette.templating import Jinja2Templates

from threatledger.api import queries
from threatledger.api.app import context
from threatledger.api.routes import watchlist_json
from threatledger.errors import ThreatledgerError
from threatledger.model import to_json
from threatledger.web.timeline import timeline_svg

__all__ = ["error_page", "make_templates", "page_routes"]

_SNIPPET_MARK = re.compile(r"\[([^\[\]]{1,200})\]")
_SAFE_SCHEMES = ("http://", "https://")


def _highlight(snippet: str) -> Markup:
    escaped = str(escape(snippet))
    return Markup(_SNIPPET_MARK.sub(r"<mark>\1</mark>", escaped))


def _safe_url(url: str | None) -> str | None:
    """Only http(s) links are rendered as links (no javascript: or data: URLs from an article)."""
    return url if url and url.lower().startswith(_SAFE_SCHEMES) else None


def _path(value: str) -> str:
    return quote(value, safe="")


def make_templates() -> Jinja2Templates:
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(Path(__file__).resolve().parent / "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["highlight"] = _highlight
    env.filters["safe_url"] = _safe_url
    env.filters["path"] = _path
    env.globals["stances"] = queries.STANCE_ORDER
    return Jinja2Templates(env=env)


def _render(request: Request, name: str, json_url: str, status: int = 200, **values: Any) -> HTMLResponse:
    templates: Jinja2Templates = request.app.state.templates
    response = templates.TemplateResponse(
        request, name, {"json_url": json_url, "path": request.url.path, **values}, status_code=status
    )
    assert isinstance(response, HTMLResponse)
    return response


def error_page(request: Request, status: int, message: str) -> Response:
    return _render(request, "error.html", "", status=status, status_code=status, message=message)


def _api(path: str, params: dict[str, Any] | None = None) -> str:
    query = urlencode({k: v for k, v in (params or {}).items() if v not in (None, "")})
    return f"{path}?{query}" if query else path


def _pager(request: Request, page: queries.Page, count: int) -> dict[str, str | None]:
    prev_offset = max(page.offset - page.limit, 0)
    return {
        "next": str(request.url.include_query_params(offset=page.offset + page.limit))
        if count > page.limit
        else None,
        "prev": str(request.url.include_query_params(offset=prev_offset)) if page.offset > 0 else None,
    }


def home(request: Request) -> Response:
    return RedirectResponse("/incidents", status_code=307)


def incidents(request: Request) -> Response:
    params = request.query_params
    page = queries.page_args(params)
    try:
        filters = queries.incident_filters(params)
        error = None
    except ThreatledgerError as exc:
        filters, error = {}, str(exc)
    with context(request).store() as store:
        rows = store.incidents(filters, limit=page.limit + 1, offset=page.offset) if error is None else []
    return _render(
        request,
        "incidents.html",
        _api("/api/incidents", {**filters, "limit": params.get("limit"), "offset": page.offset or None}),
        status=400 if error else 200,
        incidents=rows[: page.limit],
        filters=filters,
        error=error,
        pager=_pager(request, page, len(rows)),
    )


def incident(request: Request) -> Response:
    incident_id = request.path_params["incident_id"]
    with context(request).store() as store:
        detail = queries.incident_detail(store, incident_id)
    if detail is None:
        raise HTTPException(404, f"no incident {incident_id!r}")
    return _render(
        request,
        "incident.html",
        f"/api/incidents/{_path(incident_id)}",
        d=detail,
        svg=timeline_svg(detail["timeline"], detail["dwell_days"]),
    )


def document(request: Request) -> Response:
    doc_id = request.path_params["doc_id"]
    with context(request).store() as store:
        detail = queries.document_detail(store, doc_id)
    if detail is None:
        raise HTTPException(404, f"no document {doc_id!r}")
    return _render(request, "document.html", f"/api/documents/{_path(doc_id)}", d=detail)


def entities(request: Request) -> Response:
    kind = request.query_params.get("type") or None
    with context(request).store() as store:
        rows = store.entities(type=kind, limit=200)
    return _render(request, "entities.html", _api("/api/entities", {"type": kind}), entities=rows, kind=kind)


def entity(request: Request) -> Response:
    name = request.path_params["name"]
    with context(request).store() as store:
        detail = queries.entity_detail(store, name)
    if detail is None:
        raise HTTPException(404, f"no entity named {name!r}")
    return _render(request, "entity.html", f"/api/entities/{_path(name)}", d=detail)


def search(request: Request) -> Response:
    q = request.query_params.get("q", "").strip()
    page = queries.page_args(request.query_params, default_limit=20)
    hits: list[Any] = []
    error = None
    if q:
        try:
            with context(request).store() as store:
                hits = [to_json(h) for h in store.search(q, limit=page.limit + 1, offset=page.offset)]
        except ThreatledgerError as exc:
            error = str(exc)
    return _render(
        request,
        "search.html",
        _api("/api/search", {"q": q}) if q else "/api/search?q=",
        q=q,
        hits=hits[: page.limit],
        error=error,
        pager=_pager(request, page, len(hits)),
    )


def indicators(request: Request) -> Response:
    kind = request.query_params.get("type") or None
    with context(request).store() as store:
        rows = [queries.indicator_view(r) for r in store.indicators(type=kind, limit=500)]
    return _render(request, "indicators.html", _api("/api/indicators", {"type": kind}), indicators=rows)


def feeds(request: Request) -> Response:
    with context(request).store() as store:
        rows = [to_json(r) for r in store.list_feeds()]
    return _render(request, "feeds.html", "/api/feeds", feeds=rows)


def watchlists(request: Request) -> Response:
    with context(request).store() as store:
        rows = [watchlist_json(r) for r in store.list_watchlists()]
    return _render(request, "watchlists.html", "/api/watchlists", watchlists=rows)


def alerts(request: Request) -> Response:
    page = queries.page_args(request.query_params)
    watchlist = request.query_params.get("watchlist") or None
    with context(request).store() as store:
        rows = [
            to_json(r)
            for r in store.list_alerts(watchlist=watchlist, limit=page.limit + 1, offset=page.offset)
        ]
    return _render(
        request,
        "alerts.html",
        _api("/api/alerts", {"watchlist": watchlist}),
        alerts=rows[: page.limit],
        pager=_pager(request, page, len(rows)),
    )


def page_routes() -> list[BaseRoute]:
    return [
        Route("/", home, methods=["GET"]),
        Route("/incidents", incidents, methods=["GET"]),
        Route("/incidents/{incident_id}", incident, methods=["GET"]),
        Route("/documents/{doc_id}", document, methods=["GET"]),
        Route("/entities", entities, methods=["GET"]),
        Route("/entities/{name}", entity, methods=["GET"]),
        Route("/search", search, methods=["GET"]),
        Route("/indicators", indicators, methods=["GET"]),
        Route("/feeds", feeds, methods=["GET"]),
        Route("/watchlists", watchlists, methods=["GET"]),
        Route("/alerts", alerts, methods=["GET"]),
    ]
