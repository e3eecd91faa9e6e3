"""The incident timeline as an SVG picture drawn on the server: no script, every label escaped.

Stages (compromise, discovery, disclosure, reporting) sit above the axis, each report's publication below it. A date
known only to the month or year is drawn as a band over the whole period it covers, a day as a point, so the
picture never shows more precision than the sources give. The dwell time spans compromise to discovery.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

__all__ = ["timeline_svg"]

WIDTH = 960
MARGIN = 48
ROW = 34
CHAR_PX = 6.6
_STAGE_LABEL = {
    "compromised": "compromise",
    "discovered": "discovery",
    "disclosed": "disclosure",
    "reported": "reported",
}


@dataclass(frozen=True, slots=True)
class _Item:
    event: str
    label: str
    detail: str
    tooltip: str
    start: dt.date
    end: dt.date
    below: bool


class _Scale:
    def __init__(self, first: dt.date, last: dt.date) -> None:
        pad = max(10, (last - first).days // 20)
        self.first = first - dt.timedelta(days=pad)
        self.last = last + dt.timedelta(days=pad)
        self.days = max((self.last - self.first).days, 1)

    def x(self, day: dt.date) -> float:
        return round(MARGIN + (day - self.first).days / self.days * (WIDTH - 2 * MARGIN), 1)


def _items(timeline: Sequence[Mapping[str, Any]]) -> tuple[list[_Item], list[str]]:
    items: list[_Item] = []
    unplaced: list[str] = []
    for entry in timeline:
        event = str(entry.get("event"))
        value = str(entry.get("value") or "")
        granularity = str(entry.get("granularity") or "")
        if not entry.get("start") or not entry.get("end"):
            if value:
                unplaced.append(f"{_STAGE_LABEL.get(event, event)}: {value} ({granularity})")
            continue
        below = event == "report"
        label = str(entry.get("source") or "report") if below else _STAGE_LABEL.get(event, event)
        evidence = str(entry.get("evidence") or "")
        items.append(
            _Item(
                event=event,
                label=label[:40],
                detail=f"{value} · {granularity}" if granularity else value,
                tooltip=f"{event}: {value} ({granularity}) — “{evidence}”"
                if evidence
                else f"{event}: {value}",
                start=dt.date.fromisoformat(str(entry["start"])),
                end=dt.date.fromisoformat(str(entry["end"])),
                below=below,
            )
        )
    return items, unplaced


def _rows(items: list[_Item], scale: _Scale) -> list[int]:
    """Greedy lanes so that no two labels on the same side overlap."""
    lanes: dict[bool, list[float]] = {True: [], False: []}
    rows: list[int] = []
    for item in items:
        x = scale.x(item.start) + (scale.x(item.end) - scale.x(item.start)) / 2
        width = max(len(item.label), len(item.detail)) * CHAR_PX + 12
        left = x - width / 2
        ends = lanes[item.below]
        for row, right in enumerate(ends):
            if left > right:
                ends[row] = left + width
                rows.append(row)
                break
        else:
            ends.append(left + width)
            rows.append(len(ends) - 1)
    return rows


def _ticks(scale: _Scale) -> list[tuple[dt.date, str]]:
    span_years = scale.days / 365
    step = 12 if span_years > 4 else 3 if span_years > 0.75 else 1
    day = dt.date(scale.first.year, 1, 1)
    ticks: list[tuple[dt.date, str]] = []
    while day <= scale.last:
        if day >= scale.first and (day.month - 1) % step == 0:
            ticks.append((day, str(day.year) if day.month == 1 else day.strftime("%Y-%m")))
        month = day.month % 12 + 1
        day = dt.date(day.year + (day.month == 12), month, 1)
    return ticks


def timeline_svg(timeline: Sequence[Mapping[str, Any]], dwell_days: int | None = None) -> Markup:
    """The picture for ``merged_timeline`` output (an empty string when nothing has a date)."""
    items, unplaced = _items(timeline)
    if not items:
        return Markup("")
    items.sort(key=lambda i: (i.start, i.below))
    scale = _Scale(min(i.start for i in items), max(i.end for i in items))
    rows = _rows(items, scale)
    above = max([r for r, i in zip(rows, items, strict=True) if not i.below], default=-1) + 1
    below = max([r for r, i in zip(rows, items, strict=True) if i.below], default=-1) + 1
    axis = 40 + above * ROW + 24
    height = axis + below * ROW + 60 + (18 * len(unplaced))
    out: list[str] = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="timeline" viewBox="0 0 {WIDTH} {height}" '
        f'width="{WIDTH}" height="{height}" role="img" aria-labelledby="tl-title tl-desc">',
        '<title id="tl-title">Incident timeline</title>',
        f'<desc id="tl-desc">{escape("; ".join(f"{i.event} {i.detail}" for i in items))}</desc>',
        f'<line class="axis" x1="{MARGIN}" y1="{axis}" x2="{WIDTH - MARGIN}" y2="{axis}"/>',
    ]
    for day, text in _ticks(scale):
        x = scale.x(day)
        out.append(f'<line class="tick" x1="{x}" y1="{axis - 4}" x2="{x}" y2="{axis + 4}"/>')
        out.append(
            f'<text class="tick-label" x="{x}" y="{axis + 18}" text-anchor="middle">{escape(text)}</text>'
        )
    stages = {i.event: i for i in items if not i.below}
    if "compromised" in stages and "discovered" in stages:
        x1, x2 = scale.x(stages["compromised"].start), scale.x(stages["discovered"].start)
        y = 22
        days = (
            dwell_days
            if dwell_days is not None
            else (stages["discovered"].start - stages["compromised"].start).days
        )
        out.append(
            f'<g class="dwell"><path d="M{x1} {y + 8} V{y} H{x2} V{y + 8}"/>'
            f'<text x="{(x1 + x2) / 2}" y="{y - 6}" text-anchor="middle">'
            f"{escape(f'dwell ≈ {days} days')}</text></g>"
        )
    for item, row in zip(items, rows, strict=True):
        x1, x2 = scale.x(item.start), scale.x(item.end + dt.timedelta(days=1))
        centre = round((x1 + x2) / 2, 1)
        css = f"event event-{escape(item.event)}"
        label_y = axis + 34 + row * ROW if item.below else axis - 30 - row * ROW
        out.append(f'<g class="{css}"><title>{escape(item.tooltip)}</title>')
        if x2 - x1 >= 3:
            out.append(
                f'<rect class="band" x="{x1}" y="{axis - 6}" width="{round(x2 - x1, 1)}" height="12" rx="3"/>'
            )
        out.append(f'<circle class="marker" cx="{centre}" cy="{axis}" r="5"/>')
        edge = label_y + 17 if not item.below else label_y - 12
        out.append(f'<line class="leader" x1="{centre}" y1="{axis}" x2="{centre}" y2="{edge}"/>')
        out.append(
            f'<text class="label" x="{centre}" y="{label_y}" text-anchor="middle">{escape(item.label)}</text>'
        )
        out.append(
            f'<text class="detail" x="{centre}" y="{label_y + 13}" text-anchor="middle">{escape(item.detail)}</text></g>'
        )
    y = axis + below * ROW + 44
    for note in unplaced:
        out.append(f'<text class="note" x="{MARGIN}" y="{y}">{escape("not placed: " + note)}</text>')
        y += 18
    out.append("</svg>")
    return Markup("".join(out))
