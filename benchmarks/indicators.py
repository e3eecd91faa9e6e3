"""Indicator extraction: precision, recall, F1 and single-core throughput against two baselines.

Usage::

    .venv/bin/python benchmarks/indicators.py [--baseline-site DIR] [--mb 5]

Scores are over ``tests/extract/data/indicators.jsonl``: per line, the set of (type, value) pairs found against
the labelled set, with values compared after a light common normalisation (lowercase except base58 bitcoin
addresses, no trailing "/" on URLs). "lenient" additionally forgives a baseline the host names and addresses it
reports inside a URL or e-mail address it also reports (threatledger reports only the outer indicator).

Throughput is measured on the labelled text repeated to ``--mb`` megabytes and on the CASIE article texts when
``../shared/data/casie`` is present, pinned to one CPU core.

The baselines are not dependencies of threatledger. Install them into a separate environment and point the
benchmark at its site-packages (a baseline that cannot be imported is skipped with a message)::

    python3 -m venv /tmp/iocbase
    /tmp/iocbase/bin/pip install iocsearcher ioc-finder
    .venv/bin/python benchmarks/indicators.py --baseline-site /tmp/iocbase/lib/python3.11/site-packages

To regenerate ``src/threatledger/data/tlds.txt`` from a Public Suffix List file, see :func:`regenerate_tlds`.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from threatledger.extract.indicators import extract_indicators

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "tests" / "extract" / "data" / "indicators.jsonl"
CASIE = ROOT.parent / "shared" / "data" / "casie"

Pairs = set[tuple[str, str]]
Extractor = Callable[[str], Pairs]


def _norm(itype: str, value: str) -> tuple[str, str]:
    if itype == "btc" and not value.lower().startswith("bc1"):
        return itype, value
    value = value.lower()
    if itype == "url":
        value = value.rstrip("/")
    return itype, value


def ours(text: str) -> Pairs:
    return {_norm(i.type, i.value) for i in extract_indicators(text)}


IOCSEARCHER_TYPES = {
    "url": "url", "fqdn": "domain", "onionAddress": "domain", "ip4": "ipv4", "ip6": "ipv6", "email": "email",
    "md5": "md5", "sha1": "sha1", "sha256": "sha256", "cve": "cve", "bitcoin": "btc",
}  # fmt: skip
IOC_FINDER_TYPES = {
    "urls": "url", "domains": "domain", "ipv4s": "ipv4", "ipv6s": "ipv6", "email_addresses": "email",
    "md5s": "md5", "sha1s": "sha1", "sha256s": "sha256", "cves": "cve", "bitcoin_addresses": "btc",
    "file_paths": "filename",
}  # fmt: skip


def load_iocsearcher() -> Extractor | None:
    try:
        from iocsearcher.searcher import Searcher
    except ImportError as error:
        print(f"iocsearcher: skipped, not importable ({error}); see the module docstring to install it")
        return None
    searcher = Searcher()

    def run(text: str) -> Pairs:
        found: Pairs = set()
        for ioc in searcher.search_data(text):
            itype = IOCSEARCHER_TYPES.get(ioc.name)
            if itype is not None:
                found.add(_norm(itype, str(ioc.value)))
        return found

    return run


def load_ioc_finder() -> Extractor | None:
    try:
        from ioc_finder import find_iocs
    except ImportError as error:
        print(f"ioc-finder: skipped, not importable ({error}); see the module docstring to install it")
        return None

    def run(text: str) -> Pairs:
        found: Pairs = set()
        for key, values in find_iocs(text).items():
            itype = IOC_FINDER_TYPES.get(key)
            if itype is None or not isinstance(values, list):
                continue
            for value in values:
                value = str(value)
                if itype == "filename":
                    value = value.replace("\\", "/").rsplit("/", 1)[-1]
                found.add(_norm(itype, value))
        return found

    return run


def _lenient(found: Pairs) -> Pairs:
    outer = [v for t, v in found if t in ("url", "email")]
    return {(t, v) for t, v in found if t not in ("domain", "ipv4", "ipv6") or not any(v in o for o in outer)}


def score(
    extract: Extractor, records: list[dict[str, object]], lenient: bool = False
) -> tuple[float, float, float]:
    tp = fp = fn = 0
    for record in records:
        gold = {_norm(str(i["type"]), str(i["value"])) for i in record["indicators"]}  # type: ignore[attr-defined]
        got = extract(str(record["text"]))
        if lenient:
            got = _lenient(got)
        tp += len(gold & got)
        fp += len(got - gold)
        fn += len(gold - got)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def throughput(extract: Extractor, texts: Iterable[str], budget_s: float) -> float:
    """MB/s (UTF-8 megabytes) over the texts, stopping once the time budget is spent."""
    size = 0
    start = time.perf_counter()
    for text in texts:
        extract(text)
        size += len(text.encode("utf-8"))
        if time.perf_counter() - start > budget_s:
            break
    return size / 1e6 / (time.perf_counter() - start)


def casie_texts() -> list[str]:
    folder = CASIE / "train" / "annotation"
    if not folder.is_dir():
        return []
    return [json.loads(p.read_text(encoding="utf-8"))["content"] for p in sorted(folder.glob("*.json"))]


def regenerate_tlds(psl: Path, out: Path) -> int:
    """Write the TLD list from a Public Suffix List file (ICANN section, rightmost labels, IDNA-encoded)."""
    body = (
        psl.read_text(encoding="utf-8")
        .split("===BEGIN ICANN DOMAINS===")[1]
        .split("===END ICANN DOMAINS===")[0]
    )
    labels = {
        line.strip().lstrip("!*.").split(".")[-1].encode("idna").decode("ascii").lower()
        for line in body.splitlines()
        if line.strip() and not line.strip().startswith("//")
    }
    header = out.read_text(encoding="utf-8").split("\n\n")[0] if out.exists() else ""
    comments = [line for line in header.splitlines() if line.startswith("#")]
    out.write_text("\n".join([*comments, *sorted(labels)]) + "\n", encoding="utf-8")
    return len(labels)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--baseline-site", action="append", default=[], help="site-packages holding the baselines"
    )
    parser.add_argument(
        "--mb", type=float, default=5.0, help="size of the repeated labelled text for throughput"
    )
    parser.add_argument("--budget", type=float, default=20.0, help="seconds per baseline throughput run")
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    sys.path.extend(args.baseline_site)  # appended: threatledger's own dependencies keep precedence

    records = [json.loads(line) for line in DATA.read_text(encoding="utf-8").splitlines()]
    labelled = "\n".join(str(r["text"]) for r in records)
    repeat = max(1, int(args.mb * 1e6 / len(labelled.encode("utf-8"))))
    big = "\n".join([labelled] * repeat)
    casie = casie_texts()
    systems: list[tuple[str, Extractor | None]] = [
        ("threatledger", ours),
        ("iocsearcher", load_iocsearcher()),
        ("ioc-finder", load_ioc_finder()),
    ]
    n_labels = sum(len(r["indicators"]) for r in records)
    print(
        f"labelled set: {len(records)} lines, {n_labels} indicators; throughput text {len(big) / 1e6:.1f} MB"
    )
    print(
        f"casie train texts: {len(casie)} ({sum(map(len, casie)) / 1e6:.1f} MB)" if casie else "casie: absent"
    )
    print(
        f"{'system':<14}{'P':>7}{'R':>7}{'F1':>7}{'P len':>7}{'F1 len':>7}{'MB/s lab':>10}{'MB/s casie':>12}"
    )
    for name, extract in systems:
        if extract is None:
            continue
        precision, recall, f1 = score(extract, records)
        lenient_p, _, lenient_f1 = score(extract, records, lenient=True)
        budget = 1e9 if name == "threatledger" else args.budget
        # threatledger gets the texts whole; baselines get the same bytes, cut where their time budget runs out
        mbs_lab = throughput(extract, [big] if name == "threatledger" else [labelled] * repeat, budget)
        mbs_casie = throughput(extract, casie, budget) if casie else float("nan")
        print(
            f"{name:<14}{precision:>7.3f}{recall:>7.3f}{f1:>7.3f}{lenient_p:>7.3f}{lenient_f1:>7.3f}"
            f"{mbs_lab:>10.2f}{mbs_casie:>12.2f}"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
