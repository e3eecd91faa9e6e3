"""A real HTTP server on 127.0.0.1 serving the pages, feeds and failures the source tests need."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ARTICLE_HTML = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Ransomware hits hospital chain | Example News</title>
<link rel="canonical" href="https://news.example/2024/ransomware-hospital?utm_source=rss">
<meta property="og:site_name" content="Example News">
<script>var secret = "SCRIPT-SECRET";</script></head>
<body><nav><a href="/">Home</a> <a href="/news">NAV-MENU</a></nav>
<article><h1>Ransomware hits hospital chain</h1>
<p>A ransomware attack disrupted systems at a regional hospital chain on Monday, forcing staff to divert ambulances
and postpone planned operations while engineers restored services from backups.</p>
<p>The LockBit group later claimed responsibility on its leak site and threatened to publish patient records unless a
ransom was paid within seven days, according to researchers who monitor the site.</p>
</article><footer>FOOTER-TEXT</footer></body></html>"""

ENTRY_BODY = (
    "<p>Researchers published a detailed analysis of a new loader that spreads through malicious advertisements "
    "and fake software updates. The loader retrieves a second-stage payload from a rotating set of domains and "
    "uses scheduled tasks for persistence on infected machines.</p>"
    "<p>The campaign has targeted manufacturing and logistics companies in Europe since at least January, and the "
    "researchers shared indicators of compromise, including file hashes and command-and-control addresses, with "
    "national computer emergency response teams in several countries.</p>"
)

RSS = f"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Example Security Feed</title><link>https://news.example/</link>
<item><title>New loader spreads via malvertising</title><link>https://news.example/loader</link>
<guid isPermaLink="false">loader-2024</guid><pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate>
<description>A short teaser about a loader.</description>
<content:encoded><![CDATA[{ENTRY_BODY}]]></content:encoded></item>
<item><title>Patch Tuesday roundup</title><link>/patch-tuesday</link>
<pubDate>Wed, 13 Mar 2024 08:30:00 GMT</pubDate><description>Only a teaser.</description></item>
</channel></rss>"""

ATOM = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Example Atom Feed</title><id>urn:example:feed</id>
<updated>2024-03-06T12:00:00Z</updated>
<entry><title>Botnet takedown</title><id>urn:example:botnet</id><link href="https://news.example/botnet"/>
<updated>2024-03-06T12:00:00Z</updated><summary>Police took down a botnet.</summary>
<content type="html">&lt;p&gt;Police in three countries took down a botnet.&lt;/p&gt;</content></entry>
</feed>"""

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>https://news.example/x</link></item></channel></rss>"""

XXE = """<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>&xxe;</title><item><title>x</title></item></channel></rss>"""

ETAG = '"feed-v1"'
LAST_MODIFIED = "Tue, 05 Mar 2024 10:00:00 GMT"


@dataclass
class LoopbackServer:
    base: str
    port: int
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"{self.base}{path}"

    def headers_for(self, path: str) -> list[dict[str, str]]:
        return [headers for seen, headers in self.requests if seen == path]


Route = Callable[[BaseHTTPRequestHandler], None]


def _send(
    handler: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str | None, **headers: str
) -> None:
    handler.send_response(status)
    if content_type:
        handler.send_header("Content-Type", content_type)
    handler.send_header("Content-Length", str(len(body)))
    for name, value in headers.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


def _static(body: str | bytes, content_type: str | None, status: int = 200, **headers: str) -> Route:
    data = body.encode("utf-8") if isinstance(body, str) else body
    return lambda h: _send(h, status, data, content_type, **headers)


def _redirect(location: str, status: int = 302) -> Route:
    def route(h: BaseHTTPRequestHandler) -> None:
        h.send_response(status)
        h.send_header("Location", location.format(port=h.server.server_address[1]))
        h.send_header("Content-Length", "0")
        h.end_headers()

    return route


def _conditional(body: str, content_type: str) -> Route:
    def route(h: BaseHTTPRequestHandler) -> None:
        if h.headers.get("If-None-Match") == ETAG or h.headers.get("If-Modified-Since") == LAST_MODIFIED:
            h.send_response(304)
            h.send_header("ETag", ETAG)
            h.end_headers()
            return
        _send(h, 200, body.encode("utf-8"), content_type, ETag=ETAG, Last_Modified=LAST_MODIFIED)

    return route


def _slow(h: BaseHTTPRequestHandler) -> None:
    time.sleep(1.5)
    _send(h, 200, b"late", "text/plain")


def _drip(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.end_headers()
    try:
        for _ in range(40):
            h.wfile.write(b"x")
            h.wfile.flush()
            time.sleep(0.05)
    except OSError:
        pass  # the client gave up, as it should


def _unbounded(h: BaseHTTPRequestHandler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/plain")
    h.end_headers()
    try:
        for _ in range(100):
            h.wfile.write(b"y" * 1024)
    except OSError:
        pass


ROUTES: dict[str, Route] = {
    "/article.html": _static(ARTICLE_HTML, "text/html; charset=utf-8"),
    "/plain.txt": _static("Plain text advisory.\r\nSecond line.", "text/plain; charset=windows-1252"),
    "/notype": _static(ARTICLE_HTML, None),
    "/image.png": _static(b"\x89PNG\r\n\x1a\n" + bytes(100), "image/png"),
    "/missing": _static("not here", "text/html", status=404),
    "/broken": _static("oops", "text/html", status=500),
    "/slow": _slow,
    "/drip": _drip,
    "/big": _static(b"z" * 5000, "text/plain"),
    "/big-unbounded": _unbounded,
    "/redirect/3": _redirect("/redirect/2", 301),
    "/redirect/2": _redirect("/redirect/1", 307),
    "/redirect/1": _redirect("http://127.0.0.1:{port}/article.html", 308),
    "/loop": _redirect("/loop"),
    "/to-metadata": _redirect("http://169.254.169.254/latest/meta-data/"),
    "/to-localhost": _redirect("http://localhost:{port}/article.html"),
    "/to-ipv6-loopback": _redirect("http://[::1]:{port}/article.html"),
    "/to-mapped": _redirect("http://[::ffff:127.0.0.1]:{port}/article.html"),
    "/to-private": _redirect("http://10.1.2.3/"),
    "/to-file": _redirect("file:///etc/passwd"),
    "/feed.rss": _conditional(RSS, "application/rss+xml; charset=utf-8"),
    "/feed.atom": _conditional(ATOM, "application/atom+xml"),
    "/bomb.xml": _static(BILLION_LAUGHS, "application/rss+xml"),
    "/bomb-utf16.xml": _static(
        BILLION_LAUGHS.replace('"1.0"?>', '"1.0" encoding="utf-16"?>', 1).encode("utf-16"), "application/xml"
    ),
    "/xxe.xml": _static(XXE, "application/rss+xml"),
    "/not-a-feed": _static(ARTICLE_HTML, "text/html"),
    "/garbage-feed": _static(b"\x00\x01 just bytes, no xml here", "application/xml"),
}


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        server: LoopbackServer = self.server.record  # type: ignore[attr-defined]
        path = self.path.split("?", 1)[0]
        server.requests.append((path, dict(self.headers.items())))
        route = ROUTES.get(path)
        if route is None:
            _send(self, 404, b"no route", "text/plain")
        else:
            route(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve() -> Iterator[LoopbackServer]:
    """Run the server in a daemon thread for the duration of the block."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    port = httpd.server_address[1]
    record = LoopbackServer(base=f"http://127.0.0.1:{port}", port=port)
    httpd.record = record  # type: ignore[attr-defined]
    thread = threading.Thread(target=httpd.serve_forever, name="loopback-http", daemon=True)
    thread.start()
    try:
        yield record
    finally:
        httpd.shutdown()
        httpd.server_close()
