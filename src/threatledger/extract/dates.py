"""Time expressions: absolute and relative dates, ranges and durations, resolved against publication.

``extract_dates(text, published)`` returns :class:`~threatledger.model.TimeExpression` records whose
``text[start:end]`` is exactly the expression. Values are ISO-8601 (with the TimeML/EDTF extensions
for parts of a year) at the precision of the text:

================================  =====================  ============  ========
text (published 2023-08-29)       value                  granularity   kind
================================  =====================  ============  ========
``29 Aug 2023``, ``2023-08-29``   ``2023-08-29``         day           date
``October last year``             ``2022-10``            month         date
``back in 2020``                  ``2020``               year          date
``Q3 2022`` / ``H1 2022``         ``2022-Q3``/``2022-H1`` quarter/half date
``summer 2021``                   ``2021-SU``            season        date
``this week``                     ``2023-W35``           week          date
``the 1990s``                     ``199``                decade        date
``between March and May 2021``    ``2021-03/2021-05``    range         range
``early 2021`` / ``mid-2022``     ``2021-01/2021-04``    range         range
``since January``                 ``2023-01/..``         range         range
``nine months``, ``48 hours``     ``P9M``, ``PT48H``     duration      duration
================================  =====================  ============  ========

Ranges are EDTF intervals, both ends inclusive at their own precision; ``..`` is an open end.
``early``/``mid``/``late`` cover the first, middle and last third of a year (months 1-4, 5-8, 9-12)
or of a month (days 1-10, 11-20, 21-end). Qualifiers stay in the span but not in the value:
``more than two years`` is ``P2Y``.

Spans leave out prepositions that only place an expression (``in``, ``on``, ``back in``) and keep
words that change its value (``since``, ``between``, ``early``, ``last``, ``earlier this year``).

Resolution against ``published``: a month, day or quarter without a year is the latest one not later
than the publication month (``in August`` -> 2023-08, ``in October`` -> 2022-10); a weekday is the
latest such day not after publication (``on Tuesday`` -> 2023-08-29), ``last Tuesday`` the one before.
When ``published`` is None, expressions that need it are left out; durations and absolute dates
are still found.

Run ``python -m threatledger.extract.dates DIR`` to print one JSON line per ``*.txt`` file in DIR.
"""

from __future__ import annotations

import argparse
import bisect
import calendar
import datetime as dt
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from threatledger.extract.date_rules import Atom, H, find_atoms, latest_year, render
from threatledger.model import TimeExpression, to_json

__all__ = ["NAME", "VERSION", "extract_dates", "main"]

NAME = "dates"
VERSION = "1"

_CONNECTOR = re.compile(rf"(?:{H}*[-–—]{H}*|{H}+(?P<word>(?i:to|through|thru|until|till|and)){H}+)")
_RANGE_OPENER = re.compile(rf"(?<![\w-])(?P<word>(?i:between|from)){H}+$")
_OF_REL_YEAR = re.compile(rf"(?:{H}*,)?{H}+(?:(?i:of){H}+)?")
_MODIFIER = re.compile(
    rf"(?<![\w-])(?P<mod>(?i:early|mid|late|(?:end|beginning|start|middle){H}+of(?:{H}+the)?))(?:{H}*-{H}*|{H}+)$"
)
_SINCE = re.compile(rf"(?<![\w-])(?i:since|ever{H}+since){H}+$")
_THIRDS = {"early": 0, "beginning": 0, "start": 0, "mid": 1, "middle": 1, "late": 2, "end": 2}


@dataclass(frozen=True, slots=True)
class _Found:
    start: int
    end: int
    value: str
    granularity: str
    kind: str


def _longest_first(atoms: Sequence[Atom]) -> list[Atom]:
    """Non-overlapping atoms, preferring the longest (then the earliest), in text order."""
    starts: list[int] = []  # of the kept atoms, which never overlap, so their ends are sorted too
    ends: list[int] = []
    kept: list[Atom] = []
    for atom in sorted(atoms, key=lambda a: (a.start - a.end, a.start, a.weak)):
        index = bisect.bisect_left(starts, atom.start)
        if (index > 0 and ends[index - 1] > atom.start) or (index < len(starts) and starts[index] < atom.end):
            continue
        starts.insert(index, atom.start)
        ends.insert(index, atom.end)
        kept.insert(index, atom)
    return kept


def _with_relative_years(atoms: list[Atom], text: str) -> list[Atom]:
    """``October last year``, ``Q3 of this year``: a yearless atom takes the year that follows it."""
    out: list[Atom] = []
    i = 0
    while i < len(atoms):
        atom = atoms[i]
        nxt = atoms[i + 1] if i + 1 < len(atoms) else None
        if (
            nxt is not None
            and nxt.rel_year
            and atom.year is None
            and atom.value is None
            and _OF_REL_YEAR.fullmatch(text, atom.end, nxt.start)
        ):
            out.append(replace(atom, end=nxt.end, year=nxt.year, weak=False))
            i += 2
            continue
        out.append(atom)
        i += 1
    return out


def _fill_year(atom: Atom, published: dt.date | None) -> Atom:
    if atom.year is not None or atom.value is not None or published is None:
        return atom
    if atom.month is not None:
        return replace(atom, year=latest_year(atom.month, published))
    if atom.sub and atom.sub.startswith("Q"):
        return replace(atom, year=latest_year((int(atom.sub[1]) - 1) * 3 + 1, published))
    return atom


def _range(
    first: Atom, second: Atom, text: str, published: dt.date | None
) -> tuple[_Found, Atom, Atom] | None:
    """``between March and May 2021``, ``2019-2021``: two atoms joined by a connector, with their years."""
    if first.kind != "date" or second.kind != "date" or first.gran in ("week", "decade"):
        return None
    connector = _CONNECTOR.fullmatch(text, first.end, second.start)
    if connector is None:
        return None
    opener = _RANGE_OPENER.search(text, max(0, first.start - 12), first.start)
    word = (connector["word"] or "").lower()
    if word == "and" and (opener is None or opener["word"].lower() != "between"):
        return None
    if word == "" and "\n" in text[first.end : second.start]:
        return None
    second = _fill_year(second, published)
    if second.year is None and second.value is None:
        return None
    if first.year is None and first.value is None:
        if second.year is None or first.month is None:
            return None
        later_month = second.month if second.month is not None else 12
        first = replace(first, year=second.year if first.month <= later_month else second.year - 1)
    start_value, end_value = render(first), render(second)
    if start_value is None or end_value is None:
        return None
    common = min(len(start_value), len(end_value))
    if start_value[:common] > end_value[:common] or start_value == end_value:
        return None  # "2021-2019" is not a range
    start = opener.start() if opener else first.start
    return _Found(start, second.end, f"{start_value}/{end_value}", "range", "range"), first, second


def _thirds(atom: Atom, mod: str) -> str | None:
    third = _THIRDS[mod.split()[0].lower()]
    if atom.year is None or atom.value is not None:
        return None
    if atom.gran == "year":
        first, last = 4 * third + 1, 4 * third + 4
        return f"{atom.year:04d}-{first:02d}/{atom.year:04d}-{last:02d}"
    if atom.gran == "month" and atom.month is not None:
        days = calendar.monthrange(atom.year, atom.month)[1]
        first, last = 10 * third + 1, (10 * third + 10 if third < 2 else days)
        prefix = f"{atom.year:04d}-{atom.month:02d}"
        return f"{prefix}-{first:02d}/{prefix}-{last:02d}"
    return None


def _single(atom: Atom, text: str) -> list[_Found]:
    """An atom as found, with its modifier (``early 2021``) and as the start of ``since ...``."""
    value = render(atom)
    if value is None or atom.weak:
        return []
    start, gran, kind = atom.start, atom.gran, atom.kind
    modifier = _MODIFIER.search(text, max(0, atom.start - 30), atom.start)
    if modifier and kind == "date":
        ranged = _thirds(atom, modifier["mod"])
        if ranged is not None:
            start, value, gran, kind = modifier.start(), ranged, "range", "range"
    found = [_Found(start, atom.end, value, gran, kind)]
    since = _SINCE.search(text, max(0, start - 14), start)
    if since and kind != "duration":
        found.append(_Found(since.start(), atom.end, f"{value.split('/')[0]}/..", "range", "range"))
    return found


def extract_dates(text: str, published: dt.date | None) -> tuple[TimeExpression, ...]:
    """Time expressions of ``text`` in order, resolved against the publication date when given."""
    atoms = _with_relative_years(_longest_first(find_atoms(text, published)), text)
    found: list[_Found] = []
    i = 0
    while i < len(atoms):
        if i + 1 < len(atoms):
            ranged = _range(atoms[i], atoms[i + 1], text, published)
            if ranged is not None:
                whole, first, second = ranged
                found += [whole, *_single(replace(first, weak=False), text)]
                found += _single(replace(second, weak=False), text)
                i += 2
                continue
        found += _single(_fill_year(atoms[i], published), text)
        i += 1
    found.sort(key=lambda f: (f.start, -f.end))
    return tuple(
        TimeExpression(text[f.start : f.end], f.start, f.end, f.value, f.granularity, f.kind) for f in found
    )


def _inside(inner: TimeExpression, outer: TimeExpression) -> bool:
    return inner is not outer and outer.start <= inner.start and inner.end <= outer.end


def main(argv: Sequence[str] | None = None) -> int:
    """Print ``{"doc_id", "dates"}`` JSON lines for the ``*.txt`` files of a folder (for scorers)."""
    parser = argparse.ArgumentParser(prog="python -m threatledger.extract.dates", description=main.__doc__)
    parser.add_argument("folder", type=Path)
    parser.add_argument(
        "--published", type=dt.date.fromisoformat, default=None, help="YYYY-MM-DD for all files"
    )
    parser.add_argument(
        "--published-from-name",
        action="store_true",
        help="take the publication date from a YYYY-MM-DD in the file name",
    )
    parser.add_argument("--kinds", default="date,range,duration", help="comma-separated kinds to print")
    parser.add_argument("--innermost", action="store_true", help="leave out expressions that contain another")
    args = parser.parse_args(argv)
    kinds = set(args.kinds.split(","))
    for path in sorted(args.folder.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        published = args.published
        named = re.search(r"(?<!\d)(\d{4}-\d{2}-\d{2})(?!\d)", path.stem)
        if args.published_from_name and named:
            published = dt.date.fromisoformat(named.group(1))
        found = [d for d in extract_dates(text, published) if d.kind in kinds]
        if args.innermost:
            found = [d for d in found if not any(_inside(o, d) for o in found)]
        dates = [to_json(d) for d in found]
        sys.stdout.write(json.dumps({"doc_id": path.stem, "dates": dates}, ensure_ascii=False) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
