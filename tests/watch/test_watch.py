"""Watchlists and alert delivery: evaluation, signed webhooks to a real loopback receiver, SMTP to aiosmtpd."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
from collections.abc import Iterator
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from threatledger.config import Settings
from threatledger.errors import InputError
from threatledger.store import SQLiteStore
from threatledger.watch import MailSettings, Retry, create_watchlist, deliver_pending, evaluate_watchlists
from web.ledger_fixture import INCIDENT, PORT_INCIDENT, Ledger, build_ledger

FAST = Retry(attempts=4, base_delay_s=0.01)


@pytest.fixture
def ledger(tmp_path: Path) -> Ledger:
    return build_ledger(tmp_path / "ledger.sqlite3")


@pytest.fixture
def store(ledger: Ledger) -> Iterator[SQLiteStore]:
    s = SQLiteStore(ledger.path)
    yield s
    s.close()


class Receiver(ThreadingHTTPServer):
    """A webhook receiver on 127.0.0.1 that answers 503 to the first ``fail_first`` posts."""

    def __init__(self, fail_first: int) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.fail_first = fail_first
        self.posts: list[tuple[dict[str, str], bytes]] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.posts.append((dict(self.headers.items()), body))
        status = 503 if len(self.server.posts) <= self.server.fail_first else 204
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[Receiver]:
    server = Receiver(getattr(request, "param", 0))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_evaluation_matches_incidents_and_documents_once(store: SQLiteStore, ledger: Ledger) -> None:
    create_watchlist(store, "china", {"actor": "China"})
    create_watchlist(store, "denials", {"stance": "denied", "country": "JP"})
    create_watchlist(store, "citrix", {"cve": "cve-2023-4966"})
    create_watchlist(store, "lockbit-text", {"keyword": "LockBit", "type": "ransomware"})
    create_watchlist(store, "nothing", {"country": "US"})
    added = evaluate_watchlists(store, None)
    alerts = {(a.watchlist, a.object_type, a.object_id) for a in store.list_alerts()}
    assert alerts == {
        ("china", "incident", INCIDENT),
        ("denials", "incident", INCIDENT),
        ("citrix", "document", ledger.hostile_doc),
        ("lockbit-text", "incident", PORT_INCIDENT),
    }
    assert len(added) == 4
    assert evaluate_watchlists(store, None) == []  # deduplicated per watchlist and object
    assert evaluate_watchlists(store, store.change_marker()) == []  # nothing new since the marker


def test_filters_are_checked() -> None:
    from threatledger.watch import validate_filters

    with pytest.raises(InputError, match="colour"):
        validate_filters({"colour": "red"})
    with pytest.raises(InputError, match="at least one"):
        validate_filters({"actor": ""})
    with pytest.raises(InputError, match="stance"):
        validate_filters({"stance": "perhaps"})


@pytest.mark.parametrize("receiver", [2], indirect=True)
def test_webhook_retries_then_delivers_a_signed_body(
    store: SQLiteStore, receiver: Receiver, tmp_path: Path
) -> None:
    watchlist = create_watchlist(store, "china", {"actor": "China"}, webhook_url=receiver.url)
    evaluate_watchlists(store, None)
    settings = Settings(db="", cache_dir=tmp_path, allow_private=True)
    delays: list[float] = []
    with httpx.Client(timeout=5) as client:
        report = deliver_pending(
            store, settings, client, retry=FAST, sleep=delays.append, base_url="http://tl.example"
        )
    assert report.delivered == 1 and report.failed == 0
    assert len(receiver.posts) == 3 and delays == [0.01, 0.02]  # failed twice, exponential backoff, then 204
    headers, body = receiver.posts[-1]
    assert watchlist.webhook_secret
    expected = "sha256=" + hmac.new(watchlist.webhook_secret.encode(), body, hashlib.sha256).hexdigest()
    assert headers["X-Threatledger-Signature"] == expected
    assert all(h["X-Threatledger-Signature"] == expected for h, _ in receiver.posts)
    payload = json.loads(body)
    assert payload["object_id"] == INCIDENT and payload["url"] == f"http://tl.example/incidents/{INCIDENT}"
    alert = store.list_alerts()[0]
    assert alert.webhook_status == "delivered" and alert.attempts == 3 and alert.delivered_at
    with httpx.Client(timeout=5) as client:
        assert deliver_pending(store, settings, client, retry=FAST, sleep=delays.append).delivered == 0


@pytest.mark.parametrize("receiver", [10], indirect=True)
def test_webhook_gives_up_after_the_last_attempt(
    store: SQLiteStore, receiver: Receiver, tmp_path: Path
) -> None:
    create_watchlist(store, "china", {"actor": "China"}, webhook_url=receiver.url)
    evaluate_watchlists(store, None)
    settings = Settings(db="", cache_dir=tmp_path, allow_private=True)
    with httpx.Client(timeout=5) as client:
        report = deliver_pending(store, settings, client, retry=FAST, sleep=lambda s: None)
    assert report.failed == 1 and len(receiver.posts) == 4
    assert store.list_alerts()[0].webhook_status.startswith("failed: ")  # type: ignore[union-attr]


def test_webhook_to_a_private_address_is_refused_by_default(
    store: SQLiteStore, receiver: Receiver, tmp_path: Path
) -> None:
    create_watchlist(store, "china", {"actor": "China"}, webhook_url=receiver.url)
    evaluate_watchlists(store, None)
    with httpx.Client(timeout=5) as client:
        report = deliver_pending(
            store, Settings(db="", cache_dir=tmp_path), client, retry=FAST, sleep=lambda s: None
        )
    assert report.failed == 1 and receiver.posts == []
    assert "refused" in (store.list_alerts()[0].webhook_status or "")


def test_email_goes_to_an_smtp_server_on_loopback(store: SQLiteStore, tmp_path: Path) -> None:
    from aiosmtpd.controller import Controller

    class Inbox:
        def __init__(self) -> None:
            self.messages: list[tuple[str, list[str], bytes]] = []

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.messages.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.content))
            return "250 OK"

    import socket

    with socket.socket() as probe:  # aiosmtpd checks its own port after starting, so it needs a real one
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        create_watchlist(store, "lockbit", {"actor": "LockBit"}, email="soc@example.org")
        evaluate_watchlists(store, None)
        mail = MailSettings(host="127.0.0.1", port=port, sender="ledger@example.org")
        with httpx.Client() as client:
            report = deliver_pending(
                store, Settings(db="", cache_dir=tmp_path), client, mail=mail, retry=FAST
            )
    finally:
        controller.stop()
    assert report.delivered == 1
    sender, recipients, content = inbox.messages[0]
    assert sender == "ledger@example.org" and recipients == ["soc@example.org"]
    message = message_from_bytes(content)
    assert " ".join(str(message["Subject"]).split()).startswith("[threatledger] lockbit:")
    assert PORT_INCIDENT in message.get_payload()
    assert store.list_alerts()[0].email_status == "delivered"


def test_mail_settings_from_environment() -> None:
    assert MailSettings.from_env({}) is None
    mail = MailSettings.from_env({"THREATLEDGER_SMTP_HOST": "mx", "THREATLEDGER_SMTP_PORT": "2525"})
    assert mail is not None and mail.port == 2525
