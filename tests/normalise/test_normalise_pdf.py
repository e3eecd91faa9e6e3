"""PDF text with pypdf on PDFs written by the test: plain, capped, encrypted, broken, image-only."""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest

from threatledger.errors import InputError
from threatledger.normalise.pdf import extract_pdf

PdfFactory = Callable[..., bytes]  # the make_pdf fixture


def test_text_and_metadata(make_pdf: PdfFactory) -> None:
    data = make_pdf(
        ["Threat report (TLP:CLEAR)\nAPT29 used WINELOADER.", "", "Appendix: indicators"],
        metadata={
            "/Title": "Quarterly threat report",
            "/Author": "CERT-EX",
            "/CreationDate": "D:20240131120000Z",
        },
    )
    pdf = extract_pdf(data, "report.pdf")
    assert pdf.text == "Threat report (TLP:CLEAR)\nAPT29 used WINELOADER.\n\nAppendix: indicators"
    assert (pdf.title, pdf.author, pdf.published) == ("Quarterly threat report", "CERT-EX", "2024-01-31")
    assert (pdf.pages, pdf.pages_read, pdf.truncated) == (3, 3, False)


def test_page_cap_is_logged(make_pdf: PdfFactory, caplog: pytest.LogCaptureFixture) -> None:
    data = make_pdf([f"page {n}" for n in range(1, 6)])
    with caplog.at_level(logging.WARNING, logger="threatledger.normalise.pdf"):
        pdf = extract_pdf(data, "long.pdf", max_pages=2)
    assert pdf.text == "page 1\n\npage 2"
    assert pdf.truncated
    assert "5 pages; only the first 2" in caplog.text


def test_password_protected_pdf(make_pdf: PdfFactory) -> None:
    with pytest.raises(InputError, match="encrypted with a password") as caught:
        extract_pdf(make_pdf(["secret"], user_password="hunter2", owner_password="owner"), "locked.pdf")
    assert "locked.pdf" in str(caught.value)


def test_empty_user_password_opens(make_pdf: PdfFactory) -> None:
    pdf = extract_pdf(make_pdf(["readable anyway"], user_password="", owner_password="owner"), "perm.pdf")
    assert pdf.text == "readable anyway"


def test_pdf_without_text(make_pdf: PdfFactory) -> None:
    with pytest.raises(InputError, match="no extractable text"):
        extract_pdf(make_pdf(["", ""]), "scan.pdf")


@pytest.mark.parametrize("cut", [0.1, 0.5, 0.9])
def test_truncated_pdf(make_pdf: PdfFactory, cut: float) -> None:
    data = make_pdf(["some text that will be cut off"])
    with pytest.raises(InputError) as caught:
        extract_pdf(data[: int(len(data) * cut)], "cut.pdf")
    assert "cut.pdf" in str(caught.value)


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7\n" + bytes(range(256)) * 20,
        b"%PDF-",
        b"not a pdf at all",
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\n%%EOF",
    ],
)
def test_garbage_pdf(data: bytes) -> None:
    with pytest.raises(InputError):
        extract_pdf(data, "junk.pdf")
