"""Load a STIX bundle (an ATT&CK release, a partner's report) into the ledger.

Every object is kept verbatim in the ``stix_objects`` table. Each ``report`` also becomes a ledger document, its text
taken from the report's ``description`` (the name when there is none), so it can be searched, read and
re-extracted like any article; re-importing the same bundle adds nothing.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from threatledger.errors import ExportError
from threatledger.ids import make_id, text_sha256
from threatledger.model import Document

if TYPE_CHECKING:
    from threatledger.store import SQLiteStore

__all__ = ["StixImport", "import_stix", "read_bundle", "report_document"]


@dataclass(frozen=True, slots=True)
class StixImport:
    objects: int  # objects in the bundle
    new_objects: int  # (id, version) pairs the ledger did not hold yet
    documents: dict[str, str] = field(default_factory=dict)  # report id -> document id
    added: tuple[str, ...] = ()  # document ids stored for the first time
    duplicates: tuple[str, ...] = ()  # report ids whose text the ledger already had

    def summary(self) -> dict[str, int]:
        return {
            "objects": self.objects,
            "new_objects": self.new_objects,
            "reports": len(self.documents),
            "documents_added": len(self.added),
            "documents_duplicate": len(self.duplicates),
        }


def read_bundle(path: Path) -> dict[str, Any]:
    """A bundle file, checked for the shape the importer needs."""
    try:
        data = json.loads(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise ExportError(f"cannot read a STIX bundle: {exc}", locator=str(path)) from exc
    return _checked(data, str(path))


def _checked(data: Any, locator: str) -> dict[str, Any]:
    if not isinstance(data, dict) or data.get("type") != "bundle":
        raise ExportError('not a STIX bundle (expected {"type": "bundle", ...})', locator=locator)
    objects = data.get("objects", [])
    if not isinstance(objects, list):
        raise ExportError("the bundle's objects is not a list", locator=locator)
    for n, obj in enumerate(objects):
        if (
            not isinstance(obj, dict)
            or not isinstance(obj.get("type"), str)
            or not isinstance(obj.get("id"), str)
        ):
            raise ExportError(f"object {n} has no type or id", locator=locator)
        if not obj["id"].startswith(obj["type"] + "--"):
            raise ExportError(
                f"object {n}: id {obj['id']!r} does not match type {obj['type']!r}", locator=locator
            )
    return data


def _publisher(report: dict[str, Any], identities: dict[str, str]) -> str | None:
    creator = report.get("created_by_ref")
    if isinstance(creator, str) and creator in identities:
        return identities[creator]
    for ref in report.get("external_references", []):
        if isinstance(ref, dict) and ref.get("url") and ref.get("source_name") not in {None, "source"}:
            return str(ref["source_name"])
    return None


def report_document(report: dict[str, Any], identities: dict[str, str], fetched: str) -> Document | None:
    """The ledger document for a STIX report; None when it has neither description nor name."""
    name = report.get("name") if isinstance(report.get("name"), str) else None
    description = report.get("description") if isinstance(report.get("description"), str) else None
    text = (description or name or "").strip()
    if not text:
        return None
    if name and description and not description.startswith(name):
        text = f"{name}\n\n{description.strip()}"
    url = next(
        (
            str(ref["url"])
            for ref in report.get("external_references", [])
            if isinstance(ref, dict) and isinstance(ref.get("url"), str)
        ),
        None,
    )
    sha = text_sha256(text)
    published = report.get("published")
    return Document(
        id=make_id("document", sha256=sha),
        text=text,
        sha256=sha,
        url=url,
        title=name,
        publisher=_publisher(report, identities),
        published=str(published) if published else None,
        fetched=fetched,
        language=report.get("lang") if isinstance(report.get("lang"), str) else None,
        source=f"stix:{report['id']}",
        source_kind="stix",
    )


def import_stix(store: SQLiteStore, bundle: dict[str, Any], *, source: str, imported_at: str) -> StixImport:
    """Keep every object of ``bundle`` and store its reports as documents (``imported_at`` as their fetch time)."""
    data = _checked(bundle, source)
    objects: list[dict[str, Any]] = data.get("objects", [])
    identities = {o["id"]: str(o["name"]) for o in objects if o["type"] == "identity" and o.get("name")}
    documents: dict[str, str] = {}
    added: list[str] = []
    duplicates: list[str] = []
    for obj in objects:
        if obj["type"] != "report":
            continue
        document = report_document(obj, identities, imported_at)
        if document is None:
            continue
        result = store.save_document(document, None, imported_at)
        if result.status == "added":
            documents[obj["id"]] = document.id
            added.append(document.id)
        else:
            documents[obj["id"]] = result.duplicate_of or document.id
            duplicates.append(obj["id"])
    new = store.save_stix_objects(objects, source, imported_at, documents)
    return StixImport(len(objects), new, documents, tuple(added), tuple(duplicates))
