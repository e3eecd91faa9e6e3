"""The CLI as a user runs it: ingest a folder of every file type and a loopback feed into a real SQLite ledger."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from pypdf import PdfWriter
from pypdf.generic import DecodedStreamObject, DictionaryObject, NameObject

ARTICLE = (
    "Officials at the Coral Bay Port Authority said on Monday that a ransomware attack had halted container "
    "operations for two days. The port said attackers encrypted its terminal operating system and that the "
    "BlackCat ransomware group claimed responsibility. Investigators said the intrusion began in early May."
)
PAGE = f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Port halted by ransomware | Harbour News</title>
<link rel="canonical" href="https://harbour.example/port-ransomware"><script>var x = "scriptword";</script></head>
<body><nav><a href="/">Home</a> <a href="/m">navigationword menu</a></nav>
<article><h1>Port halted by ransomware</h1><p>{ARTICLE}</p>
<p>Shipping companies diverted vessels to neighbouring ports while engineers restored the systems from backups,
and the port authority said it had notified the national cyber security centre and the police.</p></article>
<footer>footerword subscribe</footer></body></html>"""


def _pdf(text: str) -> bytes:
    import io

    writer = PdfWriter()
    font = writer._add_object(
        DictionaryObject(
            {
                NameObject("/Type"): NameObject("/Font"),
                NameObject("/Subtype"): NameObject("/Type1"),
                NameObject("/BaseFont"): NameObject("/Helvetica"),
            }
        )
    )
    page = writer.add_blank_page(width=612, height=792)
    stream = DecodedStreamObject()
    stream.set_data(
        "\n".join(
            f"BT /F1 10 Tf 40 {740 - 14 * i} Td ({line}) Tj ET" for i, line in enumerate(text.split(". "))
        ).encode("latin-1")
    )
    page[NameObject("/Contents")] = writer._add_object(stream)
    page[NameObject("/Resources")] = DictionaryObject(
        {NameObject("/Font"): DictionaryObject({NameObject("/F1"): font})}
    )
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def run(db: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "THREATLEDGER_DB": str(db)}
    result = subprocess.run(
        [sys.executable, "-m", "threatledger", *args], capture_output=True, text=True, env=env, timeout=600
    )
    if check and result.returncode != 0:
        raise AssertionError(f"exit {result.returncode}\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture()
def corpus(tmp_path: Path) -> Path:
    folder = tmp_path / "in"
    folder.mkdir()
    (folder / "a.txt").write_text(
        "Hackers breached the Lumen Water utility in Ohio, stealing billing records "
        "of 20,000 customers, the company said on Friday.\n",
        encoding="utf-8",
    )
    (folder / "b.md").write_text(
        "# Bank warns of phishing\n\nCustomers of Northwind Bank received phishing "
        "emails that impersonated its fraud team, the bank said.\n",
        encoding="utf-8",
    )
    (folder / "c.html").write_text(PAGE, encoding="utf-8")
    (folder / "d.pdf").write_bytes(
        _pdf(
            "Researchers disclosed a critical flaw in Orbit Router firmware. "
            "The vendor released a patch on Tuesday"
        )
    )
    (folder / "e.json").write_text(
        json.dumps(
            {
                "title": "Retailer breach",
                "url": "https://news.example/retail",
                "published": "2024-05-01",
                "text": "Retailer Fjord Goods said attackers stole payment card "
                "data from its online store in April.",
            }
        ),
        encoding="utf-8",
    )
    (folder / "f.jsonl").write_text(
        json.dumps(
            {
                "title": "Latin-1 test",
                "text": "A café chain in Lyon reported a breach of its loyalty database.",
            }
        )
        + "\n",
        encoding="utf-8",
    )
    (folder / "g.txt").write_bytes(
        "Une attaque contre la mairie de Besançon a paralysé les services, selon la préfecture.".encode(
            "cp1252"
        )
    )
    (folder / "broken.pdf").write_bytes(b"%PDF-1.7\n1 0 obj <<>> garbage")
    (folder / "empty.txt").write_text("   \n", encoding="utf-8")
    return folder


@pytest.mark.slow
def test_ingest_folder_then_again_adds_nothing(tmp_path: Path, corpus: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    first = run(db, "ingest", str(corpus), "--json", check=False)
    assert first.returncode == 1, first.stderr  # two bad files: the exit status says so
    report = json.loads(first.stdout)
    assert report["summary"]["added"] == 7 and report["summary"]["failed"] == 2
    failed = {Path(o["locator"]).name: o["message"] for o in report["outcomes"] if o["status"] == "failed"}
    assert set(failed) == {"broken.pdf", "empty.txt"}
    assert all(Path(name).name in message for name, message in failed.items())
    second = json.loads(run(db, "ingest", str(corpus), "--json", check=False).stdout)
    assert second["summary"]["added"] == 0 and second["summary"]["duplicate"] == 7
    docs = json.loads(run(db, "documents", "--json").stdout)
    assert len(docs) == 7
    hits = json.loads(run(db, "search", "container operations", "--json").stdout)
    assert hits and hits[0]["title"].startswith("Port halted")
    for boilerplate in ("navigationword", "footerword", "scriptword"):
        assert json.loads(run(db, "search", boilerplate, "--json").stdout) == []
    assert json.loads(run(db, "search", "Besançon", "--json").stdout)


class _FeedHandler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_GET(self) -> None:
        base = f"http://127.0.0.1:{self.server.server_address[1]}"
        if self.path == "/feed.xml":
            if self.headers.get("If-None-Match") == '"v1"':
                self.send_response(304)
                self.end_headers()
                return
            body = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Loopback security news</title>
<item><title>Port halted by ransomware</title><link>{base}/port</link><guid>port-1</guid>
<pubDate>Mon, 06 May 2024 09:00:00 GMT</pubDate></item>
<item><title>Gone</title><link>{base}/missing</link><guid>missing-1</guid></item>
</channel></rss>""".encode()
            self._send(200, "application/rss+xml", body, ETag='"v1"')
        elif self.path == "/port":
            self._send(200, "text/html; charset=utf-8", PAGE.encode())
        else:
            self._send(404, "text/plain", b"not found")

    def _send(self, status: int, ctype: str, body: bytes, **headers: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture()
def feed_server() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _FeedHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.slow
def test_feed_poll_is_incremental_and_guarded(tmp_path: Path, feed_server: str) -> None:
    db = tmp_path / "ledger.sqlite3"
    run(db, "feeds", "add", f"{feed_server}/feed.xml")
    refused = run(db, "feeds", "poll", "--json", check=False)
    assert refused.returncode == 1 and "private" in refused.stdout.lower() + refused.stderr.lower()
    first = run(db, "feeds", "poll", "--allow-private", "--json", check=False)
    report = json.loads(first.stdout)
    assert report["summary"]["added"] == 1 and report["summary"]["failed"] == 1  # the 404 item
    assert any("404" in (o["message"] or "") for o in report["outcomes"])
    second = json.loads(run(db, "feeds", "poll", "--allow-private", "--json", check=False).stdout)
    assert second["summary"] == {"added": 0, "duplicate": 0, "near-duplicate": 0, "failed": 0}
    (feed,) = json.loads(run(db, "feeds", "list", "--json").stdout)
    assert feed["etag"] == '"v1"' and feed["title"] == "Loopback security news"
    assert json.loads(run(db, "search", "container", "--json").stdout)


def test_show_ties_a_cve_to_its_product_and_vendor(tmp_path: Path) -> None:
    db = tmp_path / "ledger.sqlite3"
    advisory = tmp_path / "advisory.txt"
    advisory.write_text(
        "Fortinet urges customers to patch\n\n"
        "Fortinet fixed CVE-2022-40684 in FortiOS on Monday after attackers exploited it. "
        "Researchers also saw CVE-2021-44228 in use.\n",
        encoding="utf-8",
    )
    report = json.loads(run(db, "ingest", str(advisory), "--json").stdout)
    (outcome,) = report["outcomes"]
    shown = run(db, "show", outcome["doc_id"]).stdout
    assert "CVE-2022-40684: FortiOS (Fortinet)" in shown
    assert "CVE-2021-44228: ?" in shown  # named, with no product the sentence makes clear
    stored = json.loads(run(db, "show", outcome["doc_id"], "--json").stdout)["extraction"]
    assert {v["id"] for v in stored["vulnerabilities"]} == {"CVE-2022-40684", "CVE-2021-44228"}


def test_events_without_the_encoder_say_so_and_are_versioned_apart(tmp_path: Path) -> None:
    article = tmp_path / "breach.txt"
    article.write_text(
        "Acme discloses breach\n\nHackers stole the personal data of 2 million customers from Acme Corp "
        "last week, the company said on Tuesday.\n",
        encoding="utf-8",
    )
    stored = {}
    for setting in ("off", None):
        db = tmp_path / f"ledger-{setting}.sqlite3"
        env = {**os.environ, "THREATLEDGER_DB": str(db)}
        env.pop("THREATLEDGER_ENCODER", None)
        if setting:
            env["THREATLEDGER_ENCODER"] = setting
        command = [sys.executable, "-m", "threatledger"]
        done = subprocess.run(
            [*command, "ingest", str(article), "--json"], capture_output=True, text=True, env=env
        )
        assert done.returncode == 0, done.stderr
        (outcome,) = json.loads(done.stdout)["outcomes"]
        shown = subprocess.run(
            [*command, "show", outcome["doc_id"], "--json"],
            capture_output=True,
            text=True,
            env=env,
            check=True,
        )
        extraction = json.loads(shown.stdout)["extraction"]
        with sqlite3.connect(db) as conn:
            (versions,) = conn.execute("SELECT versions FROM extractions").fetchone()
        stored[setting] = (json.loads(versions)["events"], extraction.get("notes", []))
    version, notes = stored["off"]
    assert version.endswith("-no-encoder")
    assert any("encoder" in note for note in notes)
    version, notes = stored[None]
    if not version.endswith("-no-encoder"):  # the encoder is installed here
        assert not any("encoder" in note for note in notes)
