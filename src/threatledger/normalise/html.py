"""HTML to article text and metadata with trafilatura: navigation, menus, promos and comments stay out."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import trafilatura
from lxml import etree

from threatledger.errors import InputError
from threatledger.normalise.dates import iso_date

__all__ = ["MIN_ARTICLE_CHARS", "HtmlArticle", "extract_html"]

log = logging.getLogger(__name__)

# Below this, what trafilatura keeps is a stray menu label or button, not an article.
MIN_ARTICLE_CHARS = 40
# lxml and trafilatura raise these on malformed, oversized or pathological markup (deep nesting, huge lines).
_PARSE_ERRORS: tuple[type[BaseException], ...] = (
    etree.LxmlError,
    ValueError,
    TypeError,
    LookupError,
    RecursionError,
    UnicodeError,
    # htmldate (trafilatura's date search) removes <svg> elements with lxml's drop_tree, whose assert fails on
    # an element without a parent; found by tests/robustness/test_robust_properties.py
    AssertionError,
)


@dataclass(frozen=True, slots=True)
class HtmlArticle:
    """The main text of a page and the metadata the page itself declares."""

    text: str
    title: str | None = None
    author: str | None = None
    published: str | None = None  # YYYY-MM-DD
    canonical_url: str | None = None  # absolute, from <link rel="canonical">
    publisher: str | None = None  # site name (og:site_name and similar)
    language: str | None = None  # from <html lang>, primary subtag


def _first(values: list[Any]) -> str | None:
    for value in values:
        text = str(value).strip()
        if text:
            return text
    return None


def _page_hints(tree: Any, url: str | None) -> tuple[str | None, str | None]:
    """Canonical link and declared language, read before trafilatura prunes the tree."""
    canonical = None
    for link in tree.iter("link"):
        rel = (link.get("rel") or "").lower().split()
        href = (link.get("href") or "").strip()
        if "canonical" in rel and href:
            canonical = urljoin(url, href) if url else href
            break
    if canonical and not canonical.lower().startswith(("http://", "https://")):
        canonical = None
    lang = _first([tree.get("lang") or "", tree.get("{http://www.w3.org/XML/1998/namespace}lang") or ""])
    language = lang.split("-")[0].split("_")[0].lower() if lang else None
    return canonical, language or None


def _extract(tree: Any, url: str | None) -> Any:
    return trafilatura.bare_extraction(
        tree,
        url=url,
        include_comments=False,
        # Tables stay in: threat reports put indicators and affected versions in tables.
        include_tables=True,
        favor_precision=True,
        with_metadata=True,
        date_extraction_params={"extensive_search": False, "original_date": True},
    )


def extract_html(html: str, locator: str, url: str | None = None) -> HtmlArticle:
    """Main text and metadata of an HTML page. Raises InputError when the page holds no article text."""
    try:
        tree = trafilatura.load_html(html)
        if tree is None:
            raise InputError(
                "not parseable as HTML; check that the file really is a web page", locator=locator
            )
        canonical, language = _page_hints(tree, url)
        result = _extract(tree, url)
    except _PARSE_ERRORS as exc:
        raise InputError(
            f"HTML could not be processed ({type(exc).__name__}: {exc}); the page is malformed or too deeply nested",
            locator=locator,
        ) from exc
    text = (result.text or "").strip() if result is not None else ""
    if len(text) < MIN_ARTICLE_CHARS:
        raise InputError(
            "HTML holds no article text (only navigation, scripts or boilerplate); "
            "check the URL points at an article rather than an index page",
            locator=locator,
        )
    return HtmlArticle(
        text=text,
        title=(result.title or "").strip() or None,
        author=(result.author or "").strip() or None,
        published=iso_date(result.date),
        canonical_url=canonical,
        publisher=(result.sitename or "").strip() or None,
        language=language,
    )
