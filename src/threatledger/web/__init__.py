"""Server-rendered HTML pages over the ledger (mounted by :func:`threatledger.api.create_app`)."""

from __future__ import annotations

from threatledger.web.pages import make_templates, page_routes
from threatledger.web.timeline import timeline_svg

__all__ = ["make_templates", "page_routes", "timeline_svg"]
