"""normalise(): RawItem -> Document across kinds, with ids, canonical URLs, hints and languages."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from threatledger.errors import InputError
from threatledger.ids import make_id, text_sha256
from threatledger.model import RawItem
from threatledger.normalise import content_kind, normalise

FETCHED = "2024-03-07T09:00:00+00:00"
PdfFactory = Callable[..., bytes]


def test_html_document(article_page: str, boilerplate_markers: tuple[str, ...]) -> None:
    item = RawItem(
        locator="https://news.example/2024/03/breach?utm_source=rss",
        content=article_page.encode("utf-8"),
        content_type="text/html; charset=utf-8",
        url="https://news.example/2024/03/breach?utm_source=rss",
        title="Feed title (loses to the page's own)",
        source_kind="url",
    )
    doc = normalise(item, FETCHED)
    assert doc.sha256 == text_sha256(doc.text)
    assert doc.id == make_id("document", sha256=doc.sha256)
    assert doc.canonical_url == "https://news.example/2024/03/breach?id=7"
    assert doc.url == item.url
    assert doc.title == "Hackers breach agency network"
    assert (doc.author, doc.publisher, doc.published) == ("Jane Reporter", "Example News", "2024-03-05")
    assert doc.language == "en"
    assert (doc.fetched, doc.source, doc.source_kind) == (FETCHED, item.locator, "url")
    assert not any(marker in doc.text for marker in boilerplate_markers)


def test_hints_fill_gaps() -> None:
    html = (
        "<html><body><article><p>"
        + "The botnet infected routers in forty countries. " * 5
        + "</p></article></body></html>"
    )
    item = RawItem(
        locator="x.jsonl#1",
        content=html.encode(),
        content_type="text/html; charset=utf-8",
        url="https://NEWS.example/botnet?fbclid=1#top",
        title="Botnet takedown",
        published="Tue, 05 Mar 2024 10:00:00 GMT",
        author="A. Writer",
        publisher="Example News",
        source_kind="json",
    )
    doc = normalise(item, FETCHED)
    assert (doc.title, doc.published, doc.author, doc.publisher) == (
        "Botnet takedown",
        "2024-03-05",
        "A. Writer",
        "Example News",
    )
    assert doc.canonical_url == "https://news.example/botnet"
    assert doc.source_kind == "json"


def test_text_document_keeps_text_exact() -> None:
    body = (
        "Agency breached by hackers\r\n\r\nThe agency said  attackers\twere inside for nine months.\x00\r\n"
    )
    doc = normalise(
        RawItem(locator="a.txt", content=body.encode("cp1252"), content_type="text/plain"), FETCHED
    )
    assert (
        doc.text == "Agency breached by hackers\n\nThe agency said  attackers\twere inside for nine months.\n"
    )
    assert doc.title == "Agency breached by hackers"
    assert doc.canonical_url is None
    assert doc.language is None  # too few words to tell; undetermined rather than assumed


def test_text_title_skips_page_debris() -> None:
    content = "Japan flag\nImage: A. Photographer via Unsplash\n\nAgency breached by suspected hackers: report\n\nBody."
    doc = normalise(RawItem(locator="a.txt", content=content.encode()), FETCHED)
    assert doc.title == "Agency breached by suspected hackers: report"
    assert normalise(RawItem(locator="b.txt", content=b"short\n\nbody"), FETCHED).title is None


def test_markdown_title_and_declared_title_wins() -> None:
    content = b"# Breach at the agency\n\nDetails follow."
    assert normalise(RawItem(locator="a.md", content=content), FETCHED).title == "Breach at the agency"
    assert normalise(RawItem(locator="a.md", content=content, title="Given"), FETCHED).title == "Given"


def test_same_text_same_id() -> None:
    a = normalise(RawItem(locator="a.txt", content=b"Same  article\ntext."), FETCHED)
    b = normalise(RawItem(locator="b.txt", content=b"Same article text.\r\n"), "2025-01-01T00:00:00+00:00")
    assert a.id == b.id
    assert a.text != b.text


def test_pdf_sniffed_without_type(make_pdf: PdfFactory) -> None:
    data = make_pdf(["Incident report", "Second page"], metadata={"/Title": "IR-7"})
    item = RawItem(
        locator="https://cdn.example/download?id=3", content=data, content_type="application/octet-stream"
    )
    doc = normalise(item, FETCHED)
    assert doc.text == "Incident report\n\nSecond page"
    assert doc.title == "IR-7"


@pytest.mark.parametrize(
    ("item", "kind"),
    [
        (RawItem(locator="a", content=b"%PDF-1.7 ..."), "pdf"),
        (RawItem(locator="a", content=b"\n  <!DOCTYPE html><html>"), "html"),
        (RawItem(locator="a", content="<html><body>x".encode("utf-16-le")), "html"),
        (RawItem(locator="page.htm", content=b"text"), "html"),
        (RawItem(locator="a", content=b"<?xml version='1.0'?><rss version='2.0'>"), "feed"),
        (RawItem(locator="a", content=b"<?xml version='1.0'?><html xmlns='x'>"), "html"),
        (RawItem(locator="a", content=b"<html>", content_type="application/rss+xml"), "html"),
        (RawItem(locator="a", content=b"<rss>", content_type="application/rss+xml"), "feed"),
        (RawItem(locator="a.txt", content=b"<p>literal markup in a text file</p>"), "text"),
        (RawItem(locator="a", content=b"just words"), "text"),
    ],
)
def test_content_kind(item: RawItem, kind: str) -> None:
    assert content_kind(item) == kind


@pytest.mark.parametrize(
    ("item", "message"),
    [
        (RawItem(locator="empty.txt", content=b""), "empty document"),
        (RawItem(locator="blank.txt", content=b" \r\n\t\x00\n"), "empty document"),
        (RawItem(locator="junk.bin.txt", content=bytes(range(256)) * 8), "binary file"),
        (
            RawItem(locator="nav.html", content=b"<html><body><nav>Home</nav></body></html>"),
            "no article text",
        ),
        (RawItem(locator="f.xml", content=b"<?xml version='1.0'?><rss version='2.0'></rss>"), "feed"),
        (RawItem(locator="bad.pdf", content=b"%PDF-1.4 broken"), "PDF"),
    ],
)
def test_bad_items_are_input_errors(item: RawItem, message: str) -> None:
    with pytest.raises(InputError, match=message) as caught:
        normalise(item, FETCHED)
    assert item.locator in str(caught.value)


def test_charset_from_meta_tag_and_language_attribute() -> None:
    html = (
        '<html lang="de-DE"><head><meta charset="iso-8859-1"><title>Angriff</title></head><body><article>'
        "<p>Die Behörde hat den Angriff im März bemerkt und die Täter sind noch nicht bekannt, sagte ein Sprecher.</p>"
        "</article></body></html>"
    )
    doc = normalise(RawItem(locator="de.html", content=html.encode("latin-1")), FETCHED)
    assert "Behörde" in doc.text and "März" in doc.text
    assert doc.language == "de"


def test_plain_text_dateline_gives_the_publication_date() -> None:
    from threatledger.normalise.dates import dateline_date

    assert (
        dateline_date("Port hit\n\nBy Dana Ortiz, Coastal Ledger, published 2024-03-14\n\nText.")
        == "2024-03-14"
    )
    assert dateline_date("# Title\n\n*Baltic Cyber Review, May 2, 2024*\n\nText.") == "2024-05-02"
    assert dateline_date("Title\nThe attack began on 2024-01-05 and spread.") is None
    assert dateline_date("Title\n" + "Body line.\n" * 10 + "Published 2024-01-05") is None
