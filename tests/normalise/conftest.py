"""Builders for the small HTML pages and PDFs the normalise tests read."""

from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

PdfFactory = Callable[..., bytes]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def build_pdf(
    pages: list[str],
    *,
    metadata: dict[str, str] | None = None,
    user_password: str | None = None,
    owner_password: str | None = None,
    algorithm: str = "RC4-128",
) -> bytes:
    """A real PDF with one line of Helvetica text per entry of ``pages`` (an empty entry: a blank page)."""
    writer = PdfWriter()
    font = DictionaryObject(
        {
            NameObject("/Type"): NameObject("/Font"),
            NameObject("/Subtype"): NameObject("/Type1"),
            NameObject("/BaseFont"): NameObject("/Helvetica"),
        }
    )
    font_ref = writer._add_object(font)
    for text in pages:
        page = writer.add_blank_page(width=612, height=792)
        if not text:
            continue
        lines = [
            f"BT /F1 12 Tf 72 {720 - 16 * i} Td ({_escape(line)}) Tj ET"
            for i, line in enumerate(text.split("\n"))
        ]
        stream = DecodedStreamObject()
        stream.set_data("\n".join(lines).encode("latin-1"))
        page[NameObject("/Contents")] = writer._add_object(stream)
        page[NameObject("/Resources")] = DictionaryObject(
            {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font_ref})}
        )
    if metadata:
        writer.add_metadata(metadata)
    if user_password is not None:
        writer.encrypt(user_password=user_password, owner_password=owner_password, algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


@pytest.fixture()
def make_pdf() -> PdfFactory:
    return build_pdf


ARTICLE_PAGE = """<!DOCTYPE html>
<html lang="en-GB"><head><meta charset="utf-8">
<title>Hackers breach agency network | Example News</title>
<link rel="canonical" href="/2024/03/breach?utm_source=feed&amp;id=7#top">
<meta property="og:site_name" content="Example News">
<meta name="author" content="Jane Reporter">
<meta property="article:published_time" content="2024-03-05T10:00:00Z">
<script>var tracking = "SCRIPT-SECRET";</script>
<style>.x{color:red}</style>
</head><body>
<header><nav><ul><li><a href="/">Home</a></li><li><a href="/news">NAV-MENU-NEWS</a></li>
<li><a href="/about">About us</a></li></ul></nav></header>
<div class="promo">PROMO-BOX Subscribe to our newsletter for 50% off today!</div>
<main><article>
<h1>Hackers breach agency network</h1>
<p>The national cybersecurity agency disclosed on Tuesday that attackers had gained access to its email systems
for nine months before the intrusion was discovered in June.</p>
<p>According to the agency, the attackers exploited a vulnerability in email software, tracked as CVE-2023-12345,
to obtain credentials and move laterally into internal systems that stored personal information of staff.</p>
<div class="newsletter-promo">PROMO-INLINE Get our daily briefing in your inbox. Sign up now!</div>
<p>Investigators believe a state-backed group was responsible, although the agency declined to name the country.
Security researchers said the techniques resembled those used by a known espionage campaign in the region.</p>
<table><tr><th>Indicator</th><th>Type</th></tr><tr><td>203.0.113.7</td><td>IPv4</td></tr></table>
<p>The agency said it had notified affected individuals and was working with partners to strengthen its defences
against similar attacks in the future.</p>
<script>document.write("SCRIPT-INLINE")</script>
</article></main>
<aside class="related">RELATED-LINKS Read more: ten tips for safer passwords</aside>
<section id="comments" class="comments"><h3>Comments</h3>
<div class="comment"><p>COMMENT-TEXT This is terrible, who is responsible for this mess? Somebody should resign over
this, honestly, it is the third time this year.</p></div></section>
<footer>FOOTER-TEXT Copyright 2024 Example News. All rights reserved.</footer>
</body></html>"""

BOILERPLATE_MARKERS = (
    "NAV-MENU",
    "PROMO-BOX",
    "PROMO-INLINE",
    "COMMENT-TEXT",
    "FOOTER-TEXT",
    "SCRIPT-SECRET",
    "SCRIPT-INLINE",
    "RELATED-LINKS",
)


@pytest.fixture()
def article_page() -> str:
    return ARTICLE_PAGE


@pytest.fixture()
def boilerplate_markers() -> tuple[str, ...]:
    return BOILERPLATE_MARKERS
