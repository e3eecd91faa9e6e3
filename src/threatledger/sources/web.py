"""Fetching web pages safely: size cap, timeouts, checked redirects, content types, and an SSRF guard.

Every hop of a redirect chain is checked before it is requested: only http and https, and the host must resolve
to public addresses only (no loopback, private, link-local such as 169.254.169.254, reserved, multicast or
unspecified addresses, IPv6 and IPv4-mapped/NAT64/6to4 forms included) unless ``Settings.allow_private`` is set.
After connecting, the address actually reached is checked again, so a DNS answer that changes between the check
and the connection (DNS rebinding) still cannot reach a private address. Clients made by :func:`make_client` ignore
proxy environment variables for the same reason: the guard must see the real peer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import logging
import socket
import threading
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from threatledger.config import Settings
from threatledger.errors import SourceError, UnsafeURLError
from threatledger.model import RawItem

__all__ = [
    "ARTICLE_TYPES",
    "Fetched",
    "check_address",
    "check_url",
    "fetch",
    "fetch_url",
    "make_client",
]

log = logging.getLogger(__name__)

ARTICLE_TYPES = frozenset(
    {
        "text/html",
        "application/xhtml+xml",
        "application/xml",
        "text/xml",
        "application/rss+xml",
        "application/atom+xml",
        "application/pdf",
        "text/plain",
    }
)
_ACCEPT = (
    "text/html,application/xhtml+xml,application/xml;q=0.9,application/pdf;q=0.9,text/plain;q=0.8,*/*;q=0.1"
)
_REDIRECTS = {301, 302, 303, 307, 308}
# A body that trickles in a byte at a time never trips the per-read timeout; this bounds the whole download.
TOTAL_TIMEOUT_FACTOR = 3.0
_NAT64 = ipaddress.ip_network("64:ff9b::/96")

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True, slots=True)
class Fetched:
    """One HTTP response body, after redirects."""

    url: str  # final URL
    status: int
    content: bytes
    content_type: str | None = None  # the Content-Type header as sent (charset parameter included)
    etag: str | None = None
    last_modified: str | None = None


def make_client(settings: Settings) -> httpx.Client:
    """An httpx client for :func:`fetch_url` and ``poll_feed``: redirects off (they are checked per hop here).

    Connections are not kept alive: every request opens its own, so the :class:`_Deadline` of each fetch can
    always cut it (a reused connection would escape it).
    """
    return httpx.Client(
        headers={"User-Agent": settings.user_agent, "Accept": _ACCEPT},
        timeout=httpx.Timeout(settings.timeout_s),
        follow_redirects=False,
        trust_env=False,
        limits=httpx.Limits(max_keepalive_connections=0),
    )


class _Deadline:
    """Shuts a fetch's socket down when the whole exchange overruns its deadline.

    httpx times out each read, not the response: a server that sends its status line and then a header byte
    every second (slow loris) would hold a fetch open for hours. The socket is caught through httpx's ``trace``
    extension when the connection is opened, and a timer shuts it down at the deadline, which ends the blocked
    read with an error.
    """

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.expired = False
        self._timers: list[threading.Timer] = []

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        if event != "connection.connect_tcp.complete":
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if sock is None:
            return
        timer = threading.Timer(max(0.0, self.deadline - time.monotonic()), self._cut, (sock,))
        timer.daemon = True
        timer.start()
        self._timers.append(timer)

    def _cut(self, sock: socket.socket) -> None:
        self.expired = True
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def cancel(self) -> None:
        for timer in self._timers:
            timer.cancel()


def _embedded(ip: IPAddress) -> list[IPAddress]:
    """The address and any IPv4 address carried inside an IPv6 one."""
    found: list[IPAddress] = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped:
            found.append(ip.ipv4_mapped)
        if ip.sixtofour:
            found.append(ip.sixtofour)
        if ip.teredo:
            found.extend(ip.teredo)
        if ip in _NAT64:
            found.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    return found


def _refusal(ip: IPAddress) -> str | None:
    for candidate in _embedded(ip):
        for reason, flag in (
            ("unspecified", candidate.is_unspecified),
            ("loopback", candidate.is_loopback),
            ("link-local", candidate.is_link_local),
            ("private", candidate.is_private),
            ("multicast", candidate.is_multicast),
            ("reserved", candidate.is_reserved),
            ("not globally routable", not candidate.is_global),
        ):
            if flag:
                return f"{reason} address {candidate}"
    return None


def check_address(address: str, url: str) -> None:
    """Raise UnsafeURLError when ``address`` (an IP literal) is not a public unicast address."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError as exc:
        raise UnsafeURLError(f"unrecognised address {address!r}", locator=url) from exc
    reason = _refusal(ip)
    if reason:
        raise UnsafeURLError(
            f"refused: the host resolves to a {reason}; set allow_private (--allow-private) to fetch "
            "internal addresses on purpose",
            locator=url,
        )


def _port(scheme: str, port: int | None) -> int:
    return port or (443 if scheme.lower() == "https" else 80)


def _is_trusted(host: str, port: int, trusted: Collection[str]) -> bool:
    return host in trusted or f"{host}:{port}" in trusted


def check_url(url: str, settings: Settings, *, trusted: Collection[str] = ()) -> None:
    """Raise SourceError for a non-http(s) URL, UnsafeURLError for one whose host resolves to a private address.

    ``trusted`` names hosts (``host`` or ``host:port``) exempt from the address check, for one internal server
    that should be reachable without allowing every private address.
    """
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise SourceError(f"malformed URL ({exc})", locator=url) from exc
    if parts.scheme.lower() not in ("http", "https"):
        raise SourceError(
            f"unsupported scheme {parts.scheme!r}: only http and https URLs are fetched", locator=url
        )
    host = (parts.hostname or "").lower()
    if not host:
        raise SourceError("URL has no host", locator=url)
    port = _port(parts.scheme, port)
    if settings.allow_private or _is_trusted(host, port, trusted):
        return
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        addresses = [host]
    except ValueError:
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except (socket.gaierror, UnicodeError, OSError) as exc:
            raise SourceError(f"cannot resolve host {host!r} ({exc})", locator=url) from exc
        addresses = [str(info[4][0]) for info in infos]
    if not addresses:
        raise SourceError(f"host {host!r} has no address", locator=url)
    for address in addresses:
        check_address(address, url)


def _check_peer(response: httpx.Response, url: str, settings: Settings, trusted: Collection[str]) -> None:
    if settings.allow_private:
        return
    parts = urlsplit(url)
    if _is_trusted((parts.hostname or "").lower(), _port(parts.scheme, parts.port), trusted):
        return
    stream: Any = response.extensions.get("network_stream")
    peer = stream.get_extra_info("server_addr") if stream is not None else None
    if peer:
        check_address(str(peer[0]), url)


def _media_type(content_type: str | None) -> str:
    return (content_type or "").split(";", 1)[0].strip().lower()


def _read_body(response: httpx.Response, url: str, settings: Settings, deadline: float) -> bytes:
    declared = response.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > settings.max_bytes:
        raise SourceError(
            f"response of {int(declared)} bytes exceeds the cap of {settings.max_bytes} bytes "
            "(raise Settings.max_bytes to accept it)",
            locator=url,
        )
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > settings.max_bytes:
            raise SourceError(
                f"response exceeds the cap of {settings.max_bytes} bytes; download stopped "
                "(raise Settings.max_bytes to accept it)",
                locator=url,
            )
        if time.monotonic() > deadline:
            raise SourceError(
                f"download took longer than {settings.timeout_s * TOTAL_TIMEOUT_FACTOR:.1f}s; stopped",
                locator=url,
            )
        chunks.append(chunk)
    if time.monotonic() > deadline:  # the deadline watchdog cut the connection: the body is truncated
        raise SourceError(
            f"download took longer than {settings.timeout_s * TOTAL_TIMEOUT_FACTOR:.1f}s; stopped",
            locator=url,
        )
    return b"".join(chunks)


def fetch(
    client: httpx.Client,
    url: str,
    settings: Settings,
    *,
    headers: Mapping[str, str] | None = None,
    accept: Collection[str] = ARTICLE_TYPES,
    trusted: Collection[str] = (),
) -> Fetched:
    """GET ``url`` following up to ``settings.max_redirects`` redirects, each hop checked by :func:`check_url`.

    A 304 answer is returned as is (empty content). Raises SourceError for HTTP errors, timeouts, refused content
    types (not in ``accept``; a missing Content-Type is let through for sniffing) and bodies over the size cap,
    and UnsafeURLError for private addresses.
    """
    deadline = time.monotonic() + settings.timeout_s * TOTAL_TIMEOUT_FACTOR
    watchdog = _Deadline(deadline)
    try:
        return _fetch_hops(client, url, settings, headers, accept, trusted, deadline, watchdog)
    finally:
        watchdog.cancel()


def _fetch_hops(
    client: httpx.Client,
    url: str,
    settings: Settings,
    headers: Mapping[str, str] | None,
    accept: Collection[str],
    trusted: Collection[str],
    deadline: float,
    watchdog: _Deadline,
) -> Fetched:
    current = url
    request_headers = {"User-Agent": settings.user_agent, **(headers or {})}
    for _hop in range(settings.max_redirects + 1):
        check_url(current, settings, trusted=trusted)
        try:
            with client.stream(
                "GET",
                current,
                headers=request_headers,
                timeout=settings.timeout_s,
                extensions={"trace": watchdog.trace},
            ) as response:
                _check_peer(response, current, settings, trusted)
                location = response.headers.get("location")
                if response.status_code in _REDIRECTS and location:
                    current = str(response.url.join(location))
                    log.debug("%s: redirected to %s", url, current)
                    continue
                if response.status_code >= 400:
                    raise SourceError(
                        f"HTTP {response.status_code} {response.reason_phrase} from {current}", locator=url
                    )
                content_type = response.headers.get("content-type")
                fetched = Fetched(
                    url=current,
                    status=response.status_code,
                    content=b"",
                    content_type=content_type,
                    etag=response.headers.get("etag"),
                    last_modified=response.headers.get("last-modified"),
                )
                if response.status_code == 304:
                    return fetched
                media = _media_type(content_type)
                if media and media not in accept:
                    raise SourceError(
                        f"content type {media!r} from {current} is not one threatledger reads "
                        f"(accepted: {', '.join(sorted(accept))})",
                        locator=url,
                    )
                return dataclasses.replace(fetched, content=_read_body(response, url, settings, deadline))
        except httpx.TimeoutException as exc:
            raise SourceError(
                f"timed out after {settings.timeout_s}s fetching {current} ({type(exc).__name__}); "
                "retry later or raise Settings.timeout_s",
                locator=url,
            ) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            if watchdog.expired:
                raise SourceError(
                    f"{current} took longer than {settings.timeout_s * TOTAL_TIMEOUT_FACTOR:.1f}s in all "
                    "(a server sending its response a trickle at a time); stopped",
                    locator=url,
                ) from exc
            raise SourceError(f"could not fetch {current}: {type(exc).__name__}: {exc}", locator=url) from exc
    raise SourceError(
        f"more than {settings.max_redirects} redirects (last: {current}); raise Settings.max_redirects "
        "if the chain is legitimate",
        locator=url,
    )


def fetch_url(
    client: httpx.Client, url: str, settings: Settings, *, trusted: Collection[str] = ()
) -> RawItem:
    """An article page or PDF as a RawItem (locator: the URL asked for; url: the URL after redirects)."""
    fetched = fetch(client, url, settings, trusted=trusted)
    if fetched.status == 304:
        raise SourceError("HTTP 304 Not Modified without a conditional request", locator=url)
    log.info("%s: fetched %d bytes (%s)", url, len(fetched.content), fetched.content_type or "no type")
    return RawItem(
        locator=url,
        content=fetched.content,
        content_type=fetched.content_type,
        url=fetched.url,
        source_kind="url",
    )
