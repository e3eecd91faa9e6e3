"""fetch_url against a real HTTP server on 127.0.0.1: redirects, caps, timeouts, content types, SSRF guard."""

from __future__ import annotations

import dataclasses
import time

import httpx
import pytest
from loopback_server import ARTICLE_HTML, LoopbackServer

from threatledger.config import Settings
from threatledger.errors import SourceError, UnsafeURLError
from threatledger.sources.web import _check_peer, check_address, check_url, fetch_url, make_client


def test_fetches_an_article_with_the_configured_user_agent(
    http_server: LoopbackServer, client: httpx.Client, settings: Settings
) -> None:
    url = http_server.url("/article.html")
    item = fetch_url(client, url, settings)
    assert item.content == ARTICLE_HTML.encode("utf-8")
    assert item.content_type == "text/html; charset=utf-8"
    assert item.url == url
    assert item.locator == url
    assert item.source_kind == "url"
    assert http_server.headers_for("/article.html")[-1]["User-Agent"] == settings.user_agent


def test_follows_redirects_hop_by_hop(
    http_server: LoopbackServer, client: httpx.Client, settings: Settings
) -> None:
    item = fetch_url(client, http_server.url("/redirect/3"), settings)
    assert item.url == http_server.url("/article.html")
    assert item.locator == http_server.url("/redirect/3")


def test_too_many_redirects(http_server: LoopbackServer, client: httpx.Client, settings: Settings) -> None:
    with pytest.raises(SourceError, match="more than 2 redirects"):
        fetch_url(client, http_server.url("/redirect/3"), dataclasses.replace(settings, max_redirects=2))
    with pytest.raises(SourceError, match="redirects"):
        fetch_url(client, http_server.url("/loop"), settings)


@pytest.mark.parametrize(("path", "status"), [("/missing", "404"), ("/broken", "500")])
def test_http_errors_name_url_and_status(
    http_server: LoopbackServer, client: httpx.Client, settings: Settings, path: str, status: str
) -> None:
    url = http_server.url(path)
    with pytest.raises(SourceError) as caught:
        fetch_url(client, url, settings)
    assert status in str(caught.value)
    assert url in str(caught.value)


def test_refuses_unreadable_content_type(
    http_server: LoopbackServer, client: httpx.Client, settings: Settings
) -> None:
    with pytest.raises(SourceError, match="image/png"):
        fetch_url(client, http_server.url("/image.png"), settings)


def test_missing_content_type_is_left_for_sniffing(
    http_server: LoopbackServer, client: httpx.Client, settings: Settings
) -> None:
    item = fetch_url(client, http_server.url("/notype"), settings)
    assert item.content_type is None
    assert item.content.startswith(b"<!DOCTYPE html>")


def test_plain_text_keeps_its_declared_charset(
    http_server: LoopbackServer, client: httpx.Client, settings: Settings
) -> None:
    item = fetch_url(client, http_server.url("/plain.txt"), settings)
    assert item.content_type == "text/plain; charset=windows-1252"


def test_size_cap_declared_and_streamed(
    http_server: LoopbackServer, client: httpx.Client, settings: Settings
) -> None:
    small = dataclasses.replace(settings, max_bytes=1000)
    with pytest.raises(SourceError, match="cap of 1000 bytes"):
        fetch_url(client, http_server.url("/big"), small)
    with pytest.raises(SourceError, match="cap of 1000 bytes"):
        fetch_url(client, http_server.url("/big-unbounded"), small)


def test_timeout(http_server: LoopbackServer, settings: Settings) -> None:
    quick = dataclasses.replace(settings, timeout_s=0.3)
    with make_client(quick) as client:
        started = time.monotonic()
        with pytest.raises(SourceError, match="timed out") as caught:
            fetch_url(client, http_server.url("/slow"), quick)
        assert time.monotonic() - started < 1.2
    assert http_server.url("/slow") in str(caught.value)


def test_slow_drip_is_cut_off_by_the_total_deadline(http_server: LoopbackServer, settings: Settings) -> None:
    quick = dataclasses.replace(settings, timeout_s=0.2)
    with make_client(quick) as client:
        started = time.monotonic()
        with pytest.raises(SourceError, match="longer than"):
            fetch_url(client, http_server.url("/drip"), quick)
        assert time.monotonic() - started < 1.5


def test_connection_refused_is_a_source_error(settings: Settings, client: httpx.Client) -> None:
    with pytest.raises(SourceError, match="could not fetch"):
        fetch_url(client, "http://127.0.0.1:9/", settings)


# --- SSRF guard -----------------------------------------------------------------------------------------------


def test_default_settings_refuse_loopback(http_server: LoopbackServer, guarded: Settings) -> None:
    with make_client(guarded) as client, pytest.raises(UnsafeURLError, match="loopback"):
        fetch_url(client, http_server.url("/guarded-only"), guarded)
    assert not http_server.headers_for("/guarded-only")  # refused before any request was sent


@pytest.mark.parametrize(
    ("path", "reason"),
    [
        ("/to-metadata", "link-local address 169.254.169.254"),
        ("/to-localhost", "loopback"),
        ("/to-ipv6-loopback", "loopback"),
        ("/to-mapped", "127.0.0.1"),
        ("/to-private", "private address 10.1.2.3"),
    ],
)
def test_every_redirect_hop_is_checked(
    http_server: LoopbackServer, guarded: Settings, path: str, reason: str
) -> None:
    trusted = {f"127.0.0.1:{http_server.port}"}  # only the test server itself is exempt from the guard
    with make_client(guarded) as client:
        assert fetch_url(client, http_server.url("/article.html"), guarded, trusted=trusted).content
        with pytest.raises(UnsafeURLError, match=reason):
            fetch_url(client, http_server.url(path), guarded, trusted=trusted)


def test_redirect_to_another_scheme_is_refused(
    http_server: LoopbackServer, client: httpx.Client, settings: Settings
) -> None:
    with pytest.raises(SourceError, match="only http and https"):
        fetch_url(client, http_server.url("/to-file"), settings)


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1/",
        "http://127.1.2.3:8080/",
        "http://10.0.0.1/",
        "http://172.16.5.4/",
        "http://192.168.1.1/",
        "http://100.64.0.1/",
        "http://0.0.0.0/",
        "http://224.0.0.1/",
        "http://255.255.255.255/",
        "http://[::1]/",
        "http://[::]/",
        "http://[fe80::1]/",
        "http://[fc00::1]/",
        "http://[ff02::1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://[::ffff:10.0.0.1]/",
        "http://[64:ff9b::a9fe:a9fe]/",
        "http://[2002:7f00:1::1]/",
        "http://localhost/",
        "http://2130706433/",
    ],
)
def test_private_addresses_are_refused(guarded: Settings, url: str) -> None:
    with pytest.raises(UnsafeURLError, match="allow_private"):
        check_url(url, guarded)


@pytest.mark.parametrize(
    "url", ["ftp://example.com/x", "file:///etc/passwd", "javascript:alert(1)", "http:///nohost"]
)
def test_only_http_and_https(guarded: Settings, url: str) -> None:
    with pytest.raises(SourceError):
        check_url(url, guarded)


def test_public_addresses_pass(guarded: Settings) -> None:
    check_url("http://8.8.8.8/", guarded)
    check_url("https://[2606:4700:4700::1111]/", guarded)
    check_address("93.184.216.34", "http://example.com/")


def test_allow_private_lets_loopback_through(settings: Settings) -> None:
    check_url("http://127.0.0.1:8080/", settings)
    check_url("http://169.254.169.254/", settings)


def test_connected_peer_is_checked_too(http_server: LoopbackServer, guarded: Settings) -> None:
    # The address reached after connecting is checked again, so a DNS answer that changes after check_url
    # (DNS rebinding) cannot reach a private address. Here the connection really lands on loopback.
    with make_client(guarded) as client, client.stream("GET", http_server.url("/plain.txt")) as response:
        with pytest.raises(UnsafeURLError, match=r"loopback address 127\.0\.0\.1"):
            _check_peer(response, http_server.url("/plain.txt"), guarded, trusted=())
        _check_peer(
            response, http_server.url("/plain.txt"), guarded, trusted={f"127.0.0.1:{http_server.port}"}
        )
