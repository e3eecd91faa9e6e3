"""How the exports describe a CVE id's affected product: one place for STIX and MISP."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from threatledger.extract.vulnerabilities import stored_product_and_vendor

__all__ = ["affected"]


def affected(vulnerabilities: Sequence[dict[str, Any]], cve: str) -> str | None:
    """The affected product of ``cve`` as the exports write it ("FortiOS (Fortinet)"), from an extraction's
    ``vulnerabilities``; None when it names no product or vendor."""
    for v in vulnerabilities:
        if str(v.get("id", "")).upper() != cve.upper():
            continue
        product, vendor = stored_product_and_vendor(v)
        if product and vendor and not product.startswith(vendor):
            return f"{product} ({vendor})"
        return product or vendor or None
    return None
