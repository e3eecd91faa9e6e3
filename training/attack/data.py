"""Training data for the ATT&CK sentence model: TRAM 2 train reports cut into labelled sentences, and ATT&CK's
procedure examples (the descriptions of `uses` relationships) as weakly labelled sentences."""

from __future__ import annotations

import json
import re
import zlib
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from training.scorers import load_scorer

from threatledger.extract.attack_model import _MIN_TOKENS, _TOKEN, sentence_spans

SHARED = Path(__file__).resolve().parents[3] / "shared"
REVOKED = {"T1574.002": "T1574.001"}  # as the scorer does: revoked in ATT&CK v17


@dataclass(frozen=True, slots=True)
class Sentence:
    doc_id: str
    start: int
    end: int
    text: str
    labels: frozenset[str]


def scorer(shared: Path = SHARED) -> ModuleType:
    """The shared TRAM scorer (``eval/attack.py``), to read gold reports and score held-out ones identically."""
    return load_scorer(shared / "eval" / "attack.py", "tram_scorer")


def is_tune_report(doc_id: str, tenths: int = 2) -> bool:
    """A stable fifth of the train reports, held out to choose settings and the threshold."""
    return zlib.crc32(doc_id.encode()) % 10 < tenths


def report_sentences(doc_id: str, content: str, spans: set[tuple[str, int, int]]) -> list[Sentence]:
    """Each sentence labelled with the techniques whose gold spans cover at least half of it or of the span."""
    out = []
    for s, e in sentence_spans(content):
        text = content[s:e]
        if len(_TOKEN.findall(text.lower())) < _MIN_TOKENS:
            continue
        labels = set()
        for tid, gs, ge in spans:
            overlap = min(e, ge) - max(s, gs)
            if overlap > 0 and overlap >= 0.5 * min(e - s, ge - gs):
                labels.add(REVOKED.get(tid, tid))
        out.append(Sentence(doc_id, s, e, text, frozenset(labels)))
    return out


_CITATION = re.compile(r"\s*\(Citation:[^)]*\)")
_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")


def procedure_examples(shared: Path = SHARED) -> list[tuple[str, str]]:
    """(sentence, technique id) from enterprise ATT&CK `uses` relationships, citations and links removed."""
    bundle = json.loads(
        (shared / "data" / "mitre-attack" / "enterprise-attack.json").read_text(encoding="utf-8")
    )
    objects = {o["id"]: o for o in bundle["objects"]}
    out = []
    for rel in objects.values():
        if rel.get("type") != "relationship" or rel.get("relationship_type") != "uses":
            continue
        if rel.get("revoked") or rel.get("x_mitre_deprecated") or not rel.get("description"):
            continue
        target = objects.get(rel["target_ref"], {})
        if (
            target.get("type") != "attack-pattern"
            or target.get("revoked")
            or target.get("x_mitre_deprecated")
        ):
            continue
        tid = next(
            (
                r["external_id"]
                for r in target.get("external_references", [])
                if r.get("source_name") == "mitre-attack"
            ),
            None,
        )
        if tid is None:
            continue
        text = _LINK.sub(r"\1", _CITATION.sub("", rel["description"])).strip()
        if len(_TOKEN.findall(text.lower())) >= _MIN_TOKENS:
            out.append((text, REVOKED.get(tid, tid)))
    return out


def normalised(text: str) -> str:
    return " ".join(_TOKEN.findall(text.lower()))
