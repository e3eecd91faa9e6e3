"""Coverage-guided fuzzing of the internet-facing parsers with atheris (libFuzzer).

Usage::

    .venv/bin/pip install atheris            # optional; not a dependency of threatledger
    .venv/bin/python fuzz/normalise_fuzz.py -runs=10000 [-max_len=65536] [corpus_dir]
    .venv/bin/python fuzz/feed_fuzz.py -runs=10000        # likewise indicators_fuzz.py, dates_fuzz.py

Targets (the script name, or ``--target NAME``):

* ``normalise``: ``normalise.normalise`` on the input bytes with a content type and locator chosen by the first
  byte (HTML, PDF, text, XML, untyped); anything but ThreatledgerError is a finding.
* ``feed``: the feed XML guard and parser (``sources.feeds._guard`` then feedparser, as ``poll_feed`` runs them);
  anything but SourceError is a finding.
* ``indicators``: ``extract_indicators`` on the input decoded as UTF-8; a crash or a span that does not index
  the text is a finding.
* ``dates``: ``extract_dates``, same checks.

Without atheris the script prints a message and exits 0, so CI can call it unconditionally.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

atheris: Any
try:
    import atheris
except ImportError:  # depends on the environment
    atheris = None

CONTENT_TYPES = [
    ("item", None),
    ("page.html", "text/html; charset=utf-8"),
    ("report.pdf", "application/pdf"),
    ("notes.txt", "text/plain"),
    ("feed.xml", "application/xml"),
    ("page", "text/html; charset=utf-16"),
    ("doc.md", "text/markdown"),
    ("blob", "application/octet-stream"),
]


def _normalise(data: bytes) -> None:
    from threatledger.errors import ThreatledgerError
    from threatledger.model import RawItem
    from threatledger.normalise import normalise

    if not data:
        return
    locator, content_type = CONTENT_TYPES[data[0] % len(CONTENT_TYPES)]
    with contextlib.suppress(ThreatledgerError):
        normalise(RawItem(locator=locator, content=data[1:], content_type=content_type), fetched="2024-01-01")


def _feed(data: bytes) -> None:
    import feedparser

    from threatledger.errors import SourceError
    from threatledger.sources.feeds import _entry, _guard

    try:
        _guard(data, "fuzz://feed")
    except SourceError:
        return
    parsed = feedparser.parse(data, response_headers={"content-type": "application/xml"})
    for entry in parsed.entries:
        _entry(entry, "fuzz://feed")


def _indicators(data: bytes) -> None:
    from threatledger.extract.indicators import extract_indicators

    text = data.decode("utf-8", errors="replace")
    for indicator in extract_indicators(text):
        if text[indicator.start : indicator.end] != indicator.text or indicator.start >= indicator.end:
            raise AssertionError(f"bad span {indicator}")


def _dates(data: bytes) -> None:
    from threatledger.extract.dates import extract_dates

    text = data.decode("utf-8", errors="replace")
    for expression in extract_dates(text, dt.date(2024, 3, 1)):
        if text[expression.start : expression.end] != expression.text:
            raise AssertionError(f"bad span {expression}")


TARGETS: dict[str, Callable[[bytes], None]] = {
    "normalise": _normalise,
    "feed": _feed,
    "indicators": _indicators,
    "dates": _dates,
}


def main(argv: list[str], target: str | None = None) -> int:
    target = target or Path(argv[0]).stem.removesuffix("_fuzz")
    if "--target" in argv:
        at = argv.index("--target")
        target = argv[at + 1]
        del argv[at : at + 2]
    if target not in TARGETS:
        print(f"unknown target {target!r}; choose one of {', '.join(TARGETS)}", file=sys.stderr)
        return 2
    if atheris is None:
        print(f"atheris is not installed; skipping the {target} fuzz run (pip install atheris to fuzz)")
        return 0
    with atheris.instrument_imports():
        import threatledger.extract.dates
        import threatledger.extract.indicators
        import threatledger.normalise
        import threatledger.sources.feeds  # noqa: F401
    atheris.Setup(argv, TARGETS[target])
    atheris.Fuzz()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
