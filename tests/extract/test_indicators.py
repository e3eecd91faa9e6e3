"""Indicator extraction: the labelled set, span fidelity, refanging, validation rules and benign flags."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threatledger.extract import indicators
from threatledger.extract.indicators import extract_indicators, top_level_domains
from threatledger.extract.refang import refang

DATA = Path(__file__).parent / "data" / "indicators.jsonl"


def _pairs(text: str) -> list[tuple[str, str]]:
    return [(i.type, i.value) for i in extract_indicators(text)]


def test_name_and_version() -> None:
    assert indicators.NAME == "indicators"
    assert indicators.VERSION == "1"


def test_labelled_set_precision_and_recall() -> None:
    tp = fp = fn = 0
    for line in DATA.read_text(encoding="utf-8").splitlines():
        record = json.loads(line)
        gold = Counter((i["type"], i["value"]) for i in record["indicators"])
        got = Counter(_pairs(record["text"]))
        tp += sum((gold & got).values())
        fp += sum((got - gold).values())
        fn += sum((gold - got).values())
    precision, recall = tp / (tp + fp), tp / (tp + fn)
    assert tp > 250
    assert precision >= 0.97, precision
    assert recall >= 0.97, recall


def test_seed_article_has_no_indicators(seed_article: Path) -> None:
    assert extract_indicators(seed_article.read_text(encoding="utf-8")) == ()


FRAGMENTS = [
    "hxxp://",
    "hXXps[://]",
    "[.]",
    "(.)",
    "{.}",
    "[dot]",
    " dot ",
    "[@]",
    "[at]",
    "[:]",
    "\\.",
    ".",
    "@",
    ":",
    "/",
    " ",
    "\n",
    "evil",
    "com",
    "net",
    "zip",
    "exe",
    "1.2.3.4",
    "10",
    "256",
    "::1",
    "2001:db8::",
    "CVE-2021-44228",
    "d41d8cd98f00b204e9800998ecf8427e",
    "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
    "version ",
    "é",
    "(",
    ")",
    "-",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(FRAGMENTS), max_size=25))
def test_span_is_exactly_the_written_text(parts: list[str]) -> None:
    text = "".join(parts)
    last_end = 0
    for found in extract_indicators(text):
        assert text[found.start : found.end] == found.text
        assert found.start >= last_end  # no overlaps, text order
        last_end = found.end


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=200))
def test_span_on_arbitrary_text(text: str) -> None:
    for found in extract_indicators(text):
        assert text[found.start : found.end] == found.text


def test_refang_maps_back_to_original() -> None:
    doc = refang("go to hxxps://evil[.]com/x now")
    assert doc.clean == "go to https://evil.com/x now"
    start = doc.clean.index("https")
    end = doc.clean.index(" now")
    assert doc.to_original(start, end) == (6, 26)
    assert doc.is_rewritten(start, end)
    assert not doc.is_rewritten(0, 5)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("hxxp://1.2.3[.]4/a", [("url", "http://1.2.3.4/a")]),
        ("evil [.] com", [("domain", "evil.com")]),
        ("evil\\.com", [("domain", "evil.com")]),
        ("a[at]evil(dot)org", [("email", "a@evil.org")]),
        ("hxxp[://]evil{.}net/x", [("url", "http://evil.net/x")]),
        ("mail dot evil dot com", [("domain", "mail.evil.com")]),
        ("the dot com era", []),
    ],
)
def test_defanged_forms(text: str, expected: list[tuple[str, str]]) -> None:
    assert _pairs(text) == expected


def test_span_keeps_the_defanged_text() -> None:
    (found,) = extract_indicators("C2 at 45.9.148[.]108 today")
    assert found.text == "45.9.148[.]108"
    assert found.value == "45.9.148.108"


def test_outermost_indicator_wins() -> None:
    text = "see https://nvd.nist.gov/vuln/detail/CVE-2021-44228 and bob@evil.com"
    assert _pairs(text) == [
        ("url", "https://nvd.nist.gov/vuln/detail/CVE-2021-44228"),
        ("email", "bob@evil.com"),
    ]


def test_url_without_scheme_and_trailing_punctuation() -> None:
    assert _pairs("(evil.com/a/b.php).") == [("url", "evil.com/a/b.php")]
    assert _pairs("https://en.wikipedia.org/wiki/X_(y).") == [("url", "https://en.wikipedia.org/wiki/X_(y)")]
    assert _pairs("net 10.1.2.0/24") == [("ipv4", "10.1.2.0")]


@pytest.mark.parametrize(
    "text",
    [
        "version 1.2.3.4",
        "v10.0.19041",
        "Chrome 116.0.5845.96",
        "Figure 1.2",
        "pi is 3.14",
        "e.g. this, i.e. that",
        "the U.S. said",
        "ASP.NET and Node.js",
        "the attack.It was",
        "readme.md",
        "libc.so",
        "010.1.1.1",
        "1.2.3.4 and later",
        "CVE-2021-123",
        "logo@2x.png",
    ],
)
def test_negatives(text: str) -> None:
    assert _pairs(text) == []


def test_normalisation() -> None:
    text = "CVE 2021-44228, D41D8CD98F00B204E9800998ECF8427E, Evil.COM.evil.com, HXXP://EVIL[.]ORG/Path"
    assert _pairs(text) == [
        ("cve", "CVE-2021-44228"),
        ("md5", "d41d8cd98f00b204e9800998ecf8427e"),
        ("domain", "evil.com.evil.com"),
        ("url", "http://evil.org/Path"),
    ]


def test_tld_file_names() -> None:
    assert _pairs("invoice.zip") == [("filename", "invoice.zip")]
    assert _pairs("invoice[.]zip") == [("domain", "invoice.zip")]
    assert _pairs("www.invoice.zip") == [("domain", "www.invoice.zip")]
    assert _pairs("https://invoice.zip/x") == [("url", "https://invoice.zip/x")]


def test_bitcoin_checksums() -> None:
    assert _pairs("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2") == [("btc", "1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN2")]
    assert _pairs("1BvBMSEYstWetqTFn5Au4m4GFg7xJaNVN3") == []
    assert _pairs("bc1qw508d6qejxtdg4y5r3zarvary0c5xw7kv8f3t5") == []


def test_builtin_benign_flags() -> None:
    found = {i.value: i.benign_reason for i in extract_indicators(
        "192.0.2.1 2001:db8::1 10.0.0.1 127.0.0.1 fe80::1 8.8.8.8 example.com http://www.example.org/x a@example.net"
    )}  # fmt: skip
    assert found == {
        "192.0.2.1": "documentation-range",
        "2001:db8::1": "documentation-range",
        "10.0.0.1": "private-address",
        "127.0.0.1": "private-address",
        "fe80::1": "private-address",
        "8.8.8.8": None,
        "example.com": "example-domain",
        "http://www.example.org/x": "example-domain",
        "a@example.net": "example-domain",
    }
    assert all(i.benign == (i.benign_reason is not None) for i in extract_indicators("10.0.0.1 8.8.8.8"))


class _Lists:
    def __init__(self) -> None:
        self.asked: list[tuple[str, str]] = []

    def check(self, value: str, type: str) -> str | None:
        self.asked.append((value, type))
        return "Top 1000 websites" if value == "google.com" else None


def test_benign_lookup_flags_without_dropping() -> None:
    lists = _Lists()
    found = extract_indicators("google.com evil.com 10.0.0.1", benign=lists)
    assert [(i.value, i.benign, i.benign_reason) for i in found] == [
        ("google.com", True, "Top 1000 websites"),
        ("evil.com", False, None),
        ("10.0.0.1", True, "private-address"),
    ]
    assert lists.asked == [("google.com", "domain"), ("evil.com", "domain")]  # built-in flags come first


def test_tld_list_is_bundled() -> None:
    tlds = top_level_domains()
    assert {"com", "zip", "onion", "xn--p1ai", "uk"} <= tlds
    assert "exe" not in tlds


def test_the_pipeline_flags_benign_indicators_with_the_warning_list(tmp_path: Path) -> None:
    """Wired end to end: public resolvers and top sites are kept but flagged, with the list that matched."""
    from threatledger.config import Settings
    from threatledger.ids import make_id, text_sha256
    from threatledger.model import Document
    from threatledger.pipeline import Extractors

    text = "The implant resolved its server through 8.8.8.8, checked google.com, then beaconed to 185.220.101.47."
    sha = text_sha256(text)
    document = Document(id=make_id("document", sha256=sha), text=text, sha256=sha)
    found = Extractors(Settings.load(str(tmp_path / "l.sqlite3")), with_events=False).run(document).indicators
    flags = {i.value: (i.benign, i.benign_reason) for i in found}
    assert flags["8.8.8.8"][0] and flags["8.8.8.8"][1]
    assert flags["google.com"][0]
    assert flags["185.220.101.47"] == (False, None)
