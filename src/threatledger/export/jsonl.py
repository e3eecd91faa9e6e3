"""JSON Lines records of extraction results: the format `threatledger extract --format jsonl` prints.

Field names are stable: the scorers in the evaluation harness and other tools read them.
"""

from __future__ import annotations

from typing import Any

from threatledger.model import Document, Extraction, to_json

__all__ = ["extraction_record"]


def extraction_record(doc_id: str, document: Document, extraction: Extraction) -> dict[str, Any]:
    data = to_json(extraction)
    assert isinstance(data, dict)
    data.pop("doc_id", None)
    return {
        "doc_id": doc_id,
        "document": {
            "id": document.id,
            "title": document.title,
            "published": document.published,
            "url": document.url,
            "sha256": document.sha256,
        },
        **data,
    }
