"""Watchlists (saved filters), the alerts they raise after an ingest or feed poll, and alert delivery."""

from __future__ import annotations

from threatledger.watch.deliver import DeliveryReport, MailSettings, Retry, deliver_pending, sign
from threatledger.watch.evaluate import FILTER_KEYS, create_watchlist, evaluate_watchlists, validate_filters

__all__ = [
    "FILTER_KEYS",
    "DeliveryReport",
    "MailSettings",
    "Retry",
    "create_watchlist",
    "deliver_pending",
    "evaluate_watchlists",
    "sign",
    "validate_filters",
]
