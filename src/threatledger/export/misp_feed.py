"""MISP events as a MISP feed: a folder MISP polls (``manifest.json``, one ``<uuid>.json`` per event,
``hashes.csv``), written with PyMISP's own feed serialiser so MISP reads exactly what it expects.

Needs the ``[misp]`` extra (PyMISP).
"""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from threatledger.errors import ExportError

__all__ = ["write_misp_feed"]


def write_misp_feed(events: dict[str, Any], directory: Path) -> list[str]:
    """Write the events of :func:`~threatledger.export.misp.export_misp` as a feed; returns the event uuids."""
    try:
        from pymisp import MISPEvent
    except ImportError as exc:  # the optional extra
        raise ExportError("a MISP feed needs PyMISP: pip install 'threatledger[misp]'") from exc
    directory.mkdir(parents=True, exist_ok=True)
    manifest: dict[str, Any] = {}
    hashes: list[tuple[str, str]] = []
    written: list[str] = []
    for item in events["response"]:
        event = MISPEvent()
        event.load(json.dumps(item))
        feed = event.to_feed(with_meta=True)["Event"]
        # PyMISP's feed serialiser leaves analyst data out; the claims report carries the same content
        if item["Event"].get("Opinion"):
            feed["Opinion"] = item["Event"]["Opinion"]
        hashes.extend((value, event.uuid) for value in feed.pop("_hashes", []))
        manifest.update(feed.pop("_manifest", {}))
        text = json.dumps({"Event": feed}, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
        (directory / f"{event.uuid}.json").write_text(text, encoding="utf-8")
        written.append(event.uuid)
    (directory / "manifest.json").write_text(
        json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    with (directory / "hashes.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(sorted(hashes))
    return written
