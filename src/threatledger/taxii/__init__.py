"""A TAXII 2.1 server over the ledger: ``taxii_routes(settings, store_factory)`` gives the routes to mount.

from threatledger.taxii import taxii_routes
routes = [*api_routes(), *taxii_routes(settings, store_factory), ...]
"""

from __future__ import annotations

from threatledger.taxii.routes import taxii_routes

__all__ = ["taxii_routes"]
