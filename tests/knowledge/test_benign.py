from __future__ import annotations

import json
from pathlib import Path

import pytest

from threatledger.knowledge.benign import BenignChecker


@pytest.fixture(scope="module")
def checker() -> BenignChecker:
    return BenignChecker()


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        ("8.8.8.8", "ipv4", "public-dns-v4"),
        ("192.0.2.10", "ipv4", "rfc5737"),
        ("203.0.113.5", "ipv4", "rfc5737"),
        ("2001:db8::1", "ipv6", "rfc3849"),
        ("10.1.2.3", "ipv4", "rfc1918"),
        ("example.com", "domain", "rfc2606"),
        ("https://docs.microsoft.com/en-us/", "url", "tranco10k"),
        ("d41d8cd98f00b204e9800998ecf8427e", "md5", "empty-hashes"),
    ],
)
def test_benign_hits(checker: BenignChecker, value: str, kind: str, expected: str) -> None:
    assert checker.check(value, kind) == expected


@pytest.mark.parametrize(
    ("value", "kind"),
    [("45.77.12.9", "ipv4"), ("evil-c2-update.xyz", "domain"), ("not an ip", "ipv4"), ("abc", "unknown")],
)
def test_benign_misses(checker: BenignChecker, value: str, kind: str) -> None:
    assert checker.check(value, kind) is None


def test_google_subdomain_and_speed(checker: BenignChecker) -> None:
    import time

    assert checker.check("www.google.com", "domain") is not None
    started = time.perf_counter()
    for _ in range(2000):
        checker.check("45.77.12.9", "ipv4")
        checker.check("mail.evil-c2-update.xyz", "domain")
    assert time.perf_counter() - started < 2.0


def test_custom_lists_dir(tmp_path: Path) -> None:
    folder = tmp_path / "public-dns-v4"
    folder.mkdir()
    (folder / "list.json").write_text(json.dumps({"list": ["9.9.9.9", "1.2.3.0/24"]}))
    checker = BenignChecker(lists_dir=tmp_path)
    assert checker.check("9.9.9.9", "ipv4") == "public-dns-v4"
    assert checker.check("1.2.3.77", "ipv4") == "public-dns-v4"
    assert checker.check("example.org", "domain") == "rfc2606"
