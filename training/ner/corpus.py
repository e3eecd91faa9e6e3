"""Read AnnoCTR and CyNER into (text, spans) documents built the way the entity scorer builds them.

Tokens are joined by " " and sentences by "\\n" (see ../shared/eval/entities.py), so character offsets and
tokenisation at training time match those at evaluation time. Each corpus layer feeds one NER head:

    ce  AnnoCTR cyber layer      GROUP MALWARE TOOL                      (train)
    ne  AnnoCTR general layer    ORG LOC SECTOR                          (train, and ext which has only this layer)
    cy  CyNER                    MALWARE SYSTEM VULNERABILITY ORG INDICATOR
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

Span = tuple[int, int, str]
Row = list[str]

# column of the BIO file -> labels kept, per head
ANNOCTR_LAYERS = {"ce": (4, {"GROUP", "MALWARE", "TOOL"}), "ne": (1, {"ORG", "LOC", "SECTOR"})}
CYNER_LABELS = {
    "Malware": "MALWARE",
    "System": "SYSTEM",
    "Vulnerability": "VULNERABILITY",
    "Organization": "ORG",
    "Indicator": "INDICATOR",
}


@dataclass(frozen=True, slots=True)
class Chunk:
    """A run of consecutive sentences as text, with its gold spans."""

    source: str  # "<corpus>:<doc>:<first sentence>"
    text: str
    spans: tuple[Span, ...]


def read_conll(path: Path) -> list[list[Row]]:
    sents: list[list[Row]] = []
    cur: list[Row] = []
    for line in path.read_text(encoding="utf-8").split("\n"):
        if "\t" in line:
            token, *tags = line.rstrip("\r").split("\t")
            cur.append([token, *(t.strip() for t in tags)])
        elif cur:
            sents.append(cur)
            cur = []
    if cur:
        sents.append(cur)
    return [s for s in sents if s[0][0] != "<DOCSTART>"]


def build(sents: list[list[Row]], col: int, labels: dict[str, str]) -> tuple[str, list[Span]]:
    """Text and (start, end, label) spans, decoded like the scorer (I- after the same label continues)."""
    parts: list[str] = []
    toks: list[tuple[int, int, str]] = []
    pos = 0
    for i, sent in enumerate(sents):
        for j, row in enumerate(sent):
            if i or j:
                parts.append("\n" if j == 0 else " ")
                pos += 1
            tag = row[col] if col < len(row) else "O"
            toks.append((pos, pos + len(row[0]), tag))
            parts.append(row[0])
            pos += len(row[0])
    text = "".join(parts)
    spans: list[Span] = []
    chunk: list[int | str] | None = None
    for start, end, tag in [*toks, (0, 0, "O")]:
        if chunk is not None and tag == "I-" + str(chunk[0]):
            chunk[2] = end
            continue
        if chunk is not None:
            label, s, e = str(chunk[0]), int(chunk[1]), int(chunk[2])
            s += len(text[s:e]) - len(text[s:e].lstrip())
            e -= len(text[s:e]) - len(text[s:e].rstrip())
            if s < e:
                spans.append((s, e, labels[label]))
        chunk = [tag[2:], start, end] if tag[:2] in ("B-", "I-") and tag[2:] in labels else None
    return text, spans


def chunks(
    source: str, sents: list[list[Row]], col: int, labels: dict[str, str], size: int
) -> Iterator[Chunk]:
    for k in range(0, len(sents), size):
        text, spans = build(sents[k : k + size], col, labels)
        yield Chunk(f"{source}:{k}", text, tuple(spans))


def annoctr(root: Path, split: str, head: str, size: int = 10) -> dict[str, list[Chunk]]:
    """Chunks per report for one head ("ce" or "ne")."""
    col, keep = ANNOCTR_LAYERS[head]
    labels = {x: x for x in keep}
    out: dict[str, list[Chunk]] = {}
    for path in sorted((root / "ner_bio" / split).glob("*.bio")):
        out[path.stem] = list(chunks(f"annoctr:{path.stem}", read_conll(path), col, labels, size))
    return out


def cyner(path: Path, size: int = 20) -> list[Chunk]:
    """CyNER in chunks of `size` sentences (the scorer's documents have 20)."""
    return list(chunks(f"cyner:{path.stem}", read_conll(path), 1, CYNER_LABELS, size))


def holdout_split(keys: list[str], every: int, seed: int) -> tuple[list[str], list[str]]:
    """Deterministic split of keys into (train, held out): one in `every`, chosen by a seeded shuffle."""
    order = sorted(keys)
    random.Random(seed).shuffle(order)
    held = set(order[::every])
    return [k for k in sorted(keys) if k not in held], [k for k in sorted(keys) if k in held]


def fold_split(keys: list[str], every: int, seed: int, index: int = 0) -> tuple[list[str], list[str]]:
    """(rest, fold): fold `index` of `every` (one key in `every`, by a seeded shuffle), held out of training *and*
    early stopping, to judge merge rules on reports the model has not seen; the folds of indices 0..every-1
    partition the keys (cross-validation). Drawn with another seed than :func:`holdout_split`'s slice."""
    if every <= 0:
        return sorted(keys), []
    order = sorted(keys)
    random.Random(seed + 1000).shuffle(order)
    held = set(order[index::every])
    return [k for k in sorted(keys) if k not in held], [k for k in sorted(keys) if k in held]


def cy_holdout(keys: list[str], fraction: float = 1 / 7) -> tuple[list[str], list[str]]:
    """CyNER documents split into (train, held out) with the last `fraction` held out.

    CyNER keeps each article's sentences together, so a contiguous tail holds out whole articles; documents drawn
    at random would share articles (and malware names) with the training documents and reward memorisation.
    """
    order = sorted(keys)
    cut = len(order) - max(1, round(len(order) * fraction))
    return order[:cut], order[cut:]
