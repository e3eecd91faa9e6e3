"""Benign-indicator check over the MISP warning lists that pymispwarninglists ships.

    checker = BenignChecker()                       # reads nothing yet
    checker.check("8.8.8.8", "ipv4")               # -> "public-dns-v4"
    checker.check("192.0.2.10", "ipv4")            # -> "rfc5737" (documentation range, built in)
    checker.check("docs.microsoft.com", "domain")  # -> "microsoft"
    checker.check("d41d8cd98f00b204e9800998ecf8427e", "md5")  # -> "empty-hashes"

``check`` returns the key of the first warning list that matched (the list's folder name, or ``rfc5737`` /
``rfc3849`` / ``rfc2606`` for the built-in documentation ranges), or None. Lists are read on the first check of
each kind and kept as sets and networks, so later checks are dictionary probes. Only lists that mean "seen
everywhere, not an indicator" are used: URL shorteners and dynamic-DNS providers are left out on purpose, as
attackers use them.
"""

from __future__ import annotations

import ipaddress
import json
import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from threatledger.errors import KnowledgeError

__all__ = ["DOMAIN_LISTS", "HASH_LISTS", "IP_LISTS", "BenignChecker"]

log = logging.getLogger(__name__)

IP_LISTS = ("rfc1918", "rfc5735", "rfc6598", "rfc3849", "multicast", "ipv6-linklocal", "public-dns-v4",
            "public-dns-v6", "sinkholes")  # fmt: skip
DOMAIN_LISTS = ("rfc6761", "tranco10k", "alexa", "cisco_top1000", "moz-top500", "microsoft", "google", "apple",
                "security-provider-blogpost", "public-dns-hostname")  # fmt: skip
HASH_LISTS = ("empty-hashes", "common-ioc-false-positive", "nioc-filehash")
_BUILTIN_NETWORKS = {
    "rfc5737": ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"),
    "rfc3849": ("2001:db8::/32",),
}
_BUILTIN_DOMAINS = {"rfc2606": ("example.com", "example.net", "example.org", "example", "test", "invalid",
                                "localhost")}  # fmt: skip
_KINDS = {"ipv4": "ip", "ipv6": "ip", "ip": "ip", "ip-src": "ip", "ip-dst": "ip", "domain": "domain",
          "hostname": "domain", "url": "url", "uri": "url", "email": "email", "md5": "hash", "sha1": "hash",
          "sha256": "hash", "sha512": "hash", "hash": "hash"}  # fmt: skip

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(slots=True)
class _IpTable:
    exact: dict[str, str] = field(default_factory=dict)  # normalised address -> list
    networks: list[tuple[Network, str]] = field(default_factory=list)


class BenignChecker:
    """Lazy, read-only after load; share one per process."""

    def __init__(self, lists_dir: Path | None = None) -> None:
        self._dir = lists_dir
        self._ips: _IpTable | None = None
        self._domains: dict[str, str] | None = None
        self._hashes: dict[str, str] | None = None

    def check(self, value: str, type: str) -> str | None:
        """The key of the warning list ``value`` is on, or None. ``type``: ipv4, ipv6, domain, url, email, md5..."""
        kind = _KINDS.get(type.lower())
        if kind is None:
            return None
        value = value.strip()
        if kind == "ip":
            return self._check_ip(value)
        if kind == "domain":
            return self._check_domain(value)
        if kind == "url":
            host = urlsplit(value if "://" in value else f"http://{value}").hostname or ""
            return self._check_ip(host) if _is_ip(host) else self._check_domain(host)
        if kind == "email":
            return self._check_domain(value.rpartition("@")[2])
        return self._hash_table().get(value.lower())

    # -- ip ------------------------------------------------------------------------------------------------
    def _check_ip(self, value: str) -> str | None:
        try:
            address = ipaddress.ip_address(value.strip("[]"))
        except ValueError:
            return None
        table = self._ip_table()
        hit = table.exact.get(str(address))
        if hit:
            return hit
        for network, name in table.networks:
            if address.version == network.version and address in network:
                return name
        return None

    def _ip_table(self) -> _IpTable:
        if self._ips is None:
            table = _IpTable()
            for name, cidrs in _BUILTIN_NETWORKS.items():
                table.networks.extend((ipaddress.ip_network(c), name) for c in cidrs)
            for name in IP_LISTS:
                for raw in self._read(name):
                    try:
                        network = ipaddress.ip_network(raw.strip(), strict=False)
                    except ValueError:
                        continue
                    if network.num_addresses == 1:
                        table.exact.setdefault(str(network.network_address), name)
                    else:
                        table.networks.append((network, name))
            self._ips = table
        return self._ips

    # -- domains -------------------------------------------------------------------------------------------
    def _check_domain(self, value: str) -> str | None:
        host = value.lower().strip().rstrip(".")
        if not host:
            return None
        table = self._domain_table()
        labels = host.split(".")
        for i in range(len(labels)):  # the host itself, then each parent domain
            hit = table.get(".".join(labels[i:]))
            if hit:
                return hit
        return None

    def _domain_table(self) -> dict[str, str]:
        if self._domains is None:
            table: dict[str, str] = {}
            for name, domains in _BUILTIN_DOMAINS.items():
                for domain in domains:
                    table.setdefault(domain, name)
            for name in DOMAIN_LISTS:
                for raw in self._read(name):
                    domain = raw.strip().lower().lstrip("*").lstrip(".").rstrip(".")
                    if (domain and "." in domain) or domain in {"local", "localhost", "invalid", "test"}:
                        table.setdefault(domain, name)
            self._domains = table
        return self._domains

    # -- hashes --------------------------------------------------------------------------------------------
    def _hash_table(self) -> dict[str, str]:
        if self._hashes is None:
            table: dict[str, str] = {}
            for name in HASH_LISTS:
                for raw in self._read(name):
                    table.setdefault(raw.strip().lower(), name)
            self._hashes = table
        return self._hashes

    # -- files ---------------------------------------------------------------------------------------------
    def _lists_dir(self) -> Path:
        if self._dir is None:
            import pymispwarninglists

            self._dir = (
                Path(pymispwarninglists.__file__).resolve().parent / "data" / "misp-warninglists" / "lists"
            )
        return self._dir

    def _read(self, name: str) -> list[str]:
        path = self._lists_dir() / name / "list.json"
        if not path.is_file():
            log.debug("warning list %s absent from %s", name, path.parent.parent)
            return []
        try:
            data: Any = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise KnowledgeError(
                f"cannot read warning list: {exc}; reinstall pymispwarninglists", locator=str(path)
            ) from exc
        values = data.get("list") if isinstance(data, dict) else None
        return [v for v in values if isinstance(v, str)] if isinstance(values, list) else []


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True
