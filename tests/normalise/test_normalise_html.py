"""HTML main text: boilerplate out, metadata in, pathological pages end as InputError or text, never a crash."""

from __future__ import annotations

import pytest

from threatledger.errors import InputError
from threatledger.normalise.html import extract_html


def test_main_text_without_boilerplate(article_page: str, boilerplate_markers: tuple[str, ...]) -> None:
    article = extract_html(article_page, "page.html", "https://news.example/2024/03/breach")
    assert article.text.startswith("Hackers breach agency network")
    assert "tracked as CVE-2023-12345" in article.text
    assert "203.0.113.7" in article.text  # tables are kept: indicators live there
    assert "strengthen its defences" in article.text
    for marker in boilerplate_markers:
        assert marker not in article.text


def test_metadata(article_page: str) -> None:
    article = extract_html(article_page, "page.html", "https://news.example/2024/03/breach")
    assert article.title == "Hackers breach agency network"
    assert article.author == "Jane Reporter"
    assert article.published == "2024-03-05"
    assert article.publisher == "Example News"
    assert article.language == "en"
    # Relative canonical links are resolved against the page URL.
    assert article.canonical_url == "https://news.example/2024/03/breach?utm_source=feed&id=7#top"


def test_canonical_without_page_url_must_be_absolute(article_page: str) -> None:
    assert extract_html(article_page, "page.html").canonical_url is None


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><nav><a href='/'>Home</a> <a href='/news'>News</a></nav><script>var a = 1;</script></body></html>",
        "<html><head><title>Only a title</title></head><body></body></html>",
        "",
        "   ",
        "\x01\x02<<<>>>&&&",
    ],
)
def test_pages_without_article_text(html: str) -> None:
    with pytest.raises(InputError) as caught:
        extract_html(html, "empty.html")
    assert "empty.html" in str(caught.value)


@pytest.mark.parametrize(
    "html",
    [
        "<html><body><p>" + "word " * 200_000 + "</p></body></html>",  # 1 MB on one line
        "<html><body><p>" + "x" * 1_000_000 + "</p></body></html>",
        "<html><body>"
        + "<div>" * 50_000
        + "<p>"
        + "deep text here. " * 40
        + "</p>"
        + "</div>" * 50_000
        + "</body></html>",
        "<html><body>" + "<div><span><b>" * 20_000 + "unclosed",
        "<table>" * 10_000,
        "<html><body><p>" + "&#x110000;&#0;&#xD800;" * 1000 + "</p></body></html>",
    ],
    ids=["long-line", "long-token", "deep-nesting", "deep-unclosed", "table-flood", "bad-references"],
)
def test_pathological_pages_do_not_crash(html: str) -> None:
    try:
        article = extract_html(html, "evil.html")
    except InputError as exc:
        assert "evil.html" in str(exc)
    else:
        assert article.text
