"""What the dashboard pages show, read from the store and shaped by `roost.analytics` (no HTML here)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine

from roost import analytics, domain
from roost.store import snapshots as snapshot_store
from roost.store import tags as tag_store
from roost.store import trackers as tracker_store
from roost.store.trackers import Tracker, TrackerView

PRESETS = ("today", "yesterday", "7d", "30d", "90d", "365d")
SPARK_DAYS = 7
DELTA_HISTORY = 31 * analytics.DAY


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


async def series(
    engine: AsyncEngine, tracker: Tracker, *, interval: int, start: int, end: int
) -> list[domain.Snapshot]:
    lo, hi = tracker.life(interval)
    async with engine.connect() as conn:
        return await snapshot_store.stats_range(conn, x_user_id=tracker.x_user_id, start=start, end=end, lo=lo, hi=hi)


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


async def tracker_rows(engine: AsyncEngine, *, account_id: int, interval: int, now: int) -> list[TrackerRow]:
    """Every tracker of the account, newest first, with its deltas and a sparkline."""
    async with engine.connect() as conn:
        views, _ = await tracker_store.list_trackers(conn, account_id=account_id, interval=interval, limit=1000)
    rows: list[TrackerRow] = []
    for view in views:
        end = view.tracker.stopped_at or now
        points = await series(engine, view.tracker, interval=interval, start=end - DELTA_HISTORY, end=end)
        glitched = {(g.bucket, g.metric) for g in analytics.flag_glitches(points)}
        week = [p.followers for p in points if p.bucket >= end - SPARK_DAYS * analytics.DAY]
        week_clean = [
            p.followers
            for p in points
            if p.bucket >= end - SPARK_DAYS * analytics.DAY and (p.bucket, "followers") not in glitched
        ]
        deltas = {d.window: dict(d.changes) for d in analytics.deltas(points)}
        rows.append(TrackerRow(view=view, deltas=deltas, spark=sparkline(week_clean or week)))
    return rows


def _day(text: str, field: str, tz: ZoneInfo) -> datetime:
    try:
        return datetime.combine(date.fromisoformat(text), datetime.min.time(), tz)
    except ValueError as exc:
        raise InputError(field, f"{field}: '{text[:20]}' is not a date (use YYYY-MM-DD).") from exc


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


async def account_tags(engine: AsyncEngine, *, account_id: int) -> list[tag_store.Tag]:
    async with engine.connect() as conn:
        tags, _ = await tag_store.list_tags(conn, account_id=account_id, limit=1000)
    return tags
