from __future__ import annotations

import pytest

from threatledger.knowledge.countries import country_aliases, country_code, country_name, is_demonym


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("U.S.", "US"),
        ("US", "US"),
        ("the United States", "US"),
        ("America", "US"),
        ("UK", "GB"),
        ("Britain", "GB"),
        ("Chinese", "CN"),
        ("North Korean", "KP"),
        ("Russian", "RU"),
        ("Russians", "RU"),
        ("Japan’s", "JP"),
        ("Iran", "IR"),
        ("South Korea", "KR"),
        ("Germany", "DE"),
    ],
)
def test_country_code(text: str, code: str) -> None:
    assert country_code(text) == code


@pytest.mark.parametrize("text", ["", "Washington Post", "Lazarus", "ransomware", "Unit 8200"])
def test_country_code_none(text: str) -> None:
    assert country_code(text) is None


def test_names_and_demonyms() -> None:
    assert country_name("US") == "United States"
    assert country_name("CN") == "China"
    assert is_demonym("Chinese") and not is_demonym("China")
    forms = country_aliases()
    assert forms["U.S."] == "US" and forms["North Korean"] == "KP" and forms["Japan"] == "JP"
