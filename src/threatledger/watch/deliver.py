"""Alert delivery: signed webhooks (HTTP POST of JSON) and e-mail, each retried with exponential backoff.

The webhook body is the canonical JSON of the alert; ``X-Threatledger-Signature: sha256=<hex>`` is the HMAC-SHA256
of exactly those bytes under the watchlist's secret, so a receiver verifies it before parsing. Webhook URLs pass
the same address guard as fetched pages: loopback, private and link-local targets are refused unless
``Settings.allow_private`` is set. The HTTP client, the SMTP factory, the clock and ``sleep`` are injected.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import os
import smtplib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

import httpx

from threatledger.config import Settings
from threatledger.errors import ConfigError, SourceError
from threatledger.ids import canonical_json
from threatledger.pipeline import Clock, system_clock
from threatledger.sources.web import check_url
from threatledger.store import SQLiteStore
from threatledger.store.watch import AlertRow, WatchlistRow

__all__ = [
    "DeliveryReport",
    "DeliveryResult",
    "MailSettings",
    "Retry",
    "alert_payload",
    "deliver_pending",
    "post_webhook",
    "send_email",
    "sign",
]

log = logging.getLogger(__name__)
SIGNATURE_HEADER = "X-Threatledger-Signature"
Sleep = Callable[[float], None]
SMTPFactory = Callable[[str, int, float], smtplib.SMTP]


@dataclass(frozen=True, slots=True)
class Retry:
    """Up to ``attempts`` tries, waiting base, 2*base, 4*base ... (capped) between them."""

    attempts: int = 4
    base_delay_s: float = 1.0
    max_delay_s: float = 60.0

    def delay(self, attempt: int) -> float:
        return float(min(self.base_delay_s * 2 ** (attempt - 1), self.max_delay_s))


@dataclass(frozen=True, slots=True)
class MailSettings:
    host: str
    port: int = 25
    sender: str = "threatledger@localhost"
    starttls: bool = False
    username: str | None = None
    password: str | None = None
    timeout_s: float = 20.0

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> MailSettings | None:
        """THREATLEDGER_SMTP_HOST (required), _PORT, _FROM, _STARTTLS, _USER, _PASSWORD; None when unset."""
        env = os.environ if env is None else env
        host = env.get("THREATLEDGER_SMTP_HOST")
        if not host:
            return None
        try:
            port = int(env.get("THREATLEDGER_SMTP_PORT", "25"))
        except ValueError as exc:
            raise ConfigError("THREATLEDGER_SMTP_PORT must be a number") from exc
        return cls(
            host=host,
            port=port,
            sender=env.get("THREATLEDGER_SMTP_FROM", "threatledger@localhost"),
            starttls=env.get("THREATLEDGER_SMTP_STARTTLS", "") in {"1", "true", "yes"},
            username=env.get("THREATLEDGER_SMTP_USER") or None,
            password=env.get("THREATLEDGER_SMTP_PASSWORD") or None,
        )


@dataclass(frozen=True, slots=True)
class DeliveryResult:
    ok: bool
    attempts: int
    message: str


@dataclass(slots=True)
class DeliveryReport:
    delivered: int = 0
    failed: int = 0
    skipped: int = 0
    messages: list[str] = field(default_factory=list)


def sign(secret: str, body: bytes) -> str:
    """The signature header value for ``body``."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def alert_payload(alert: AlertRow, base_url: str | None = None) -> dict[str, Any]:
    path = str(alert.data.get("path", ""))
    return {
        "id": alert.id,
        "watchlist": alert.watchlist,
        "filters": alert.data.get("filters", {}),
        "object_type": alert.object_type,
        "object_id": alert.object_id,
        "title": alert.title,
        "created": alert.created,
        "url": (base_url.rstrip("/") + path) if base_url else path,
    }


def _retryable(status: int) -> bool:
    return status >= 500 or status in (408, 425, 429)


def post_webhook(
    client: httpx.Client,
    url: str,
    secret: str,
    payload: Mapping[str, Any],
    settings: Settings,
    *,
    retry: Retry = Retry(),
    sleep: Sleep = time.sleep,
) -> DeliveryResult:
    """POST ``payload`` to ``url``, signed; retries network errors and 5xx/429 answers with backoff."""
    try:
        check_url(url, settings)
    except SourceError as exc:
        return DeliveryResult(False, 0, str(exc))
    body = canonical_json(payload).encode("utf-8")
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(secret, body),
        "User-Agent": settings.user_agent,
    }
    message = "not attempted"
    attempt = 0
    for attempt in range(1, retry.attempts + 1):
        try:
            response = client.post(url, content=body, headers=headers)
        except httpx.HTTPError as exc:
            message = f"{type(exc).__name__}: {exc}"
        else:
            if 200 <= response.status_code < 300:
                return DeliveryResult(True, attempt, f"HTTP {response.status_code}")
            message = f"HTTP {response.status_code}"
            if not _retryable(response.status_code):
                break
        log.info("webhook %s attempt %d failed: %s", url, attempt, message)
        if attempt < retry.attempts:
            sleep(retry.delay(attempt))
    return DeliveryResult(False, attempt, f"{url}: {message}")


def _smtp(host: str, port: int, timeout: float) -> smtplib.SMTP:
    return smtplib.SMTP(host, port, timeout=timeout)


def send_email(
    mail: MailSettings,
    to: str,
    payload: Mapping[str, Any],
    *,
    retry: Retry = Retry(),
    sleep: Sleep = time.sleep,
    smtp_factory: SMTPFactory = _smtp,
) -> DeliveryResult:
    message = EmailMessage()
    message["From"] = mail.sender
    message["To"] = to
    message["Subject"] = (
        f"[threatledger] {payload.get('watchlist')}: {payload.get('title') or payload.get('object_id')}"
    )
    message.set_content(
        f"Watchlist {payload.get('watchlist')} matched {payload.get('object_type')} {payload.get('object_id')}\n"
        f"Title: {payload.get('title') or '-'}\n"
        f"Link: {payload.get('url')}\n\n"
        f"{canonical_json(dict(payload))}\n"
    )
    text = "not attempted"
    attempt = 0
    for attempt in range(1, retry.attempts + 1):
        try:
            with smtp_factory(mail.host, mail.port, mail.timeout_s) as smtp:
                if mail.starttls:
                    smtp.starttls()
                if mail.username and mail.password:
                    smtp.login(mail.username, mail.password)
                smtp.send_message(message)
            return DeliveryResult(True, attempt, f"sent to {to}")
        except (smtplib.SMTPException, OSError) as exc:
            text = f"{type(exc).__name__}: {exc}"
        log.info("mail to %s attempt %d failed: %s", to, attempt, text)
        if attempt < retry.attempts:
            sleep(retry.delay(attempt))
    return DeliveryResult(False, attempt, f"{mail.host}:{mail.port}: {text}")


def _status(result: DeliveryResult) -> str:
    return "delivered" if result.ok else f"failed: {result.message}"[:500]


def deliver_pending(
    store: SQLiteStore,
    settings: Settings,
    client: httpx.Client,
    *,
    mail: MailSettings | None = None,
    base_url: str | None = None,
    retry: Retry = Retry(),
    sleep: Sleep = time.sleep,
    clock: Clock = system_clock,
    smtp_factory: SMTPFactory = _smtp,
) -> DeliveryReport:
    """Deliver every alert still pending on a channel; each alert's outcome is recorded per channel."""
    report = DeliveryReport()
    watchlists: dict[str, WatchlistRow | None] = {}
    for alert in reversed(store.list_alerts(limit=10_000, pending=True)):
        if alert.watchlist_id not in watchlists:
            watchlists[alert.watchlist_id] = store.get_watchlist(alert.watchlist_id)
        watchlist = watchlists[alert.watchlist_id]
        if watchlist is None:
            continue
        payload = alert_payload(alert, base_url)
        outcomes: list[tuple[str, DeliveryResult]] = []
        if alert.webhook_status == "pending" and watchlist.webhook_url:
            result = post_webhook(
                client,
                watchlist.webhook_url,
                watchlist.webhook_secret or "",
                payload,
                settings,
                retry=retry,
                sleep=sleep,
            )
            outcomes.append(("webhook", result))
        if alert.email_status == "pending" and watchlist.email:
            if mail is None:
                report.skipped += 1
                report.messages.append(
                    f"{alert.id}: e-mail pending, no SMTP server set (THREATLEDGER_SMTP_HOST)"
                )
            else:
                outcomes.append(
                    (
                        "email",
                        send_email(
                            mail,
                            watchlist.email,
                            payload,
                            retry=retry,
                            sleep=sleep,
                            smtp_factory=smtp_factory,
                        ),
                    )
                )
        for channel, result in outcomes:
            store.update_alert_delivery(
                alert.id,
                channel=channel,
                status=_status(result),
                attempts=result.attempts,
                at=clock().isoformat(),
            )
            if result.ok:
                report.delivered += 1
            else:
                report.failed += 1
                report.messages.append(f"{alert.id} {channel}: {result.message}")
                log.warning("alert %s: %s delivery failed: %s", alert.id, channel, result.message)
    return report
