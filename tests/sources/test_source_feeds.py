"""poll_feed against a real HTTP server on 127.0.0.1: RSS, Atom, conditional GET, XML bombs, non-feeds."""

from __future__ import annotations

import time

import httpx
import pytest
from loopback_server import ETAG, LAST_MODIFIED, LoopbackServer

from threatledger.config import Settings
from threatledger.errors import SourceError, UnsafeURLError
from threatledger.normalise import normalise
from threatledger.sources.feeds import FeedEntry, entry_item, poll_feed
from threatledger.sources.web import make_client


def test_rss_entries(http_server: LoopbackServer, client: httpx.Client, settings: Settings) -> None:
    url = http_server.url("/feed.rss")
    poll = poll_feed(client, url, settings)
    assert poll.status == "new"
    assert poll.etag == ETAG
    assert poll.modified == LAST_MODIFIED
    assert poll.title == "Example Security Feed"
    assert poll.url == url
    first, second = poll.entries
    assert first.guid == "loader-2024"
    assert first.link == "https://news.example/loader"
    assert first.title == "New loader spreads via malvertising"
    assert first.published == "2024-03-05T10:00:00+00:00"
    assert first.summary == "A short teaser about a loader."
    assert first.content_html is not None and "second-stage payload" in first.content_html
    # No guid: the link stands in, resolved against the feed URL.
    assert second.link == http_server.url("/patch-tuesday")
    assert second.guid == second.link
    assert second.content_html is None


def test_atom_entries(http_server: LoopbackServer, client: httpx.Client, settings: Settings) -> None:
    poll = poll_feed(client, http_server.url("/feed.atom"), settings)
    (entry,) = poll.entries
    assert poll.title == "Example Atom Feed"
    assert entry.guid == "urn:example:botnet"
    assert entry.link == "https://news.example/botnet"
    assert entry.published == "2024-03-06T12:00:00+00:00"
    assert entry.content_html == "<p>Police in three countries took down a botnet.</p>"


@pytest.mark.parametrize(("etag", "modified"), [(ETAG, None), (None, LAST_MODIFIED), (ETAG, LAST_MODIFIED)])
def test_conditional_get_answers_not_modified(
    http_server: LoopbackServer,
    client: httpx.Client,
    settings: Settings,
    etag: str | None,
    modified: str | None,
) -> None:
    poll = poll_feed(client, http_server.url("/feed.atom"), settings, etag=etag, modified=modified)
    assert poll.status == "not-modified"
    assert poll.entries == ()
    assert poll.etag == ETAG
    sent = http_server.headers_for("/feed.atom")[-1]
    assert sent.get("If-None-Match") == etag
    assert sent.get("If-Modified-Since") == modified
    assert sent["User-Agent"] == settings.user_agent


@pytest.mark.parametrize("path", ["/bomb.xml", "/bomb-utf16.xml", "/xxe.xml"])
def test_entity_declarations_are_refused_quickly(
    http_server: LoopbackServer, client: httpx.Client, settings: Settings, path: str
) -> None:
    started = time.monotonic()
    with pytest.raises(SourceError, match="entities") as caught:
        poll_feed(client, http_server.url(path), settings)
    assert time.monotonic() - started < 1.0
    assert http_server.url(path) in str(caught.value)


@pytest.mark.parametrize("path", ["/not-a-feed", "/garbage-feed"])
def test_non_feeds_are_source_errors(
    http_server: LoopbackServer, client: httpx.Client, settings: Settings, path: str
) -> None:
    with pytest.raises(SourceError, match="feed") as caught:
        poll_feed(client, http_server.url(path), settings)
    assert http_server.url(path) in str(caught.value)


def test_feed_http_error(http_server: LoopbackServer, client: httpx.Client, settings: Settings) -> None:
    with pytest.raises(SourceError, match="404"):
        poll_feed(client, http_server.url("/missing"), settings)


def test_feed_guarded_by_default(http_server: LoopbackServer, guarded: Settings) -> None:
    with make_client(guarded) as client, pytest.raises(UnsafeURLError):
        poll_feed(client, http_server.url("/feed.rss"), guarded)


def test_entry_item_from_substantial_content(
    http_server: LoopbackServer, client: httpx.Client, settings: Settings
) -> None:
    feed_url = http_server.url("/feed.rss")
    first, second = poll_feed(client, feed_url, settings).entries
    item = entry_item(first, feed_url)
    assert item is not None
    assert item.source_kind == "feed"
    assert item.locator == item.url == "https://news.example/loader"
    assert item.title == first.title
    assert item.published == first.published
    assert entry_item(second, feed_url) is None  # a teaser is not an article
    document = normalise(item, fetched="2024-03-07T00:00:00+00:00")
    assert "second-stage payload" in document.text
    assert document.published == "2024-03-05"
    assert document.title == "New loader spreads via malvertising"
    assert document.source_kind == "feed"


def test_entry_item_without_link_uses_feed_and_guid() -> None:
    entry = FeedEntry(
        guid="urn:x:1",
        link=None,
        title="t",
        published=None,
        summary="<p>" + "word " * 200 + "</p>",
        content_html=None,
    )
    item = entry_item(entry, "https://feeds.example/rss")
    assert item is not None
    assert item.locator == "https://feeds.example/rss#urn:x:1"
    assert entry_item(entry, "https://feeds.example/rss", min_chars=10_000) is None
