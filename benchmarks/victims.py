"""Incident victims against CASIE's Victim arguments: precision and recall of the victims incidents name.

Usage::

    .venv/bin/python benchmarks/victims.py [--split dev] [--limit N] [--show]

Each CASIE document is run through the extraction stage (``Extractors.run_many``, event model when installed).
A predicted victim is one victim of one incident, counted once per document and name. It is correct when its name
overlaps (case-insensitive containment either way) the text of a gold argument of the same document, or when one of
its entity's mentions overlaps a gold argument span. Incidents of an attack type are scored against the Victim
arguments of Attack events (Databreach, Phishing, Ransom); vulnerability incidents against the
Vulnerable_System_Owner arguments of Vulnerability-related events, reported on a separate line.

"organisation victims" scores the same attack victims against only the Victim arguments CASIE types Organization
(the victims an incident should name; the full Victim set also holds "customers", "its network" and the like).

Recall is per document: of the documents with at least one gold Victim, the share where some predicted victim is
correct. ``names`` recall is over the distinct gold victim strings of each document (noisy: CASIE marks "users",
"the company" and similar phrases as victims too).

Develop on ``--split train``; ``dev`` is for the figures that get reported.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path

from threatledger.config import Settings
from threatledger.ids import make_id, text_sha256
from threatledger.model import Document, Extraction
from threatledger.pipeline import Extractors

ROOT = Path(__file__).resolve().parents[1]
CASIE = ROOT.parent / "shared" / "data" / "casie"
VULNERABILITY_TYPES = {"vulnerability-discovery", "vulnerability-patch"}


@dataclass
class Gold:
    victims: list[tuple[int, int, str]] = field(default_factory=list)
    owners: list[tuple[int, int, str]] = field(default_factory=list)
    organisations: list[tuple[int, int, str]] = field(default_factory=list)  # Victims typed Organization


@dataclass
class Tally:
    predicted: int = 0
    correct: int = 0
    docs_with_gold: int = 0
    docs_found: int = 0
    names: int = 0
    names_found: int = 0
    wrong: list[str] = field(default_factory=list)

    def line(self, label: str) -> str:
        p = self.correct / self.predicted if self.predicted else 0.0
        r = self.docs_found / self.docs_with_gold if self.docs_with_gold else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        nr = self.names_found / self.names if self.names else 0.0
        return (
            f"{label}: P={p:.3f} ({self.correct}/{self.predicted})  doc R={r:.3f} "
            f"({self.docs_found}/{self.docs_with_gold})  F1={f:.3f}  names R={nr:.3f} ({self.names_found}/{self.names})"
        )


def read_gold(data: dict[str, object]) -> Gold:
    gold = Gold()
    cyber = data.get("cyberevent") or {}
    assert isinstance(cyber, dict)
    for hopper in cyber.get("hopper", []):
        for event in hopper.get("events", []):
            for arg in event.get("argument", []):
                role = arg.get("role", {}).get("type")
                span = (int(arg["startOffset"]), int(arg["endOffset"]), str(arg["text"]))
                if role == "Victim" and event.get("type") == "Attack":
                    gold.victims.append(span)
                    if arg.get("type") == "Organization":
                        gold.organisations.append(span)
                elif role == "Vulnerable_System_Owner":
                    gold.owners.append(span)
    return gold


def _fold(text: str) -> str:
    return " ".join(text.casefold().replace("’", "'").split())


def correct(name: str, spans: list[tuple[int, int]], gold: list[tuple[int, int, str]]) -> set[str]:
    """The gold texts a predicted victim matches."""
    folded = _fold(name)
    hits: set[str] = set()
    for start, end, text in gold:
        gtext = _fold(text)
        if (folded and (folded in gtext or (len(gtext) > 2 and gtext in folded))) or any(
            s < end and start < e for s, e in spans
        ):
            hits.add(gtext)
    return hits


def score(found: Extraction, gold: Gold, attack: Tally, vuln: Tally, org: Tally, doc_name: str) -> None:
    mentions = {e.id: [(m.start, m.end) for m in e.mentions] for e in found.entities}
    seen: set[tuple[str, str]] = set()
    hits_attack: set[str] = set()
    hits_vuln: set[str] = set()
    hits_org: set[str] = set()
    for incident in found.incidents:
        is_vuln = incident.type in VULNERABILITY_TYPES
        for victim in incident.victims:
            key = ("v" if is_vuln else "a", _fold(victim.name))
            if key in seen:
                continue
            seen.add(key)
            tally, target, hits = (
                (vuln, gold.owners, hits_vuln) if is_vuln else (attack, gold.victims, hits_attack)
            )
            spans = mentions.get(victim.entity or "", [])
            matched = correct(victim.name, spans, target)
            if not is_vuln:
                org_matched = correct(victim.name, spans, gold.organisations)
                org.predicted += 1
                org.correct += bool(org_matched)
                hits_org |= org_matched
            tally.predicted += 1
            if matched:
                tally.correct += 1
                hits |= matched
            else:
                tally.wrong.append(f"{doc_name}: {victim.name!r} ({incident.type})")
    for tally, target, hits in (
        (attack, gold.victims, hits_attack),
        (vuln, gold.owners, hits_vuln),
        (org, gold.organisations, hits_org),
    ):
        names = {_fold(t) for _, _, t in target}
        if names:
            tally.docs_with_gold += 1
            tally.docs_found += bool(hits)
            tally.names += len(names)
            tally.names_found += len(names & hits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--split", default="dev", choices=["train", "dev"])
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("--show", action="store_true", help="list the wrong victims")
    args = parser.parse_args(argv)
    folder = CASIE / args.split / "annotation"
    if not folder.is_dir():
        print(f"CASIE {args.split} not found at {folder}", file=sys.stderr)
        return 2
    paths = sorted(folder.glob("*.json"))
    if args.limit:
        paths = paths[: args.limit]
    records = [json.loads(p.read_text(encoding="utf-8")) for p in paths]
    documents = []
    for record in records:
        text = str(record["content"])
        date = str((record.get("info") or {}).get("date") or "").replace("_", "-")[:10] or None
        sha = text_sha256(text)
        documents.append(Document(id=make_id("document", sha256=sha), text=text, sha256=sha, published=date))
    extractors = Extractors(Settings.load(":memory:"))
    attack, vuln, org = Tally(), Tally(), Tally()
    for path, record, found in zip(paths, records, extractors.run_many(documents), strict=True):
        score(found, read_gold(record), attack, vuln, org, path.stem)
    print(f"CASIE {args.split}: {len(paths)} documents; events model: {extractors.events is not None}")
    print(attack.line("attack victims"))
    print(org.line("organisation victims"))
    print(vuln.line("vulnerability owners"))
    if args.show:
        print("\n".join(["wrong:", *attack.wrong, *vuln.wrong]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
