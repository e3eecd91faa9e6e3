"""The OpenAPI 3.1 description of /api, written by hand so it documents what the endpoints promise."""

from __future__ import annotations

from typing import Any

from threatledger import __version__

__all__ = ["openapi_spec"]

_OBJECT: dict[str, Any] = {"type": "object"}


def _param(
    name: str, where: str = "query", schema: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    return {"name": name, "in": where, "schema": schema or {"type": "string"}, **extra}


def _path_param(name: str) -> dict[str, Any]:
    return _param(name, "path", {"type": "string", "minLength": 1}, required=True)


_PAGE = [
    _param("limit", schema={"type": "integer", "minimum": 1, "maximum": 500}),
    _param("offset", schema={"type": "integer", "minimum": 0, "maximum": 1000000000}),
]
_DATE = {"type": "string", "pattern": r"^\d{4}(-\d{2}(-\d{2})?)?"}
_STANCES = [
    "confirmed",
    "asserted",
    "claimed-responsibility",
    "suspected",
    "disputed",
    "denied",
    "not-attributed",
]


def _json(schema: str | dict[str, Any], description: str = "OK") -> dict[str, Any]:
    ref = {"$ref": f"#/components/schemas/{schema}"} if isinstance(schema, str) else schema
    return {"description": description, "content": {"application/json": {"schema": ref}}}


def _error(description: str) -> dict[str, Any]:
    return _json("Error", description)


def _get(
    summary: str, schema: str, params: list[dict[str, Any]] | None = None, missing: bool = False
) -> dict[str, Any]:
    responses: dict[str, Any] = {"200": _json(schema), "400": _error("bad parameter")}
    if missing:
        responses["404"] = _error("not found")
    return {"get": {"summary": summary, "parameters": params or [], "responses": responses}}


def _write(summary: str, body: dict[str, Any], ok: dict[str, dict[str, Any]]) -> dict[str, Any]:
    return {
        "summary": summary,
        "security": [{"bearer": []}],
        "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
        "responses": {**ok, "400": _error("bad request body"), "401": _error("no or wrong bearer token")},
    }


def _page_of(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items", "limit", "offset", "next"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}},
            "limit": {"type": "integer"},
            "offset": {"type": "integer"},
            "next": {"type": ["string", "null"], "description": "URL of the next page; null on the last"},
        },
    }


def _list_of(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["items"],
        "properties": {"items": {"type": "array", "items": {"$ref": f"#/components/schemas/{item}"}}},
    }


def _schemas() -> dict[str, Any]:
    nullable = {"type": ["string", "null"]}
    return {
        "Error": {
            "type": "object",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["status", "message"],
                    "properties": {"status": {"type": "integer"}, "message": {"type": "string"}},
                }
            },
        },
        "DocumentRow": {
            "type": "object",
            "required": ["id", "sightings"],
            "properties": {
                "id": {"type": "string"},
                "title": {"type": "string"},
                "sightings": {"type": "integer"},
            },
        },
        "DocumentDetail": {
            "type": "object",
            "required": ["document", "sightings", "claims", "indicators", "entities", "vulnerabilities"],
        },
        "IncidentRow": {
            "type": "object",
            "required": ["id", "type", "title", "reports", "claims"],
            "properties": {
                "id": {"type": "string"},
                "type": {"type": "string"},
                "title": {"type": "string"},
                "victim": nullable,
                "country": nullable,
                "sector": nullable,
                "first_reported": nullable,
                "last_reported": nullable,
                "reports": {"type": "integer"},
                "claims": {"type": "integer"},
            },
        },
        "IncidentPage": {
            **_page_of("IncidentRow"),
            "properties": {**_page_of("IncidentRow")["properties"], "filters": _OBJECT},
        },
        "IncidentDetail": {
            "type": "object",
            "required": ["incident", "timeline", "claims_by_stance", "reports", "indicators"],
            "properties": {
                "incident": _OBJECT,
                "timeline": {"type": "array", "items": {"$ref": "#/components/schemas/TimelineEntry"}},
                "claims_by_stance": {
                    "type": "object",
                    "additionalProperties": {
                        "type": "array",
                        "items": {"$ref": "#/components/schemas/Claim"},
                    },
                },
                "reports": {"type": "array", "items": _OBJECT},
                "indicators": {"type": "array", "items": {"$ref": "#/components/schemas/Indicator"}},
                "dwell_days": {"type": ["integer", "null"]},
            },
        },
        "TimelineEntry": {
            "type": "object",
            "required": ["event", "value", "granularity"],
            "properties": {
                "event": {
                    "type": "string",
                    "description": "compromised|discovered|disclosed|reported|report",
                },
                "value": nullable,
                "granularity": nullable,
                "start": nullable,
                "end": nullable,
                "evidence": nullable,
                "doc_id": nullable,
            },
        },
        "Claim": {
            "type": "object",
            "required": ["id", "stance", "actor"],
            "properties": {
                "id": {"type": "string"},
                "stance": {"type": "string", "enum": _STANCES},
                "claimant": nullable,
                "actor": {"type": "string"},
                "evidence": nullable,
                "cites": nullable,
                "doc_id": {"type": "string"},
                "doc_url": nullable,
            },
        },
        "Entity": {"type": "object", "required": ["id", "type", "canonical", "names"]},
        "EntityDetail": {"type": "object", "required": ["name", "entities", "incidents"]},
        "SearchHit": {
            "type": "object",
            "required": ["doc_id", "snippet", "rank"],
            "properties": {
                "doc_id": {"type": "string"},
                "snippet": {"type": "string"},
                "rank": {"type": "number"},
            },
        },
        "SearchPage": {
            **_page_of("SearchHit"),
            "properties": {**_page_of("SearchHit")["properties"], "q": {"type": "string"}},
        },
        "Indicator": {
            "type": "object",
            "required": ["type", "value", "defanged"],
            "properties": {
                "type": {"type": "string"},
                "value": {"type": "string", "description": "refanged value"},
                "defanged": {"type": "string", "description": "safe display form"},
            },
        },
        "Feed": {"type": "object", "required": ["url", "added", "items"]},
        "Watchlist": {
            "type": "object",
            "required": ["id", "name", "filters", "created"],
            "properties": {
                "id": {"type": "string"},
                "name": {"type": "string"},
                "filters": {"type": "object", "additionalProperties": {"type": "string"}},
                "webhook_url": {"type": "string"},
                "webhook_secret": {"type": "string", "description": "returned once, when created"},
                "email": {"type": "string"},
            },
        },
        "Alert": {"type": "object", "required": ["id", "watchlist", "object_type", "object_id", "created"]},
        "IngestReport": {
            "type": "object",
            "required": ["summary", "outcomes", "alerts"],
            "properties": {
                "summary": {"type": "object", "additionalProperties": {"type": "integer"}},
                "outcomes": {"type": "array", "items": _OBJECT},
                "alerts": {"type": "array", "items": {"type": "string"}},
            },
        },
    }


def openapi_spec() -> dict[str, Any]:
    """The description served at /openapi.json."""
    incident_filters = [
        _param("country", description="ISO 3166 alpha-2 code of the victim's country"),
        _param("sector"),
        _param("actor", description="actor named in any claim (canonical or as written)"),
        _param("type", description="incident type, e.g. ransomware"),
        _param("since", schema=_DATE),
        _param("until", schema=_DATE),
        _param("stance", schema={"type": "string", "enum": _STANCES}),
    ]
    watch_body = {
        "type": "object",
        "required": ["name", "filters"],
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "filters": {
                "type": "object",
                "minProperties": 1,
                "additionalProperties": False,
                "properties": {
                    k: {"type": "string", "minLength": 1}
                    for k in ("actor", "country", "sector", "type", "cve", "keyword")
                }
                | {"stance": {"type": "string", "enum": _STANCES}},
            },
            "webhook": {"type": "string", "format": "uri"},
            "email": {"type": "string", "format": "email"},
        },
    }
    ingest_body = {
        "oneOf": [
            {
                "type": "object",
                "required": ["url"],
                "properties": {"url": {"type": "string", "format": "uri"}},
            },
            {
                "type": "object",
                "required": ["title", "text"],
                "properties": {
                    "title": {"type": "string", "minLength": 1},
                    "text": {"type": "string", "minLength": 1},
                    "url": {"type": "string", "format": "uri"},
                    "published": {"type": "string", "format": "date"},
                },
            },
        ]
    }
    paths: dict[str, Any] = {
        "/api/documents": _get(
            "Documents, newest first", "DocumentPage", [*_PAGE, _param("since", schema=_DATE)]
        ),
        "/api/documents/{doc_id}": _get(
            "One document with its findings", "DocumentDetail", [_path_param("doc_id")], True
        ),
        "/api/incidents": _get("Incidents, filtered", "IncidentPage", [*incident_filters, *_PAGE]),
        "/api/incidents/{incident_id}": _get(
            "An incident: timeline, claims grouped by stance, reports",
            "IncidentDetail",
            [_path_param("incident_id")],
            True,
        ),
        "/api/entities": _get("Entities by number of documents", "EntityPage", [_param("type"), *_PAGE]),
        "/api/entities/{name}": _get(
            "An entity by any of its names", "EntityDetail", [_path_param("name")], True
        ),
        "/api/search": _get(
            "Full-text search with snippets",
            "SearchPage",
            [_param("q", required=True, schema={"type": "string", "minLength": 1}), *_PAGE],
        ),
        "/api/indicators": _get(
            "Indicators, refanged and defanged", "IndicatorPage", [_param("value"), _param("type"), *_PAGE]
        ),
        "/api/feeds": {
            **_get("Subscribed feeds", "FeedList"),
            "post": _write(
                "Subscribe to a feed",
                {
                    "type": "object",
                    "required": ["url"],
                    "properties": {"url": {"type": "string", "format": "uri"}},
                },
                {"200": _json(_OBJECT, "already subscribed"), "201": _json(_OBJECT, "subscribed")},
            ),
        },
        "/api/watchlists": {
            **_get("Watchlists (secrets left out)", "WatchlistList"),
            "post": _write(
                "Save a watchlist",
                watch_body,
                {"201": _json("Watchlist", "created"), "409": _error("the name is taken")},
            ),
        },
        "/api/watchlists/{key}": {
            "delete": {
                "summary": "Remove a watchlist (by id or name) and its alerts",
                "security": [{"bearer": []}],
                "parameters": [_path_param("key")],
                "responses": {
                    "204": {"description": "removed"},
                    "401": _error("no or wrong bearer token"),
                    "404": _error("no such watchlist"),
                },
            }
        },
        "/api/alerts": _get("Alerts, newest first", "AlertPage", [_param("watchlist"), *_PAGE]),
        "/api/ingest": {
            "post": _write(
                "Ingest a URL or a pasted article, then evaluate the watchlists",
                ingest_body,
                {
                    "200": _json("IngestReport", "already in the ledger"),
                    "201": _json("IngestReport", "added"),
                    "422": _json("IngestReport", "the item failed"),
                },
            )
        },
    }
    schemas = _schemas()
    for name, item in (
        ("DocumentPage", "DocumentRow"),
        ("EntityPage", "Entity"),
        ("IndicatorPage", "Indicator"),
        ("AlertPage", "Alert"),
    ):
        schemas[name] = _page_of(item)
    for name, item in (("FeedList", "Feed"), ("WatchlistList", "Watchlist")):
        schemas[name] = _list_of(item)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "threatledger",
            "version": __version__,
            "description": "A source-attributed knowledge base of cyber incidents. Every HTML page has a JSON twin here.",
        },
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }
