"""Ledger indicators as STIX cyber-observables and patterns.

Benign values (those the extractor matched against a warning list: popular domains, vendor sites, sinkholes) get
no STIX object at all. A STIX ``indicator`` says "this pattern detects malicious activity", and the consumers this
export feeds (OpenCTI, MISP, SIEM rules made from TAXII collections) turn indicators, and often bare observables,
into detections; STIX has no marker that reliably stops that. The MISP export keeps them, with ``to_ids`` off,
because MISP has that marker. CVEs become ``vulnerability`` objects, not indicators (see the STIX exporter).
"""

from __future__ import annotations

from dataclasses import dataclass

from stix2.v21 import (
    URL,
    DomainName,
    EmailAddress,
    File,
    IPv4Address,
    IPv6Address,
)
from stix2.v21.base import _Observable

__all__ = ["IndicatorShape", "indicator_shape"]

_HASHES = {"md5": "MD5", "sha1": "SHA-1", "sha256": "SHA-256", "sha512": "SHA-512"}


@dataclass(frozen=True, slots=True)
class IndicatorShape:
    """What one ledger indicator becomes: an observable and the STIX pattern that matches it."""

    observable: _Observable
    pattern: str


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def indicator_shape(type_: str, value: str) -> IndicatorShape | None:
    """The observable and pattern for a ledger indicator; None for types STIX has no core observable for
    (``btc``) and for ``cve`` (exported as a vulnerability)."""
    observable: _Observable
    if type_ == "ipv4":
        observable, path = IPv4Address(value=value), "ipv4-addr:value"
    elif type_ == "ipv6":
        observable, path = IPv6Address(value=value), "ipv6-addr:value"
    elif type_ == "domain":
        observable, path = DomainName(value=value), "domain-name:value"
    elif type_ == "url":
        observable, path = URL(value=value), "url:value"
    elif type_ == "email":
        observable, path = EmailAddress(value=value), "email-addr:value"
    elif type_ == "filename":
        observable, path = File(name=value), "file:name"
    elif type_ in _HASHES:
        algorithm = _HASHES[type_]
        observable = File(hashes={algorithm: value.lower()})
        path = f"file:hashes.'{algorithm}'" if "-" in algorithm else f"file:hashes.{algorithm}"
        value = value.lower()
    else:
        return None
    return IndicatorShape(observable, f"[{path} = {_quote(value)}]")
