"""Builders of hostile inputs for the robustness tests: files, PDFs, feeds and misbehaving servers."""

from __future__ import annotations

import socket
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

ARTICLE = (
    "Ransomware attack disrupts {name} operations\n\n"
    "A ransomware attack disrupted systems at {name} on Monday, forcing staff to switch to manual processes while "
    "engineers restored services from backups. The LockBit group later claimed responsibility on its leak site "
    "and threatened to publish stolen records unless a ransom was paid within seven days. Investigators said the "
    "intruders exploited CVE-2023-4966 in an internet-facing appliance and contacted 185.220.101.{octet} for "
    "command and control. The company said it had notified the data protection authority.\n"
)


_VOCABULARY = tuple(
    [
        "network",
        "servers",
        "backups",
        "staff",
        "hospital",
        "patients",
        "records",
        "payroll",
        "invoices",
        "shipping",
        "port",
        "trains",
        "schedules",
        "customers",
        "regulators",
        "insurers",
        "auditors",
        "passwords",
        "tokens",
        "firewall",
        "appliance",
        "gateway",
        "mailbox",
        "domain",
        "cloud",
        "storage",
        "laptops",
        "printers",
        "scanners",
        "phones",
        "contracts",
        "payments",
        "suppliers",
        "warehouse",
        "depot",
        "clinic",
        "pharmacy",
        "school",
        "council",
        "court",
        "police",
        "ministry",
        "agency",
        "utility",
        "pipeline",
        "turbine",
        "reservoir",
        "billing",
        "helpdesk",
        "portal",
    ]
)


def article(name: str, octet: int = 7) -> str:
    """A short ransomware news article; the closing paragraph varies with ``octet`` so no two are near-duplicates."""
    import random

    rng = random.Random(octet)
    closing = " ".join(rng.choice(_VOCABULARY) for _ in range(160))
    return ARTICLE.format(name=name, octet=octet) + "\nAffected: " + closing + ".\n"


def pdf(objects: list[bytes], *, root: int = 1, xref: bool = True, broken_offsets: bool = False) -> bytes:
    """A PDF of the given objects (numbered from 1) with a correct, broken or missing cross-reference table."""
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    start = len(out)
    if xref:
        out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
        for offset in offsets:
            out += b"%010d 00000 n \n" % (offset * 7 + 13 if broken_offsets else offset)
    out += b"trailer\n<< /Size %d /Root %d 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, root, start)
    return bytes(out)


def text_page_pdf(text: str, *, count: int = 1, kids: int = 1, broken_offsets: bool = False) -> bytes:
    """One page of ``text``; the page tree claims ``count`` pages and lists the page ``kids`` times."""
    stream = b"BT /F1 12 Tf 72 720 Td (" + text.encode("latin-1") + b") Tj ET"
    return pdf(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + b"3 0 R " * kids + b"] /Count %d >>" % count,
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ],
        broken_offsets=broken_offsets,
    )


def gzip_bomb(expanded: int) -> bytes:
    """``expanded`` zero bytes, gzip-compressed (about a thousandth of the size)."""
    compressor = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = bytes(1 << 20)
    parts = [compressor.compress(block) for _ in range(expanded >> 20)]
    parts.append(compressor.flush())
    return b"".join(parts)


BILLION_LAUGHS = (
    '<?xml version="1.0"?>\n<!DOCTYPE lolz [\n <!ENTITY lol "lol">\n'
    + "".join(
        f' <!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">\n' for i in range(1, 10)
    )
    + ']>\n<rss version="2.0"><channel><title>&lol9;</title>'
    "<item><title>&lol9;</title><link>http://93.184.216.34/x</link></item></channel></rss>"
)

Behaviour = Callable[[socket.socket], None]


def slow_headers(conn: socket.socket) -> None:
    """A status line, then a header byte every 0.1 s: each read succeeds, the headers never end."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-Slow: ")
    while True:
        conn.sendall(b"x")
        time.sleep(0.1)


def slow_body(conn: socket.socket) -> None:
    """Complete headers, then a body byte every 0.1 s, forever."""
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\n")
    while True:
        conn.sendall(b"y")
        time.sleep(0.1)


def silent(conn: socket.socket) -> None:
    """Accepts the connection and never answers."""
    time.sleep(30)


@contextmanager
def raw_server(behaviour: Behaviour) -> Iterator[str]:
    """A TCP server on 127.0.0.1 running ``behaviour`` on every connection; yields its base URL."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.2)
    stop = threading.Event()

    def handle(conn: socket.socket) -> None:
        with conn, suppress(OSError):
            conn.recv(65536)
            behaviour(conn)

    def accept() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=handle, args=(conn,), daemon=True).start()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        stop.set()
        thread.join(timeout=2)
        listener.close()


def write_hostile_folder(folder: Path) -> dict[str, str]:
    """Hostile files beside good ones; returns file name -> what must happen ('added' or 'failed' or 'either')."""
    folder.mkdir(parents=True, exist_ok=True)
    expect: dict[str, str] = {}

    def put(name: str, data: bytes | str, outcome: str) -> None:
        path = folder / name
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        expect[name] = outcome

    put("01-good.txt", article("Harbor Valley Water", 7), "added")
    huge = folder / "02-huge.txt"
    with huge.open("wb") as handle:
        handle.truncate(200 * 1024 * 1024)  # sparse: no disk blocks are written
    expect[huge.name] = "failed"
    put(
        "03-million-pages.pdf",
        text_page_pdf("Ransomware hit Kestrel Health on Monday", count=1_000_000),
        "either",
    )
    put("04-many-kids.pdf", text_page_pdf("Ransomware hit Arden Bank on Monday", kids=200_000), "either")
    put(
        "05-broken-xref.pdf",
        text_page_pdf("Ransomware hit Velo Transit on Monday", broken_offsets=True),
        "either",
    )
    put("06-no-xref.pdf", pdf([b"<< /Type /Catalog /Pages 2 0 R >>"], xref=False), "failed")
    put(
        "07-invalid-utf8.txt",
        article("Corvid Energy", 8).encode() + b"\xff\xfe\xc3\x28\xa0\xa1 end\n",
        "added",
    )
    put("08-utf16-nobom.txt", article("Talus University", 9).encode("utf-16-le"), "added")
    put("09-nul-bytes.txt", article("Onyx Council", 10).replace(" ", " \x00", 3), "added")
    words = " ".join(f"word{i % 997}" for i in range(170_000))
    put("10-one-line.html", f"<html><body><article><p>{words}</p></article></body></html>", "either")
    depth = 100_000
    put("11-deep.html", "<html><body>" + "<div>" * depth + "deep text " * 20 + "</div>" * depth, "either")
    put("12-deep.json", "[" * 100_000 + "]" * 100_000, "failed")
    put("13-binary.txt", bytes(range(256)) * 64, "failed")
    put("14-good.md", article("Juniper Logistics", 11), "added")
    put("15-empty.html", "<html><body><nav>menu</nav></body></html>", "failed")
    return expect
