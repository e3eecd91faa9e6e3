"""Property tests: the internet-facing parsers and the span-producing extractors on arbitrary input.

Example counts are bounded so that the whole module runs in well under a minute; raise them locally with
``--hypothesis-seed`` / a profile when hunting.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from threatledger.errors import ThreatledgerError
from threatledger.extract.dates import extract_dates
from threatledger.extract.indicators import extract_indicators
from threatledger.extract.vulnerabilities import extract_vulnerabilities
from threatledger.model import RawItem
from threatledger.normalise import normalise

CONTENT_TYPES = [
    None,
    "text/html",
    "text/html; charset=utf-8",
    "text/html; charset=utf-16",
    "text/html; charset=no-such-charset",
    "application/xhtml+xml",
    "application/pdf",
    "text/plain",
    "text/plain; charset=shift_jis",
    "text/markdown",
    "application/xml",
    "application/rss+xml",
    "application/octet-stream",
    "image/png",
]
LOCATORS = ["item", "page.html", "report.pdf", "notes.txt", "readme.md", "feed.xml", "odd.HTM"]
HTML_BITS = [
    "<html>", "</html>", "<head>", "<body>", "<p>", "</p>", "<div>", "</div>", "<article>", "<title>", "</title>",
    "<script>", "</script>", "<!--", "-->", "<![CDATA[", "]]>", "<meta charset='utf-16'>", '<html lang="x-y">',
    '<link rel="canonical" href="javascript:alert(1)">', "&amp;", "&#0;", "&#xD800;", "&nosuch;", "<", ">", "\x00",
    "<table><tr><td>", "<br/>", "<?xml version='1.0'?>", "<!DOCTYPE html>", "<svg><foreignObject>",
]  # fmt: skip
PDF_BITS = [
    b"%PDF-1.7\n", b"1 0 obj\n", b"<< /Type /Catalog /Pages 2 0 R >>", b"endobj\n", b"xref\n0 3\n",
    b"0000000000 65535 f \n", b"trailer\n<< /Root 1 0 R /Size 3 >>\n", b"startxref\n9999999\n", b"%%EOF",
    b"<< /Type /Pages /Kids [3 0 R] /Count 1000000 >>", b"stream\n", b"endstream\n", b"/Filter /FlateDecode",
    b"<< /Length 99999999 >>", b"(\\\\)", b"<feff00", b"/Encrypt << /V 5 >>",
]  # fmt: skip

html_bytes = st.lists(st.one_of(st.sampled_from(HTML_BITS), st.text(max_size=40)), max_size=40).map(
    lambda parts: "".join(parts).encode("utf-8", errors="surrogatepass")
)
pdf_bytes = st.lists(st.one_of(st.sampled_from(PDF_BITS), st.binary(max_size=40)), max_size=30).map(b"".join)
any_bytes = st.one_of(st.binary(max_size=2000), html_bytes, pdf_bytes)


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=any_bytes, content_type=st.sampled_from(CONTENT_TYPES), locator=st.sampled_from(LOCATORS))
def test_normalise_raises_only_threatledger_errors(
    content: bytes, content_type: str | None, locator: str
) -> None:
    item = RawItem(locator=locator, content=content, content_type=content_type)
    try:
        document = normalise(item, fetched="2024-01-01T00:00:00+00:00")
    except ThreatledgerError:
        return
    assert document.text.strip()
    assert "\x00" not in document.text
    assert "\r" not in document.text


DEFANGS = {
    ".": [".", "[.]", "(.)", "{.}", "[dot]", "(dot)", " [.] "],
    "@": ["@", "[@]", "[at]", "(at)"],
    "http": ["http", "hxxp", "hXXp", "h**p"],
}
label = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=3, max_size=12)
public_octet = st.integers(min_value=11, max_value=99)


def _defang(clean: str, draw: st.DrawFn) -> str:
    out = clean
    if out.startswith("http"):
        out = draw(st.sampled_from(DEFANGS["http"])) + out[4:]
    pieces = out.split(".")
    joined = pieces[0]
    for piece in pieces[1:]:
        joined += draw(st.sampled_from(DEFANGS["."])) + piece
    return joined


@st.composite
def defanged_indicator(draw: st.DrawFn) -> tuple[str, str, str]:
    kind = draw(st.sampled_from(["domain", "ipv4", "url"]))
    if kind == "ipv4":
        clean = ".".join(str(draw(public_octet)) for _ in range(4))
    else:
        clean = f"{draw(label)}-{draw(label)}.{draw(st.sampled_from(['com', 'net', 'ru', 'info', 'xyz']))}"
        if kind == "url":
            clean = f"http://{clean}/{draw(label)}"
    return kind, clean, _defang(clean, draw)


prose = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\x00"), max_size=60)


@settings(max_examples=300, deadline=None)
@given(before=prose, found=defanged_indicator(), after=prose)
def test_refanged_indicator_spans_index_the_text(
    before: str, found: tuple[str, str, str], after: str
) -> None:
    kind, clean, written = found
    text = f"{before} {written} {after}"
    indicators = extract_indicators(text)
    previous_end = 0
    for indicator in indicators:
        assert 0 <= indicator.start < indicator.end <= len(text)
        assert text[indicator.start : indicator.end] == indicator.text
        assert indicator.start >= previous_end, "indicators overlap or are out of order"
        previous_end = indicator.end
    at = len(before) + 1
    exact = [i for i in indicators if (i.start, i.end) == (at, at + len(written))]
    assert exact, f"{written!r} ({kind}) not found with its exact span in {text!r}: {indicators}"
    assert exact[0].value.rstrip("/") == clean.rstrip("/")


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=300), published=st.one_of(st.none(), st.dates()))
def test_indicators_never_crash_and_spans_are_exact(text: str, published: dt.date | None) -> None:
    for indicator in extract_indicators(text):
        assert text[indicator.start : indicator.end] == indicator.text


DATE_WORDS = [
    "January", "Feb.", "March", "Sept", "December", "2023", "2024", "1999", "31", "29", "0", "9999", "-", "–", "to",
    "between", "and", "from", "since", "early", "mid-", "late", "last year", "Q3", "H1", "the 1990s", "weeks",
    "months", "ago", "/", ",", " ", "\n", "2024-02-30", "12/31/2023", "on Monday", "yesterday", "of",
]  # fmt: skip
date_text = st.lists(st.one_of(st.sampled_from(DATE_WORDS), st.text(max_size=5)), max_size=30).map(" ".join)


@settings(max_examples=400, deadline=None)
@given(text=date_text, published=st.one_of(st.none(), st.dates()))
def test_dates_never_crash_and_spans_are_exact(text: str, published: dt.date | None) -> None:
    for expression in extract_dates(text, published):
        assert 0 <= expression.start < expression.end <= len(text)
        assert text[expression.start : expression.end] == expression.text
        assert expression.value


@settings(max_examples=200, deadline=None)
@given(
    day=st.dates(min_value=dt.date(1990, 1, 1), max_value=dt.date(2030, 12, 31)),
    before=st.sampled_from(["The breach began on ", "Reported ", "", "Officials said that on "]),
    after=st.sampled_from([".", ", officials said.", " and lasted weeks.", ""]),
)
def test_written_dates_resolve_with_their_exact_span(day: dt.date, before: str, after: str) -> None:
    written = f"{day:%B} {day.day}, {day.year}"
    text = f"{before}{written}{after}"
    found = [e for e in extract_dates(text, None) if e.text == written]
    assert found, f"{written!r} not found in {text!r}"
    assert found[0].start == len(before)
    assert found[0].value == day.isoformat()


def test_svg_before_the_html_element_is_a_clear_error() -> None:
    # found by test_normalise_raises_only_threatledger_errors: htmldate's clean-up dropped the root <svg> and
    # lxml's drop_tree asserted
    item = RawItem(locator="item", content=b"<svg><html>", content_type=None)
    with pytest.raises(ThreatledgerError, match="HTML could not be processed"):
        normalise(item, fetched="2024-01-01T00:00:00+00:00")


VULN_WORDS = [
    "CVE-2023-23397", "cve-2022-40684", "CVE-2021-44228", "in", "affecting", "the", "a", "flaw", "vulnerability",
    "bug", "(", ")", ",", ".", ";", "tracked as", "Microsoft", "Outlook", "for", "Windows", "FortiOS", "patched",
    "fixed", "'s", "-", "S7-400", "May", "2023", "\n", "\u2019s", "Apache Struts", "zero-day", "version 1.2.3.4",
]  # fmt: skip
vuln_text = st.lists(st.one_of(st.sampled_from(VULN_WORDS), st.text(max_size=6)), max_size=40).map(" ".join)


@pytest.fixture(scope="module")
def english() -> object:
    from threatledger.nlp import load_english

    return load_english()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=vuln_text)
def test_vulnerabilities_never_crash_and_spans_are_exact(english: object, text: str) -> None:
    sdoc = english(text)  # type: ignore[operator]
    found = extract_vulnerabilities(sdoc, extract_indicators(text))
    assert len({v.id for v in found}) == len(found)  # one record per id
    for v in found:
        for m in (*v.mentions, v.product, v.vendor):
            if m is not None:
                assert 0 <= m.start < m.end <= len(text) and text[m.start : m.end] == m.text
