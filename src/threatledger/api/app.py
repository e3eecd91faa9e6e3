"""The HTTP application: the JSON API under /api, the HTML pages, static files, and security headers.

``create_app(settings, store_factory)`` builds it from an explicit route list. Each request opens a store from
``store_factory`` and closes it afterwards, so the app holds no connection between requests. Write endpoints
need a bearer token: ``THREATLEDGER_API_TOKEN`` (or ``api_token``) or one made with ``threatledger token create``.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount
from starlette.staticfiles import StaticFiles

from threatledger.api.auth import TOKEN_ENV, bearer, token_allowed
from threatledger.config import Settings
from threatledger.errors import InputError, StoreError, ThreatledgerError
from threatledger.pipeline import Clock, system_clock
from threatledger.store import SQLiteStore

if TYPE_CHECKING:
    import httpx

    from threatledger.pipeline import Extractors

__all__ = ["CSP", "SECURITY_HEADERS", "Context", "create_app", "error_response"]

log = logging.getLogger(__name__)
StoreFactory = Callable[[], SQLiteStore]
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; object-src 'none'; "
    "base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


@dataclass
class Context:
    """What every endpoint needs; one per app, no module-level state."""

    settings: Settings
    store_factory: StoreFactory
    api_token: str | None = None
    extractors_factory: Callable[[], Extractors] | None = None
    http_client: httpx.Client | None = None
    clock: Clock = system_clock
    _extractors: Extractors | None = None
    _write_lock: threading.Lock = field(default_factory=threading.Lock)

    @contextmanager
    def store(self) -> Iterator[SQLiteStore]:
        store = self.store_factory()
        try:
            yield store
        finally:
            store.close()

    def extractors(self) -> Extractors:
        if self._extractors is None:
            if self.extractors_factory is not None:
                self._extractors = self.extractors_factory()
            else:
                from threatledger.pipeline import Extractors

                self._extractors = Extractors(self.settings)
        return self._extractors

    @contextmanager
    def writing(self) -> Iterator[None]:
        """Ingests run one at a time (the extractors are not shared between threads)."""
        with self._write_lock:
            yield

    def authorised(self, request: Request) -> bool:
        token = bearer(request.headers.get("authorization"))
        with self.store() as store:
            return token_allowed(token, self.api_token, store, self.clock().isoformat())


def context(request: Request) -> Context:
    ctx: Context = request.app.state.ctx
    return ctx


def error_response(status: int, message: str, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": {"status": status, "message": message}}, status_code=status, headers=headers
    )


def _wants_html(request: Request) -> bool:
    return not request.url.path.startswith(("/api/", "/openapi.json", "/taxii2"))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    message = exc.detail if isinstance(exc.detail, str) else "error"
    if _wants_html(request):
        from threatledger.web.pages import error_page

        return error_page(request, exc.status_code, message)
    return error_response(exc.status_code, message, dict(exc.headers or {}))


async def _input_error(request: Request, exc: Exception) -> Response:
    status = 400 if isinstance(exc, InputError) else 500
    if isinstance(exc, StoreError):
        status = 400 if "search" in str(exc) else 500
    if status == 500:
        log.error("request %s failed: %s", request.url.path, exc)
    if _wants_html(request):
        from threatledger.web.pages import error_page

        return error_page(request, status, str(exc))
    return error_response(status, str(exc))


class SecurityHeaders(BaseHTTPMiddleware):
    async def dispatch(
        self, request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        response = await call_next(request)
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if request.url.path.startswith("/api/"):
            response.headers.setdefault("Cache-Control", "no-store")
        return response


def create_app(
    settings: Settings,
    store_factory: StoreFactory | None = None,
    *,
    api_token: str | None = None,
    extractors_factory: Callable[[], Extractors] | None = None,
    http_client: httpx.Client | None = None,
    clock: Clock = system_clock,
    debug: bool = False,
) -> Starlette:
    """The API and web UI over the ledger that ``store_factory`` opens (default: ``settings.db``)."""
    from threatledger.api.routes import api_routes
    from threatledger.taxii import taxii_routes
    from threatledger.web.pages import make_templates, page_routes

    if store_factory is None:
        from threatledger.store import open_store

        def store_factory() -> SQLiteStore:
            return open_store(settings.db)

    ctx = Context(
        settings=settings,
        store_factory=store_factory,
        api_token=api_token or os.environ.get(TOKEN_ENV) or None,
        extractors_factory=extractors_factory,
        http_client=http_client,
        clock=clock,
    )
    static = Path(__file__).resolve().parent.parent / "web" / "static"
    routes: list[BaseRoute] = [
        *api_routes(),
        *taxii_routes(settings, store_factory, api_token=ctx.api_token, clock=clock),
        *page_routes(),
        Mount("/static", app=StaticFiles(directory=static), name="static"),
    ]
    handlers: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
        HTTPException: _http_error,
        ThreatledgerError: _input_error,
    }
    app = Starlette(
        debug=debug,
        routes=routes,
        middleware=[Middleware(SecurityHeaders)],
        exception_handlers=handlers,
    )
    app.state.ctx = ctx
    app.state.templates = make_templates()
    return app
