"""canonical_url: tracking parameters, fragments, host case, default ports."""

from __future__ import annotations

import pytest

from threatledger.normalise.urls import canonical_url


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://News.Example.COM/Path/Article?id=7&utm_source=x&UTM_Medium=y#comments",
            "https://news.example.com/Path/Article?id=7",
        ),
        ("HTTP://news.example:80/a?fbclid=abc&gclid=def", "http://news.example/a"),
        ("https://news.example:443", "https://news.example/"),
        ("https://news.example:8443/a", "https://news.example:8443/a"),
        ("https://user:pw@news.example/a", "https://news.example/a"),
        ("https://news.example/a?q=a%20b&x=1&utm_campaign=c", "https://news.example/a?q=a%20b&x=1"),
        ("https://news.example/a?utm_source=only", "https://news.example/a"),
        ("http://[2001:DB8::1]:8080/a#f", "http://[2001:db8::1]:8080/a"),
        ("  https://news.example/a  ", "https://news.example/a"),
        ("ftp://files.example/a#x", "ftp://files.example/a"),
        ("not a url#frag", "not a url"),
        ("https://news.example:bad/a", "https://news.example:bad/a"),
    ],
)
def test_canonical_url(url: str, expected: str) -> None:
    assert canonical_url(url) == expected
