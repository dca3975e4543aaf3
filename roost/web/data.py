"""What the dashboard pages show, shaped from the services' results (no HTML and no queries here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from roost.core import analytics, domain
from roost.services.trackers import Summary
from roost.store.trackers import TrackerView

PRESETS = ("today", "yesterday", "7d", "30d", "90d", "365d")
SPARK_DAYS = 7


class InputError(ValueError):
    """Bad dashboard input; `field` names the form field, the message is shown to the user."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class TrackerRow:
    view: TrackerView
    deltas: dict[str, dict[analytics.Metric, int | None]]  # window -> metric -> change
    spark: str  # SVG polyline points of the last week's followers, "" without data


@dataclass(frozen=True)
class RangeChoice:
    preset: str  # one of PRESETS or "custom"
    start: int
    end: int
    tz: ZoneInfo
    start_day: str  # yyyy-mm-dd in tz, for the custom form
    end_day: str


def sparkline(values: list[int], width: int = 120, height: int = 28) -> str:
    """Points for an SVG polyline of `values` (at most ~60 of them, evenly picked)."""
    if len(values) < 2:
        return ""
    step = max(1, len(values) // 60)
    picked = values[::step] + ([values[-1]] if (len(values) - 1) % step else [])
    lo, hi = min(picked), max(picked)
    span = (hi - lo) or 1
    last = len(picked) - 1
    return " ".join(
        f"{k * width / last:.1f},{height - 2 - (v - lo) * (height - 4) / span:.1f}" for k, v in enumerate(picked)
    )


def tracker_row(summary: Summary) -> TrackerRow:
    """A tracker with its deltas by window and a sparkline of its last week's followers (glitches left out)."""
    glitched = {(g.bucket, g.metric) for g in summary.glitches}
    week = [p for p in summary.recent if p.bucket >= summary.end - SPARK_DAYS * analytics.DAY]
    clean = [p.followers for p in week if (p.bucket, "followers") not in glitched]
    deltas = {d.window: dict(d.changes) for d in summary.deltas}
    return TrackerRow(view=summary.view, deltas=deltas, spark=sparkline(clean or [p.followers for p in week]))


FIRST_DAY, LAST_DAY = date(1, 1, 2), date(9999, 11, 28)  # the days every time zone and period can hold


def _day(text: str, field: str, tz: ZoneInfo) -> datetime:
    try:
        day = date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(field, f"{field}: '{text[:20]}' is not a date (use YYYY-MM-DD).") from exc
    if not FIRST_DAY <= day <= LAST_DAY:
        raise InputError(field, f"{field}: pick a day between {FIRST_DAY} and {LAST_DAY}.")
    return datetime.combine(day, datetime.min.time(), tz)


def resolve_range(
    *, preset: str | None, start: str | None, end: str | None, tz_name: str | None, now: int
) -> RangeChoice:
    """The range a page asked for: a preset, or custom `start`/`end` days (inclusive) in the zone."""
    try:
        tz = analytics.parse_tz(tz_name)
    except ValueError as exc:
        raise InputError("tz", f"Time zone: {exc}.") from exc
    if start or end or preset == "custom":
        if not start or not end:
            raise InputError("start" if not start else "end", "A custom range needs both a start and an end day.")
        first, last = _day(start, "start", tz), _day(end, "end", tz)
        if first > last:
            raise InputError("start", "The start day must not be after the end day.")
        if (last - first).days > 3 * 366:
            raise InputError("end", "A custom range can be at most three years long.")
        s = int(first.timestamp())
        e = analytics.period_bounds(int(last.timestamp()), "day", tz)[1] - 1
        name = "custom"
    else:
        name = preset or "7d"
        if name not in PRESETS:
            raise InputError("range", f"Unknown range '{name[:20]}'; pick one of {', '.join(PRESETS)}.")
        s, e = analytics.range_preset(name, now, tz)
    return RangeChoice(
        preset=name,
        start=s,
        end=e,
        tz=tz,
        start_day=datetime.fromtimestamp(s, tz).date().isoformat(),
        end_day=datetime.fromtimestamp(e, tz).date().isoformat(),
    )


def auto_interval(start: int, end: int) -> analytics.Interval:
    """A period length that gives a readable table: hours up to two days, days up to three months, then weeks."""
    span = end - start
    if span <= 2 * analytics.DAY:
        return "hour"
    if span <= 92 * analytics.DAY:
        return "day"
    return "week"


def chart_payload(points: list[domain.Snapshot], glitches: list[analytics.Glitch]) -> dict[str, Any]:
    """Column arrays for uPlot; glitched values become null (a gap), so the chart shows no false cliff."""
    bad = {(g.bucket, g.metric) for g in glitches}
    out: dict[str, Any] = {"t": [p.bucket for p in points]}
    for m in analytics.METRICS:
        out[m] = [None if (p.bucket, m) in bad else getattr(p, m) for p in points]
    return out
