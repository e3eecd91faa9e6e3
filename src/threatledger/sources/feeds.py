"""RSS and Atom feeds: conditional polling, an XML-bomb guard, and entries as plain records.

The per-feed cursor (guids already seen, ETag, Last-Modified) belongs to the store; :func:`poll_feed` takes the
validators of the previous poll and returns every entry of the feed for the caller to filter.

Before feedparser sees a byte, the body is refused when it declares entities (``<!ENTITY``: the billion-laughs and
external-entity attacks) or carries a DOCTYPE with an internal subset; a plain DOCTYPE, as in RSS 0.91, is
allowed. Well-formed feeds are also parsed by defusedxml with entities forbidden, which catches declarations in
encodings the byte check cannot read.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Collection
from dataclasses import dataclass
from datetime import UTC, datetime
from html import unescape
from typing import Any
from xml.etree.ElementTree import ParseError

import feedparser
import httpx
from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring as defused_fromstring

from threatledger.config import Settings
from threatledger.errors import SourceError
from threatledger.ids import make_id
from threatledger.model import RawItem
from threatledger.sources.web import fetch

__all__ = ["FEED_TYPES", "MIN_ENTRY_CHARS", "FeedEntry", "FeedPoll", "entry_item", "poll_feed"]

log = logging.getLogger(__name__)

FEED_TYPES = frozenset(
    {
        "application/rss+xml",
        "application/atom+xml",
        "application/rdf+xml",
        "application/xml",
        "text/xml",
        "application/feed+xml",
        "application/x-rss+xml",
        "text/plain",
        "text/html",  # servers that mislabel feeds; the parser decides
    }
)
# Embedded entry content shorter than this is a teaser, not an article worth reading without the linked page.
MIN_ENTRY_CHARS = 500
_ENTITY_DECL = re.compile(rb"<!ENTITY", re.IGNORECASE)
_INTERNAL_SUBSET = re.compile(rb"<!DOCTYPE[^>\[]*\[", re.IGNORECASE)
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True, slots=True)
class FeedEntry:
    guid: str  # the entry id, else its link, else a deterministic id from title and date
    link: str | None
    title: str | None
    published: str | None  # ISO-8601 datetime in UTC
    summary: str | None
    content_html: str | None


@dataclass(frozen=True, slots=True)
class FeedPoll:
    status: str  # 'new' (a body was read) | 'not-modified' (HTTP 304: no entries)
    etag: str | None
    modified: str | None  # the Last-Modified value to send next time
    title: str | None
    entries: tuple[FeedEntry, ...] = ()
    url: str | None = None  # the feed URL after redirects


def _guard(data: bytes, feed_url: str) -> None:
    """Refuse entity declarations and DOCTYPE internal subsets before any XML parser expands them."""
    ascii_view = data.replace(b"\x00", b"")  # UTF-16/32 markup reads as ASCII without its NULs
    if _ENTITY_DECL.search(ascii_view) or _INTERNAL_SUBSET.search(ascii_view):
        raise SourceError(
            "feed refused: it declares XML entities or a DOCTYPE internal subset (possible XML bomb); "
            "threatledger does not expand them",
            locator=feed_url,
        )
    try:
        defused_fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException as exc:
        raise SourceError(
            f"feed refused: unsafe XML construct ({type(exc).__name__}); threatledger does not expand entities",
            locator=feed_url,
        ) from exc
    except (ParseError, ValueError, LookupError) as exc:
        log.debug("%s: not well-formed XML (%s); leaving it to the lenient feed parser", feed_url, exc)


def _iso(parsed: Any) -> str | None:
    if not isinstance(parsed, time.struct_time):
        return None
    try:
        return datetime(*parsed[:6], tzinfo=UTC).isoformat()
    except (ValueError, OverflowError):
        return None


def _text(value: Any) -> str | None:
    return value.strip() or None if isinstance(value, str) else None


def _content_html(entry: Any) -> str | None:
    contents = [c for c in entry.get("content") or [] if _text(c.get("value"))]
    for content in contents:
        if "html" in (content.get("type") or ""):
            return str(content["value"])
    return str(contents[0]["value"]) if contents else None


def _entry(entry: Any, feed_url: str) -> FeedEntry:
    link = _text(entry.get("link"))
    title = _text(entry.get("title"))
    published = _iso(entry.get("published_parsed")) or _iso(entry.get("updated_parsed"))
    guid = (
        _text(entry.get("id"))
        or link
        or make_id("feed-entry", feed=feed_url, title=title, published=published)
    )
    return FeedEntry(
        guid=guid,
        link=link,
        title=title,
        published=published,
        summary=_text(entry.get("summary")),
        content_html=_content_html(entry),
    )


def poll_feed(
    client: httpx.Client,
    feed_url: str,
    settings: Settings,
    etag: str | None = None,
    modified: str | None = None,
    *,
    trusted: Collection[str] = (),
) -> FeedPoll:
    """Fetch a feed with a conditional GET (If-None-Match / If-Modified-Since) and parse its entries.

    Raises SourceError when the feed cannot be fetched, is refused by the XML guard, or is not a feed at all.
    """
    headers = {"Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.8"}
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    fetched = fetch(client, feed_url, settings, headers=headers, accept=FEED_TYPES, trusted=trusted)
    if fetched.status == 304:
        log.info("%s: not modified", feed_url)
        return FeedPoll(
            status="not-modified",
            etag=fetched.etag or etag,
            modified=fetched.last_modified or modified,
            title=None,
            url=fetched.url,
        )
    _guard(fetched.content, feed_url)
    response_headers = {"content-location": fetched.url}
    if fetched.content_type:
        response_headers["content-type"] = fetched.content_type
    parsed = feedparser.parse(fetched.content, response_headers=response_headers)
    entries = tuple(_entry(e, feed_url) for e in parsed.entries)
    title = _text(parsed.feed.get("title"))
    if parsed.bozo and not entries:
        reason = parsed.get("bozo_exception")
        raise SourceError(
            f"not a readable RSS/Atom feed ({type(reason).__name__ if reason else 'unknown'}: {reason}); "
            "check the feed URL",
            locator=feed_url,
        )
    if not entries and not title and not parsed.get("version"):
        raise SourceError(
            "not an RSS/Atom feed (no feed element found); check the feed URL", locator=feed_url
        )
    if parsed.bozo:
        log.warning(
            "%s: feed is not well-formed (%s); %d entries read", feed_url, parsed.bozo_exception, len(entries)
        )
    log.info("%s: %d entries", feed_url, len(entries))
    return FeedPoll(
        status="new",
        etag=fetched.etag,
        modified=fetched.last_modified,
        title=title,
        entries=entries,
        url=fetched.url,
    )


def _visible_chars(html: str) -> int:
    return len(" ".join(unescape(_TAG.sub(" ", html)).split()))


def entry_item(entry: FeedEntry, feed_url: str, min_chars: int = MIN_ENTRY_CHARS) -> RawItem | None:
    """A RawItem from the entry's embedded content when it is substantial (at least ``min_chars`` of text).

    Used when the linked article cannot be fetched; None when the feed carries only a teaser.
    """
    for html in (entry.content_html, entry.summary):
        if html and _visible_chars(html) >= min_chars:
            return RawItem(
                locator=entry.link or f"{feed_url}#{entry.guid}",
                content=html.encode("utf-8"),
                content_type="text/html; charset=utf-8",
                url=entry.link,
                title=entry.title,
                published=entry.published,
                source_kind="feed",
            )
    return None
