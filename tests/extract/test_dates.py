"""Time expressions: spans, values and resolution against the publication date."""

from __future__ import annotations

import datetime as dt
import html
import re
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from threatledger.extract.dates import NAME, VERSION, extract_dates, main
from threatledger.model import TimeExpression

PUBLISHED = dt.date(2023, 8, 29)  # a Tuesday

# (text, expected (span text, value, granularity)) with PUBLISHED; only the outermost expressions are listed
# when a range also reports its bounds.
CASES: list[tuple[str, list[tuple[str, str, str]]]] = [
    ("It was breached in October last year.", [("October last year", "2022-10", "month")]),
    ("It was breached in October of last year.", [("October of last year", "2022-10", "month")]),
    ("The intrusion began last October.", [("last October", "2022-10", "month")]),
    ("Attackers struck in August.", [("August", "2023-08", "month")]),
    ("Attackers struck in October.", [("October", "2022-10", "month")]),
    ("The group was first seen back in 2020.", [("2020", "2020", "year")]),
    ("The group resurfaced earlier this year.", [("earlier this year", "2023", "year")]),
    ("Sales fell last year.", [("last year", "2022", "year")]),
    ("Patches shipped this week.", [("this week", "2023-W35", "week")]),
    ("Patches shipped last week.", [("last week", "2023-W34", "week")]),
    ("The company said on Tuesday that", [("Tuesday", "2023-08-29", "day")]),
    ("The company said on Monday that", [("Monday", "2023-08-28", "day")]),
    ("The company said last Tuesday that", [("last Tuesday", "2023-08-22", "day")]),
    ("It was disclosed yesterday.", [("yesterday", "2023-08-28", "day")]),
    ("It was disclosed two weeks ago.", [("two weeks ago", "2023-W33", "week")]),
    ("It was disclosed 3 days ago.", [("3 days ago", "2023-08-26", "day")]),
    ("It started in early 2021.", [("early 2021", "2021-01/2021-04", "range")]),
    ("Activity peaked in Q3 2022.", [("Q3 2022", "2022-Q3", "quarter")]),
    ("Activity peaked in the third quarter of 2022.", [("third quarter of 2022", "2022-Q3", "quarter")]),
    ("Activity peaked in H1 2022.", [("H1 2022", "2022-H1", "half")]),
    ("It ran between March and May 2021.", [("between March and May 2021", "2021-03/2021-05", "range")]),
    ("It ran from 2019 to 2021.", [("from 2019 to 2021", "2019/2021", "range")]),
    ("It ran in 2019-2021.", [("2019-2021", "2019/2021", "range")]),
    ("Active since January.", [("since January", "2023-01/..", "range")]),
    ("Active since 2019.", [("since 2019", "2019/..", "range")]),
    ("Published August 29, 2023.", [("August 29, 2023", "2023-08-29", "day")]),
    ("Published 29 Aug 2023.", [("29 Aug 2023", "2023-08-29", "day")]),
    ("Published 2023-08-29.", [("2023-08-29", "2023-08-29", "day")]),
    ("Compiled 25 JUN 2019.", [("25 JUN 2019", "2019-06-25", "day")]),
    ("Seen on Sept. 22, 2020.", [("Sept. 22, 2020", "2020-09-22", "day")]),
    ("Seen on the 27th of February of 2020.", [("27th of February of 2020", "2020-02-27", "day")]),
    ("Seen on 08/25/2018.", [("08/25/2018", "2018-08-25", "day")]),
    ("Seen on 29.08.2023.", [("29.08.2023", "2023-08-29", "day")]),
    ("Seen on May 10.", [("May 10", "2023-05-10", "day")]),
    ("Seen in May 2021.", [("May 2021", "2021-05", "month")]),
    ("Seen in November of 2019.", [("November of 2019", "2019-11", "month")]),
    ("Seen by mid-2022.", [("mid-2022", "2022-05/2022-08", "range")]),
    ("Seen in late March 2021.", [("late March 2021", "2021-03-21/2021-03-31", "range")]),
    ("It happened late last year.", [("late last year", "2022-09/2022-12", "range")]),
    ("It happened at the end of 2020.", [("end of 2020", "2020-09/2020-12", "range")]),
    ("Seen in summer 2021.", [("summer 2021", "2021-SU", "season")]),
    ("Seen last summer.", [("last summer", "2022-SU", "season")]),
    ("Botnets of the 1990s.", [("1990s", "199", "decade")]),
    ("They stayed for nine months.", [("nine months", "P9M", "duration")]),
    ("They stayed for 9 months.", [("9 months", "P9M", "duration")]),
    ("They stayed for more than two years.", [("more than two years", "P2Y", "duration")]),
    ("They stayed for three weeks.", [("three weeks", "P3W", "duration")]),
    ("They stayed for 10 days.", [("10 days", "P10D", "duration")]),
    ("They stayed for twenty-four hours.", [("twenty-four hours", "PT24H", "duration")]),
    ("They stayed for a year.", [("a year", "P1Y", "duration")]),
    ("Attacks in the past six months.", [("past six months", "P6M", "duration")]),
    ("Attacks over the past year.", [("past year", "P1Y", "duration")]),
    (
        "It was seen in Sept 2020 and then again on 1 Dec. 2018.",
        [
            ("Sept 2020", "2020-09", "month"),
            ("1 Dec. 2018", "2018-12-01", "day"),
        ],
    ),
    # Tokenised text (spaces around punctuation) as in corpora and PDF extractions.
    (
        "Seen on Oct . 12 , 2020 and 2021 - 05 - 04 , by mid - 2019 .",
        [
            ("Oct . 12 , 2020", "2020-10-12", "day"),
            ("2021 - 05 - 04", "2021-05-04", "day"),
            ("mid - 2019", "2019-05/2019-08", "range"),
        ],
    ),
]

NEGATIVES = [
    "Data may have been compromised.",
    "It may be that the actor left.",
    "May the best team win.",
    "Protesters march on the capital.",
    "An august body of researchers.",
    "Upgrade to version 2.1.2020 now.",
    "The botnet infected 2020 servers.",
    "More than 1,000 hosts were hit.",
    "Call +1 202 555 2019 for help.",
    "The meeting is at 10:30.",
    "It exploits CVE-2021-44228 in Log4j.",
    "It targets Windows 2000 and Office 2016.",
    "Windows Server 2008 R2 hosts were hit.",
    "Exchange 2013 and SQL Server 2019 too.",
    "Installed on Patch Tuesday.",
    "It runs twice a year.",
    "See https://example.com/2021/05/04/post-2020 for details.",
    "The two-year-old boy.",
]


def _outer(found: tuple[TimeExpression, ...]) -> list[tuple[str, str, str]]:
    outer = [e for e in found if not any(o is not e and o.start <= e.start and e.end <= o.end for o in found)]
    return [(e.text, e.value, e.granularity) for e in outer]


def test_name_and_version() -> None:
    assert (NAME, VERSION) == ("dates", "1")


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:40] for c in CASES])
def test_cases(text: str, expected: list[tuple[str, str, str]]) -> None:
    assert _outer(extract_dates(text, PUBLISHED)) == expected


@pytest.mark.parametrize("text", NEGATIVES)
def test_negatives(text: str) -> None:
    assert extract_dates(text, PUBLISHED) == ()


def test_kinds_and_offsets() -> None:
    text = "From March to May 2021 the actor stayed for nine months."
    found = extract_dates(text, PUBLISHED)
    kinds = {e.text: e.kind for e in found}
    assert kinds == {
        "From March to May 2021": "range",
        "March": "date",
        "May 2021": "date",
        "nine months": "duration",
    }
    for e in found:
        assert text[e.start : e.end] == e.text


def test_range_reports_its_bounds() -> None:
    found = extract_dates("between March and May 2021", None)
    assert [(e.text, e.value) for e in found] == [
        ("between March and May 2021", "2021-03/2021-05"),
        ("March", "2021-03"),
        ("May 2021", "2021-05"),
    ]


def test_range_across_a_year_boundary() -> None:
    found = extract_dates("from November to February 2021", None)
    assert found[0].value == "2020-11/2021-02"


def test_may_as_a_date_needs_context() -> None:
    assert _outer(extract_dates("In May, the group returned.", PUBLISHED)) == [("May", "2023-05", "month")]
    assert _outer(extract_dates("May, the analyst, said so.", PUBLISHED)) == []


def test_year_before_plural_noun_after_temporal_word_is_a_date() -> None:
    assert _outer(extract_dates("In 2020 attackers struck.", PUBLISHED)) == [("2020", "2020", "year")]


def test_without_publication_date_relative_expressions_are_left_out() -> None:
    text = "Last year, in August, on Tuesday, two weeks ago, in 2020, for nine months, between March and May 2021."
    found = _outer(extract_dates(text, None))
    assert found == [
        ("2020", "2020", "year"),
        ("nine months", "P9M", "duration"),
        ("between March and May 2021", "2021-03/2021-05", "range"),
    ]


def test_every_value_is_a_string() -> None:
    text = " ".join(c[0] for c in CASES)
    for published in (PUBLISHED, None):
        assert all(isinstance(e.value, str) and e.value for e in extract_dates(text, published))


_PROSE = (
    "The operators behind the campaign, first reported by researchers in March 2021, returned last week "
    "with a new loader. Between 2019 and 2020 the group hit 2020 servers in 14 countries, according to a "
    "report published on 12 May 2022 (see https://example.com/2022/05/12/report). It may have used "
    "CVE-2021-44228 against Windows Server 2019 hosts for more than nine months before detection; the "
    "vendor said on Tuesday that it had notified 1,000 customers. Version 2.1.2020 fixes the flaw. "
)


def _best_of(runs: int, text: str) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        extract_dates(text, PUBLISHED)
        timings.append(time.perf_counter() - started)
    return min(timings)


def test_50kb_article_is_fast() -> None:
    text = (_PROSE * (50_000 // len(_PROSE) + 1))[:50_000]
    assert _best_of(3, text) < 0.1


_WORDS = "May march 2021 Q3 last year since in early mid- between and to ago two weeks Tuesday Oct. 29 of the past CVE-"
_ALPHABET = st.sampled_from([*"0123456789 -/.,:\n\xa0é", *_WORDS.split()])


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(st.text(max_size=200), st.lists(_ALPHABET, max_size=40).map("".join)),
    st.one_of(st.none(), st.dates(min_value=dt.date(1901, 1, 1), max_value=dt.date(2098, 12, 31))),
)
def test_property_spans_index_the_text(text: str, published: dt.date | None) -> None:
    found = extract_dates(text, published)
    for e in found:
        assert 0 <= e.start < e.end <= len(text)
        assert text[e.start : e.end] == e.text
        assert e.kind in ("date", "range", "duration")
    for a in found:
        for b in found:
            nested = (a.start <= b.start and b.end <= a.end) or (b.start <= a.start and a.end <= b.end)
            assert nested or a.end <= b.start or b.end <= a.start


def test_module_entry_prints_json_lines(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "vendor_2023-08-29_story.txt").write_text(
        "Seen last year and in 2020 for two weeks.", encoding="utf-8"
    )
    assert main([str(tmp_path), "--published-from-name", "--kinds", "date"]) == 0
    out = capsys.readouterr().out
    assert '"doc_id": "vendor_2023-08-29_story"' in out
    assert '"value": "2022"' in out and '"value": "2020"' in out and "P2W" not in out


_TAG = re.compile(r"<TIMEX3\b[^>]*?value=\"([^\"]*)\"[^>]*>(.*?)</TIMEX3>|<[^>]+>", re.S)


def _timeml(path: Path) -> tuple[str, dt.date, list[tuple[int, int, str]]]:
    """Plain text, creation date and (start, end, value) of each TIMEX3 of a TimeML file.

    The files are not always well-formed XML, so tags are read with a pattern rather than a parser.
    """
    raw = path.read_text(encoding="utf-8")
    dct = re.search(r'functionInDocument="CREATION_TIME"[^>]*value="(\d{4}-\d{2}-\d{2})', raw)
    assert dct is not None
    body = raw[raw.index("<TEXT>") + len("<TEXT>") : raw.rindex("</TEXT>")]
    parts: list[str] = []
    gold: list[tuple[int, int, str]] = []
    pos = last = 0
    for tag in _TAG.finditer(body):
        plain = html.unescape(body[last : tag.start()])
        parts.append(plain)
        pos += len(plain)
        if tag.group(1) is not None:
            inner = html.unescape(tag.group(2))
            gold.append((pos, pos + len(inner), tag.group(1)))
            parts.append(inner)
            pos += len(inner)
        last = tag.end()
    parts.append(html.unescape(body[last:]))
    return "".join(parts), dt.date.fromisoformat(dct.group(1)), gold


def timeml_value_accuracy(folder: Path) -> tuple[int, int]:
    """(matched, correct): gold TIMEX3 overlapped by a predicted date, and those whose value agrees."""
    matched = correct = 0
    for path in sorted(folder.glob("*.tml")):
        text, dct, gold = _timeml(path)
        found = [e for e in extract_dates(text, dct) if e.kind == "date"]
        for start, end, value in gold:
            overlapping = [e for e in found if e.start < end and start < e.end]
            if overlapping:
                matched += 1
                correct += any(e.value == value for e in overlapping)
    return matched, correct


def test_annoctr_timeml_values(shared_data: Path) -> None:
    folder = shared_data / "annoctr" / "time" / "dev"
    if not folder.is_dir():
        pytest.skip("AnnoCTR TimeML files not present")
    matched, correct = timeml_value_accuracy(folder)
    assert matched > 100
    assert correct / matched > 0.85, (matched, correct)


def test_annoctr_texts_do_not_crash(shared_data: Path) -> None:
    folder = shared_data / "annoctr" / "text" / "dev"
    if not folder.is_dir():
        pytest.skip("AnnoCTR texts not present")
    for path in sorted(folder.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        stamp = re.search(r"\d{4}-\d{2}-\d{2}", path.name)
        published = dt.date.fromisoformat(stamp.group()) if stamp else None
        for e in extract_dates(text, published):
            assert text[e.start : e.end] == e.text
