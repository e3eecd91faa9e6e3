"""TAXII 2.1 endpoints over the ledger: discovery, one API root, three read-only collections.

    GET  /taxii2/                                               discovery
    GET  /taxii2/api/                                           API root
    GET  /taxii2/api/collections/                               the collections
    GET  /taxii2/api/collections/{id}/                          one collection (its id, or its alias)
    GET  /taxii2/api/collections/{id}/objects/                  envelope; added_after, limit, next, match[...]
    GET  /taxii2/api/collections/{id}/manifest/                 the same, as manifest entries
    GET  /taxii2/api/collections/{id}/objects/{object_id}/      one object
    GET  /taxii2/api/collections/{id}/objects/{object_id}/versions/
    POST /taxii2/api/collections/{id}/objects/                  415 for a wrong Content-Type, else 403 (read-only)

Every request needs a token, sent as ``Authorization: Bearer <token>`` (or ``Token <token>``), or as the password
of HTTP basic auth with any user name: ``THREATLEDGER_API_TOKEN`` or a token made with ``threatledger token
create`` (the API's tokens). Responses are ``application/taxii+json;version=2.1``; a request whose Accept header
admits no TAXII 2.1 media type gets 406.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from threatledger.config import Settings
from threatledger.store import SQLiteStore
from threatledger.taxii.collections import (
    COLLECTIONS,
    TAXII_MEDIA_TYPE,
    Collection,
    Entry,
    ObjectSource,
    Query,
    encode_next,
    select,
)

__all__ = ["TOKEN_ENV", "taxii_routes"]

log = logging.getLogger(__name__)
TOKEN_ENV = "THREATLEDGER_API_TOKEN"
MAX_PAGE = 1000
_REALM = 'Basic realm="threatledger TAXII", Bearer realm="threatledger TAXII"'


class TaxiiResponse(JSONResponse):
    media_type = TAXII_MEDIA_TYPE


def _error(status: int, title: str, description: str = "", headers: dict[str, str] | None = None) -> Response:
    body = {"title": title, "http_status": str(status)}
    if description:
        body["description"] = description
    return TaxiiResponse(body, status_code=status, headers=headers)


def _credential(header: str | None) -> str | None:
    """The token of a Bearer/Token header, or the password of a Basic one."""
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    value = value.strip()
    if scheme.lower() in {"bearer", "token"}:
        return value or None
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(value, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
        _, sep, password = decoded.partition(":")
        return password if sep and password else None
    return None


def _acceptable(header: str | None) -> bool:
    """Whether an Accept header admits TAXII 2.1 (a missing header and wildcards do)."""
    if not header or not header.strip():
        return True
    for part in header.split(","):
        media, *params = (p.strip() for p in part.split(";"))
        options = {k.strip().lower(): v.strip() for k, _, v in (p.partition("=") for p in params)}
        if options.get("q") in {"0", "0.0", "0.00", "0.000"}:
            continue
        media = media.lower()
        if media in {"*/*", "application/*"}:
            return True
        if media == "application/taxii+json" and options.get("version", "2.1") == "2.1":
            return True
    return False


@dataclass
class _Server:
    settings: Settings
    store_factory: Callable[[], SQLiteStore]
    api_token: str | None
    clock: Callable[[], dt.datetime]
    source: ObjectSource

    @contextmanager
    def store(self) -> Iterator[SQLiteStore]:
        store = self.store_factory()
        try:
            yield store
        finally:
            store.close()

    def allowed(self, request: Request, store: SQLiteStore) -> bool:
        token = _credential(request.headers.get("authorization"))
        if not token:
            return False
        if self.api_token and hmac.compare_digest(token.encode("utf-8"), self.api_token.encode("utf-8")):
            return True
        digest = hashlib.sha256(token.encode("utf-8")).hexdigest()
        return store.token_known(digest, self.clock().isoformat())

    def guard(self, request: Request, store: SQLiteStore) -> Response | None:
        if not self.allowed(request, store):
            return _error(
                401,
                "Unauthorized",
                "send a token as Bearer or as the basic-auth password",
                {"WWW-Authenticate": _REALM},
            )
        if not _acceptable(request.headers.get("accept")):
            return _error(406, "Not Acceptable", f"this server speaks {TAXII_MEDIA_TYPE}")
        return None


def _root(request: Request) -> str:
    return str(request.base_url).rstrip("/") + "/taxii2/api/"


def _collection(request: Request) -> Collection | None:
    key = request.path_params["collection"]
    return next((c for c in COLLECTIONS if key in {c.id, c.alias}), None)


def _page_headers(page: list[Entry]) -> dict[str, str]:
    if not page:
        return {}
    return {"X-TAXII-Date-Added-First": page[0].date_added, "X-TAXII-Date-Added-Last": page[-1].date_added}


def _params(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items()}


def taxii_routes(
    settings: Settings,
    store_factory: Callable[[], SQLiteStore],
    *,
    api_token: str | None = None,
    clock: Callable[[], dt.datetime] | None = None,
) -> list[Route]:
    """The TAXII 2.1 routes, to add to an app's route list (they all live under ``/taxii2/``).

    ``api_token`` defaults to ``THREATLEDGER_API_TOKEN``; tokens stored in the ledger are accepted too.
    """
    server = _Server(
        settings=settings,
        store_factory=store_factory,
        api_token=api_token or os.environ.get(TOKEN_ENV) or None,
        clock=clock or (lambda: dt.datetime.now(dt.UTC)),
        source=ObjectSource(store_factory),
    )

    def discovery(request: Request) -> Response:
        with server.store() as store:
            if (denied := server.guard(request, store)) is not None:
                return denied
        root = _root(request)
        return TaxiiResponse(
            {
                "title": "threatledger",
                "description": "Cyber incidents, attribution claims and indicators from news and threat reports.",
                "default": root,
                "api_roots": [root],
            }
        )

    def api_root(request: Request) -> Response:
        with server.store() as store:
            if (denied := server.guard(request, store)) is not None:
                return denied
        return TaxiiResponse(
            {
                "title": "threatledger",
                "description": "The ledger as STIX 2.1: read-only collections.",
                "versions": [TAXII_MEDIA_TYPE],
                "max_content_length": 0,
            }
        )

    def collections(request: Request) -> Response:
        with server.store() as store:
            if (denied := server.guard(request, store)) is not None:
                return denied
        return TaxiiResponse({"collections": [c.resource() for c in COLLECTIONS]})

    def collection(request: Request) -> Response:
        with server.store() as store:
            if (denied := server.guard(request, store)) is not None:
                return denied
        found = _collection(request)
        if found is None:
            return _error(404, "Not Found", "no such collection")
        return TaxiiResponse(found.resource())

    def _entries(
        request: Request, extra: dict[str, str] | None = None
    ) -> tuple[list[Entry], bool] | Response:
        with server.store() as store:
            if (denied := server.guard(request, store)) is not None:
                return denied
            found = _collection(request)
            if found is None:
                return _error(404, "Not Found", "no such collection")
            try:
                query = Query.parse({**_params(request), **(extra or {})}, MAX_PAGE)
            except ValueError as exc:
                return _error(400, "Bad Request", str(exc))
            entries = server.source.entries(store, found)
        return select(entries, query)

    def _envelope(page: list[Entry], more: bool, key: str, item: Callable[[Entry], Any]) -> Response:
        if not page:
            return TaxiiResponse({})
        body: dict[str, Any] = {"more": more, key: [item(e) for e in page]}
        if more:
            body["next"] = encode_next(page[-1])
        return TaxiiResponse(body, headers=_page_headers(page))

    def objects(request: Request) -> Response:
        result = _entries(request)
        if isinstance(result, Response):
            return result
        return _envelope(*result, "objects", lambda e: e.obj)

    def manifest(request: Request) -> Response:
        result = _entries(request)
        if isinstance(result, Response):
            return result
        return _envelope(*result, "objects", lambda e: e.manifest())

    def one_object(request: Request) -> Response:
        result = _entries(request, {"match[id]": request.path_params["object_id"]})
        if isinstance(result, Response):
            return result
        page, more = result
        if not page and not request.query_params:
            return _error(404, "Not Found", "no such object in this collection")
        return _envelope(page, more, "objects", lambda e: e.obj)

    def versions(request: Request) -> Response:
        result = _entries(request, {"match[id]": request.path_params["object_id"], "match[version]": "all"})
        if isinstance(result, Response):
            return result
        page, more = result
        if not page:
            return _error(404, "Not Found", "no such object in this collection")
        return TaxiiResponse(
            {"more": more, "versions": [e.version for e in page]}, headers=_page_headers(page)
        )

    async def add_objects(request: Request) -> Response:
        with server.store() as store:
            if (denied := server.guard(request, store)) is not None:
                return denied
        if _collection(request) is None:
            return _error(404, "Not Found", "no such collection")
        content_type = (request.headers.get("content-type") or "").replace(" ", "").lower()
        if content_type != TAXII_MEDIA_TYPE:
            return _error(415, "Unsupported Media Type", f"send {TAXII_MEDIA_TYPE}")
        return _error(403, "Forbidden", "the collections of this server are read-only")

    base = "/taxii2/api/collections/{collection}"
    return [
        Route("/taxii2/", discovery, methods=["GET"], name="taxii-discovery"),
        Route("/taxii2/api/", api_root, methods=["GET"], name="taxii-api-root"),
        Route("/taxii2/api/collections/", collections, methods=["GET"], name="taxii-collections"),
        Route(base + "/", collection, methods=["GET"], name="taxii-collection"),
        Route(base + "/objects/", objects, methods=["GET"], name="taxii-objects"),
        Route(base + "/objects/", add_objects, methods=["POST"], name="taxii-add-objects"),
        Route(base + "/manifest/", manifest, methods=["GET"], name="taxii-manifest"),
        Route(base + "/objects/{object_id}/", one_object, methods=["GET"], name="taxii-object"),
        Route(base + "/objects/{object_id}/versions/", versions, methods=["GET"], name="taxii-versions"),
    ]
