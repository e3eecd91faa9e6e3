"""Patterns and calendar arithmetic behind :mod:`threatledger.extract.dates`.

The rules find *atoms*: single time expressions such as ``29 Aug 2023``, ``October``, ``last year``,
``Q3 2022`` or ``nine months``. :mod:`threatledger.extract.dates` then combines neighbouring atoms
(``October`` + ``last year``, ``March`` + ``May 2021``), applies modifiers (``early``, ``since``) and
renders values. An atom may lack its year (``5 August``, ``in October``); it gets one from a partner
atom or from the publication date, or it is dropped.

Conventions that decide what counts as a date:

* Month names must be capitalised (``May``, ``MAY``): lowercase ``may``, ``march``, ``august`` are
  words. A month name with neither day nor year counts only after a temporal word (``in``, ``on``,
  ``since``, ``until``, ``by``, ``during``, ``early``...) and abbreviations never stand alone.
* A four-digit year (1900-2099) is rejected inside identifiers (``CVE-2021-44228``, paths, URLs,
  file names), after a product name (``Windows 2000``, ``Office 2016``), next to other digits
  (phone numbers), and before a plural noun unless a temporal word precedes it (``2020 servers``).
* Numeric dates: ``2023-08-29`` (ISO), ``08/25/2018`` (month first unless the first number exceeds
  12), ``29.08.2023`` (day first; both parts need two digits, so ``2.1.2020`` is a version number).
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = [
    "Atom",
    "H",
    "find_atoms",
    "latest_year",
    "render",
    "shift_month",
]

H = r"[^\S\n]"  # horizontal whitespace: no expression runs across a line break

_FULL = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ABBR = ("Jan", "Feb", "Mar", "Apr", "Jun", "Jul", "Aug", "Sept", "Sep", "Oct", "Nov", "Dec")
_MONTHS: dict[str, int] = {name.lower(): i for i, name in enumerate(_FULL, 1)}
_MONTHS.update({a.lower(): _MONTHS[next(f.lower() for f in _FULL if f.startswith(a[:3]))] for a in _ABBR})

_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_TEENS = {
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
_SEASONS = {
    "spring": ("SP", 3),
    "summer": ("SU", 6),
    "autumn": ("FA", 9),
    "fall": ("FA", 9),
    "winter": ("WI", 12),
}
_ORDINALS = {"first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4}

# A month name or a month name with neither day nor year counts after one of these words.
TRIGGERS = frozenset(
    [
        "in",
        "on",
        "since",
        "until",
        "till",
        "by",
        "during",
        "from",
        "between",
        "of",
        "through",
        "throughout",
        "before",
        "after",
        "early",
        "late",
        "mid",
        "around",
        "circa",
        "as",
        "at",
    ]
)
# Words whose following year is a product version, not a date ("Windows 2000", "Office 2016").
_PRODUCTS = frozenset(
    [
        "Windows",
        "Office",
        "Server",
        "SQL",
        "Exchange",
        "Word",
        "Excel",
        "Outlook",
        "PowerPoint",
        "SharePoint",
        "Studio",
        "Visio",
        "Access",
        "Project",
        "Dynamics",
        "Lync",
        "Skype",
        "Acrobat",
        "Reader",
        "AutoCAD",
        "Photoshop",
        "Edition",
        "XP",
    ]
)
# Lowercased words whose following number is an identifier, not a year.
_ID_WORDS = frozenset(
    [
        "cve",
        "version",
        "build",
        "port",
        "ports",
        "model",
        "no",
        "number",
        "id",
        "pid",
        "error",
        "code",
        "kb",
        "rule",
        "event",
        "sid",
        "v",
    ]
)
_NOT_PLURAL = frozenset(
    [
        "was",
        "has",
        "is",
        "as",
        "its",
        "this",
        "his",
        "us",
        "thus",
        "always",
        "whereas",
        "across",
        "towards",
        "afterwards",
        "versus",
        "continues",
        "remains",
        "marks",
        "brings",
        "sees",
        "looks",
        "promises",
        "proves",
        "begins",
        "ends",
        "starts",
        "saw",
    ]
)
_IRREGULAR_PLURALS = frozenset(["people", "children", "men", "women", "staff", "employees"])


def _cased(words: tuple[str, ...]) -> str:
    return "|".join(f"{w}|{w.upper()}" for w in words)


_MON = rf"(?:(?:{_cased(_FULL)})(?![A-Za-z])|(?:{_cased(_ABBR)})(?:{H}?\.)?(?![A-Za-z]))"
_DAY = r"(?:3[01]|[12]\d|0?[1-9])(?:st|nd|rd|th)?(?!\w)"
_YEAR = r"(?:19|20)\d{2}(?!\d)"
_NUM = (
    rf"(?:\d{{1,4}}(?:\.\d)?|(?i:(?:{'|'.join(_TENS)})(?:(?:-|{H})(?:{'|'.join(_UNITS)}))?"
    rf"|{'|'.join(_TEENS)}|{'|'.join(_UNITS)}|a|an|a{H}+couple{H}+of))"
)
_UNIT = r"(?i:(?P<unit>second|minute|hour|day|week|month|year|decade)s?)"


@dataclass(frozen=True, slots=True)
class Atom:
    """One expression before combination; ``year`` is None while it is still unknown."""

    start: int
    end: int
    gran: str  # day | month | year | quarter | half | season | week | decade | duration
    year: int | None = None
    month: int | None = None
    day: int | None = None
    sub: str | None = None  # Q3, H1, SU: the part of the year for quarter, half and season
    value: str | None = None  # fixed value (durations, weeks, decades, resolved relative days)
    kind: str = "date"
    weak: bool = False  # kept only when it combines with a neighbour ("March" in "March-May 2021")
    rel_year: bool = False  # "last year", "this year": can supply a year to a preceding atom


def shift_month(year: int, month: int, delta: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + delta
    return index // 12, index % 12 + 1


def latest_year(month: int, published: dt.date) -> int:
    """The year of the latest given month not later than the publication month."""
    return published.year if month <= published.month else published.year - 1


def _iso_week(day: dt.date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def render(atom: Atom) -> str | None:
    """The ISO-8601 value of a resolved atom (None while its year is unknown or the day invalid)."""
    if atom.value is not None:
        return atom.value
    if atom.year is None:
        return None
    if atom.gran == "year":
        return f"{atom.year:04d}"
    if atom.gran in ("quarter", "half", "season"):
        return f"{atom.year:04d}-{atom.sub}"
    if atom.month is None:
        return None
    if atom.gran == "month":
        return f"{atom.year:04d}-{atom.month:02d}"
    if atom.day is None or atom.day > calendar.monthrange(atom.year, atom.month)[1]:
        return None
    return f"{atom.year:04d}-{atom.month:02d}-{atom.day:02d}"


def _number(word: str) -> float | None:
    word = " ".join(word.lower().replace("-", " ").split())
    if word in ("a", "an"):
        return 1
    if word == "a couple of":
        return 2
    if word[0].isdigit():
        return float(word)
    parts = word.split()
    total = 0
    for part in parts:
        value = _UNITS.get(part) or _TEENS.get(part) or _TENS.get(part)
        if value is None:
            return None
        total += value
    return total


_WORD_BEFORE = re.compile(r"([A-Za-z][\w'’]*)([^\w\n]{0,3})$")
_DASH_BEFORE = re.compile(rf"[-–]{H}?$")
_RANGE_OR_MOD_BEFORE = re.compile(rf"(?:(?<!\d)(?:19|20)\d\d|(?<![\w-])(?i:mid|early|late)){H}?[-–]{H}?$")
_NUMBER_BEFORE = re.compile(rf"[\d/%_]{H}?$")
_NUMBER_AFTER = re.compile(rf"{H}?[\d/]")
_WORD_AFTER = re.compile(rf"{H}+([a-z][a-z'’-]*)")
_AGO = re.compile(rf"{H}+(?i:ago)(?!\w)")
_HYPHEN = re.compile(r"[-‐]")
_LEAD = re.compile(
    rf"(?<![\w-])(?i:(?:past|last|previous|next|coming|first|following)|more{H}+than|less{H}+than"
    rf"|fewer{H}+than|over|under|nearly|almost|about|around|approximately|roughly|at{H}+least|up{H}+to"
    rf"|some|just){H}+$"
)
_REL_BEFORE = re.compile(rf"(?<![\w-])(?P<rel>(?i:last|this|next|past)){H}+$")


def _before(pattern: re.Pattern[str], text: str, start: int, width: int = 30) -> re.Match[str] | None:
    return pattern.search(text, max(0, start - width), start)


def _word_before(text: str, start: int, *, cased: bool = False) -> str:
    """The word right before ``start`` (across spaces, a comma or a hyphen), lowercased unless ``cased``."""
    found = _WORD_BEFORE.search(text, max(0, start - 40), start)
    if not found:
        return ""
    return found.group(1) if cased else found.group(1).lower()


def _month(token: str) -> int:
    return _MONTHS[token.rstrip(". \u00a0").lower()]


def _day(token: str) -> int:
    return int(re.sub(r"\D", "", token))


Handler = Callable[[re.Match[str], str, dt.date | None], Atom | None]


def _month_day_year(m: re.Match[str], text: str, published: dt.date | None) -> Atom:
    year = int(m["y"]) if m["y"] else None
    return Atom(m.start(), m.end(), "day", year, _month(m["mon"]), _day(m["d"]))


def _month_year(m: re.Match[str], text: str, published: dt.date | None) -> Atom:
    return Atom(m.start(), m.end(), "month", int(m["y"]), _month(m["mon"]))


def _bare_month(m: re.Match[str], text: str, published: dt.date | None) -> Atom | None:
    month = _month(m["mon"])
    prev = _word_before(text, m.start())
    if prev in ("last", "this", "next", "past", "previous"):
        return None  # "last October" is a relative rule of its own
    full = m["mon"].rstrip(".").lower() in (f.lower() for f in _FULL)
    return Atom(m.start(), m.end(), "month", None, month, weak=not (full and prev in TRIGGERS))


def _iso(m: re.Match[str], text: str, published: dt.date | None) -> Atom:
    return Atom(m.start(), m.end(), "day", int(m["y"]), int(m["m"]), int(m["d"]))


def _numeric(m: re.Match[str], text: str, published: dt.date | None) -> Atom | None:
    first, second, sep = int(m["a"]), int(m["b"]), m["sep"].strip()
    year = int(m["y"]) if len(m["y"]) == 4 else 2000 + int(m["y"])
    if sep == "." and (len(m["a"]) != 2 or len(m["b"]) != 2 or len(m["y"]) != 4):
        return None  # "2.1.2020" is a version number
    if len(m["y"]) == 2 and sep != "/":
        return None
    day_first = sep == "." or first > 12
    month, day = (second, first) if day_first else (first, second)
    if month > 12 or month < 1 or day < 1:
        return None
    return Atom(m.start(), m.end(), "day", year, month, day)


def _year(m: re.Match[str], text: str, published: dt.date | None) -> Atom | None:
    start = m.start()
    if _before(_DASH_BEFORE, text, start, 2) and not _before(_RANGE_OR_MOD_BEFORE, text, start, 12):
        return None  # CVE-2021-..., 555-2019; but 2019-2021 and mid-2022
    if _before(_NUMBER_BEFORE, text, start, 2) or _NUMBER_AFTER.match(text, m.end()):
        return None  # a run of numbers (phone numbers, tables) or a path segment
    cased = _word_before(text, start, cased=True)
    if cased in _PRODUCTS and text[start - 1].isspace():
        return None
    prev = cased.lower()
    if prev in _ID_WORDS:
        return None
    after = _WORD_AFTER.match(text, m.end())
    if after and prev not in TRIGGERS:
        word = after.group(1)
        plural = len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is", "'s", "’s"))
        if (plural and word not in _NOT_PLURAL) or word in _IRREGULAR_PLURALS:
            return None  # "2020 servers" is a count
    return Atom(m.start(), m.end(), "year", int(m[0]))


def _decade(m: re.Match[str], text: str, published: dt.date | None) -> Atom:
    return Atom(m.start("y"), m.end(), "decade", value=m["y"][:3])


def _quarter(m: re.Match[str], text: str, published: dt.date | None) -> Atom | None:
    number = int(m["q"] or m["h"] or 0) or _ORDINALS[m["qo"].lower()]
    if m["h"] or m["half"]:
        sub, gran = f"H{m['h'] or number}", "half"
        if not m["h"] and number > 2:
            return None
    else:
        sub, gran = f"Q{number}", "quarter"
    if m["y"]:
        return Atom(m.start(), m.end(), gran, int(m["y"]), sub=sub)
    prev = _word_before(text, m.start())
    if published is None or gran == "half":
        return Atom(m.start(), m.end(), gran, None, sub=sub, weak=True)
    quarter_month = (number - 1) * 3 + 1
    year = latest_year(quarter_month, published)
    return Atom(m.start(), m.end(), gran, year, sub=sub, weak=prev not in TRIGGERS)


def _season_year(code: str, rel: str, published: dt.date) -> int:
    start_month = dict(_SEASONS.values())[code]
    latest = latest_year(start_month, published)
    inside = shift_month(latest, start_month, 3) > (published.year, published.month)
    if rel == "last":
        return latest - 1 if inside else latest
    if rel == "next":
        return latest + 1
    return latest


def _season(m: re.Match[str], text: str, published: dt.date | None) -> Atom | None:
    code = _SEASONS[m["s"].lower()][0]
    if m["y"]:
        return Atom(m.start(), m.end(), "season", int(m["y"]), sub=code)
    rel = _before(_REL_BEFORE, text, m.start(), 8)
    if rel:
        if published is None:
            return None
        year = _season_year(code, rel["rel"].lower(), published)
        return Atom(rel.start(), m.end(), "season", year, sub=code)
    if m["s"].lower() == "fall":
        return None  # the verb
    return Atom(m.start(), m.end(), "season", None, sub=code, weak=True)


def _relative_unit(m: re.Match[str], text: str, published: dt.date | None) -> Atom | None:
    rel, unit = m["rel"].lower(), m["unit"].lower()
    start = m.start("mod") if m["mod"] else m.start("rel")
    if rel == "past" or (rel == "last" and m["the"]):
        value = {"year": "P1Y", "month": "P1M", "week": "P1W", "quarter": "P3M", "day": "P1D"}[unit]
        return Atom(start, m.end(), "duration", value=value, kind="duration")
    if published is None or unit == "day":
        return None
    offset = {"last": -1, "previous": -1, "this": 0, "current": 0, "next": 1, "coming": 1}[rel]
    if unit == "year":
        return Atom(start, m.end(), "year", published.year + offset, rel_year=not m["mod"])
    if unit == "month":
        year, month = shift_month(published.year, published.month, offset)
        return Atom(start, m.end(), "month", year, month)
    if unit == "quarter":
        year, month = shift_month(published.year, published.month, 3 * offset)
        return Atom(start, m.end(), "quarter", year, sub=f"Q{(month - 1) // 3 + 1}")
    return Atom(start, m.end(), "week", value=_iso_week(published + dt.timedelta(weeks=offset)))


def _relative_month(m: re.Match[str], text: str, published: dt.date | None) -> Atom | None:
    if published is None:
        return None
    rel, month = m["rel"].lower(), _month(m["mon"])
    if rel in ("last", "past", "previous"):
        year = published.year if month < published.month else published.year - 1
    elif rel == "this":
        year = published.year
    else:
        year = published.year if month > published.month else published.year + 1
    return Atom(m.start(), m.end(), "month", year, month)


def _relative_day(m: re.Match[str], text: str, published: dt.date | None) -> Atom | None:
    if published is None:
        return None
    offset = {"yesterday": -1, "today": 0, "tomorrow": 1}[m[0].lower()]
    return Atom(m.start(), m.end(), "day", value=(published + dt.timedelta(days=offset)).isoformat())


def _weekday(m: re.Match[str], text: str, published: dt.date | None) -> Atom | None:
    if published is None:
        return None
    if _word_before(text, m.start(), cased=True) in (
        "Patch",
        "Cyber",
        "Black",
        "Super",
        "Good",
        "Easter",
        "Ash",
    ):
        return None
    found = _before(_REL_BEFORE, text, m.start(), 8)
    rel, start = (found["rel"].lower(), found.start()) if found else ("", m.start())
    back = (published.weekday() - _WEEKDAYS.index(m["wd"])) % 7
    if rel in ("last", "past") and back == 0:
        back = 7
    if rel == "next":
        back = back - 7 if back else -7
    return Atom(start, m.end(), "day", value=(published - dt.timedelta(days=back)).isoformat())


def _ago(start: int, end: int, amount: float, unit: str, published: dt.date | None) -> Atom | None:
    """``two weeks ago``: a date at the unit's precision."""
    if published is None or amount != int(amount):
        return None
    n = int(amount)
    if unit == "day":
        return Atom(start, end, "day", value=(published - dt.timedelta(days=n)).isoformat())
    if unit == "week":
        return Atom(start, end, "week", value=_iso_week(published - dt.timedelta(weeks=n)))
    if unit == "month":
        year, month = shift_month(published.year, published.month, -n)
        return Atom(start, end, "month", year, month)
    if unit in ("year", "decade"):
        return Atom(start, end, "year", published.year - n * (10 if unit == "decade" else 1))
    return None


def _duration(m: re.Match[str], text: str, published: dt.date | None) -> Atom | None:
    amount = _number(m["n"])
    if amount is None or amount <= 0 or amount > 999:
        return None
    unit = m["unit"].lower()
    ago = _AGO.match(text, m.end())
    if ago:
        return _ago(m.start(), ago.end(), amount, unit, published)
    lead = _before(_LEAD, text, m.start(), 25)
    start = lead.start() if lead else m.start()
    if m["n"].lower() in ("a", "an") and not lead and _word_before(text, start) not in ("for", "within"):
        return None  # "twice a year", "24 hours a day"
    if _HYPHEN.match(text, m.end()):
        return None  # "two-year-old", "90-day"
    shown = f"{amount:g}"
    if unit == "decade":
        shown = f"{amount * 10:g}"
    code = {"second": "TS", "minute": "TM", "hour": "TH", "day": "D", "week": "W", "month": "M"}.get(
        unit, "Y"
    )
    value = f"PT{shown}{code[1]}" if code.startswith("T") else f"P{shown}{code}"
    return Atom(start, m.end(), "duration", value=value, kind="duration")


def _rules() -> tuple[tuple[re.Pattern[str], Handler], ...]:
    edge = r"(?<![\w$€£#@./:%])"
    return tuple(
        (re.compile(pattern), handler)
        for pattern, handler in (
            (
                rf"(?<![\w.])(?P<mon>{_MON}){H}*(?P<d>{_DAY})"
                rf"(?:(?:{H}*,{H}*|{H}+)(?:of{H}+)?(?P<y>{_YEAR}))?",
                _month_day_year,
            ),
            (
                rf"(?<![\w.,-])(?P<d>{_DAY})(?:{H}+of{H}+|{H}*-{H}*|{H}+)(?P<mon>{_MON})"
                rf"(?:(?:{H}*,{H}*|{H}*-{H}*|{H}+)(?:of{H}+)?(?P<y>{_YEAR}))?",
                _month_day_year,
            ),
            (rf"(?<![\w.])(?P<mon>{_MON})(?:{H}*,)?{H}+(?:of{H}+)?(?P<y>{_YEAR})", _month_year),
            (rf"(?<![\w.-])(?P<mon>{_MON})", _bare_month),
            (
                rf"{edge}(?<![-–])(?<![-–/]{H})(?P<y>(?:19|20)\d{{2}})(?P<sep>{H}?[-/]{H}?)(?P<m>0?[1-9]|1[0-2])(?P=sep)"
                rf"(?P<d>3[01]|[12]\d|0?[1-9])(?![/\d]|[.:-]\d|(?!T\d)[A-Za-z_])",
                _iso,
            ),
            (
                rf"{edge}(?<![-–])(?<![-–/]{H})(?P<a>\d{{1,2}})(?P<sep>{H}?[-/.]{H}?)(?P<b>\d{{1,2}})(?P=sep)"
                rf"(?P<y>(?:19|20)\d{{2}}|\d{{2}})(?![\w/]|[.:-]\d)",
                _numeric,
            ),
            (rf"{edge}(?:19|20)\d{{2}}(?![\w%]|[/.:,]\d|-\d(?!\d{{3}}(?!\d)))", _year),
            (rf"{edge}(?:(?i:the){H}+)?(?P<y>(?:19|20)\d0)'?s(?!\w)", _decade),
            (
                rf"(?<![\w-])(?:Q(?P<q>[1-4])|H(?P<h>[12])|(?P<qo>(?i:first|second|third|fourth|1st|2nd|3rd|4th))"
                rf"{H}+(?:(?i:quarter)|(?P<half>(?i:half))))(?:(?:{H}+(?i:of){H}+|{H}*[-,]?{H}*)(?P<y>{_YEAR}))?"
                rf"(?![\w-])",
                _quarter,
            ),
            (
                rf"(?<![\w-])(?P<s>(?i:spring|summer|autumn|fall|winter))"
                rf"(?:(?:{H}+of)?{H}+(?P<y>{_YEAR}))?(?![\w-])",
                _season,
            ),
            (
                rf"(?<![\w-])(?:(?P<mod>(?i:earlier|later)){H}+)?(?:(?P<the>(?i:the)){H}+)?"
                rf"(?P<rel>(?i:last|this|next|past|previous|coming|current)){H}+"
                rf"(?P<unit>(?i:year|month|week|quarter|day))(?![\w-])",
                _relative_unit,
            ),
            (rf"(?<![\w-])(?P<rel>(?i:last|this|next|past|previous)){H}+(?P<mon>{_MON})", _relative_month),
            (r"(?<![\w-])(?i:yesterday|today|tomorrow)(?![\w-])", _relative_day),
            (
                rf"(?<![\w-])(?P<wd>{'|'.join(_WEEKDAYS)})(?![\w-])",
                _weekday,
            ),
            (rf"(?<![\w.,-])(?P<n>{_NUM}){H}+{_UNIT}(?!\w)", _duration),
        )
    )


_RULES = _rules()


# URLs, also with the spaces that PDF and tokenised text put around ':' and '/': their digits are not dates.
_URL = re.compile(rf"(?i:https?{H}?:{H}?/{H}?/|www\.)[^\s/]*(?:{H}?/{H}?[^\s/]+)*")


def find_atoms(text: str, published: dt.date | None) -> list[Atom]:
    """Every atom any rule finds outside URLs, overlapping ones included."""
    urls = [(m.start(), m.end()) for m in _URL.finditer(text)]
    url_starts = [s for s, _ in urls]
    atoms: list[Atom] = []
    for pattern, handler in _RULES:
        for match in pattern.finditer(text):
            atom = handler(match, text, published)
            if atom is None:
                continue
            index = bisect.bisect_right(url_starts, atom.start) - 1
            if index < 0 or urls[index][1] <= atom.start:
                atoms.append(atom)
    return atoms
