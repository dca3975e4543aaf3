"""Growth analytics over a tracker's snapshots: pure functions, no I/O, shared by the API, the dashboard and the CLI.

The public API:

- `flag_glitches(snapshots)`: upstream glitches (a count that collapses and recovers within a few hours);
- `growth(snapshots, start=, end=, interval=, tz=)`: per-period rows, totals, projection and the glitches found;
- `deltas(snapshots, windows=)`: the change over the last 24 hours / 7 days / 30 days (or any windows);
- `period_start` / `period_bounds` / `periods`: calendar periods (hour, day, week, month) in an IANA time zone;
- `parse_tz` / `parse_interval`: validation that raises `ValueError` naming what is wrong.

Snapshots are anything with a `bucket` (unix seconds) and the four counts (`domain.Snapshot` fits), oldest first.
A glitched value is reported and left out of every change, total and projection, so one bad hour upstream never
shows up as "lost 90 % of followers and gained them back".
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal, Protocol, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

Interval = Literal["hour", "day", "week", "month"]
Metric = Literal["followers", "following", "tweets", "lists"]
METRICS: tuple[Metric, ...] = ("followers", "following", "tweets", "lists")
INTERVALS: tuple[Interval, ...] = get_args(Interval)
DAY = 86400
DEFAULT_WINDOWS: tuple[tuple[str, int], ...] = (("24h", DAY), ("7d", 7 * DAY), ("30d", 30 * DAY))

# Glitch rule: a value below (1 - GLITCH_DROP) of the last good value that gets back to at least GLITCH_RECOVER of
# it within GLITCH_MAX_SECONDS. X's counts do collapse for a few hours now and then (a backend shard lagging) and
# come back; a real mass unfollow or a purge does not come back, so it is kept.
GLITCH_DROP = 0.5
GLITCH_RECOVER = 0.8
GLITCH_MAX_SECONDS = 12 * 3600
GLITCH_MIN_BASE = 20  # below this, halving is ordinary noise for a small account
PROJECTION_DAYS = 30
MIN_PROJECTION_SPAN = DAY  # extrapolating less than a day of data would project noise


class SnapshotLike(Protocol):
    @property
    def bucket(self) -> int: ...
    @property
    def followers(self) -> int: ...
    @property
    def following(self) -> int: ...
    @property
    def tweets(self) -> int: ...
    @property
    def lists(self) -> int: ...


@dataclass(frozen=True, slots=True)
class Glitch:
    """One snapshot value judged an upstream glitch: `value` was read where `expected` was the last good one."""

    bucket: int
    metric: Metric
    value: int
    expected: int


@dataclass(frozen=True, slots=True)
class Row:
    """One period: the value at its end (last good snapshot inside it) and the change since the previous value.

    `values[m]`/`changes[m]` are None for a period with no good snapshot of metric m. The first change is measured
    from the first good snapshot of the range, so the changes add up to `end - start` of the totals."""

    start: int
    end: int
    label: str
    values: dict[Metric, int | None]
    changes: dict[Metric, int | None]
    snapshots: int
    glitches: int


@dataclass(frozen=True, slots=True)
class Total:
    """Growth of one metric over the range, from its first to its last good snapshot."""

    start: int | None
    end: int | None
    absolute: int | None
    percent: float | None  # None when the start is 0 or unknown
    avg_daily: float | None  # None when the good data spans no time
    projection_30d: int | None  # None with less than MIN_PROJECTION_SPAN of data


@dataclass(frozen=True, slots=True)
class Growth:
    interval: Interval
    tz: str
    start: int
    end: int
    rows: list[Row]
    totals: dict[Metric, Total]
    glitches: list[Glitch] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Delta:
    """Change of each metric over a window ending at the newest snapshot. `complete` is False when the history is
    shorter than the window (the change is then measured from the oldest good snapshot)."""

    window: str
    seconds: int
    since: int | None
    changes: dict[Metric, int | None]
    complete: bool


# --- validation --------------------------------------------------------------------------------------------------


def parse_tz(name: str | None) -> ZoneInfo:
    """The IANA zone called `name` (UTC when empty). ValueError for anything else."""
    if not name:
        return ZoneInfo("UTC")
    if len(name) > 64 or name.startswith(("/", ".")) or ".." in name:
        raise ValueError(f"'{name}' is not an IANA time zone name")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError) as exc:
        raise ValueError(f"'{name}' is not an IANA time zone name (e.g. Europe/Madrid)") from exc


def parse_interval(name: str) -> Interval:
    """One of hour, day, week, month. ValueError for anything else."""
    for interval in INTERVALS:
        if name == interval:
            return interval
    raise ValueError(f"interval must be one of {', '.join(INTERVALS)}")


# --- calendar periods --------------------------------------------------------------------------------------------


def _floor_local(local: datetime, interval: Interval) -> datetime:
    if interval == "hour":
        return local.replace(minute=0, second=0, microsecond=0)
    day = local.replace(hour=0, minute=0, second=0, microsecond=0, fold=0)
    if interval == "day":
        return day
    if interval == "week":  # ISO weeks start on Monday
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def _instant(local: datetime) -> int:
    # A local midnight skipped by a DST jump (fold=0) maps to the first instant after the gap: the period's start.
    return int(local.timestamp())


def period_start(t: int, interval: Interval, tz: ZoneInfo) -> int:
    """The start (unix seconds) of the calendar period of `tz` that instant `t` falls in."""
    if interval == "hour":
        # Hours are floored in UTC plus the offset, so the repeated hour of a DST fall-back stays two hours.
        offset = datetime.fromtimestamp(t, tz).utcoffset() or timedelta(0)
        off = int(offset.total_seconds())
        return (t + off) // 3600 * 3600 - off
    return _instant(_floor_local(datetime.fromtimestamp(t, tz), interval))


def _next_start(start: int, interval: Interval, tz: ZoneInfo) -> int:
    if interval == "hour":
        nxt = start + 3600
        # Zones with non-hour offset changes (e.g. Australia/Lord_Howe, 30 min) can make an hour shorter or longer.
        return period_start(nxt, interval, tz) if period_start(nxt, interval, tz) > start else nxt
    local = datetime.fromtimestamp(start, tz).replace(tzinfo=None)
    if interval == "day":
        nxt_local = local + timedelta(days=1)
    elif interval == "week":
        nxt_local = local + timedelta(days=7)
    else:
        nxt_local = (local.replace(day=28) + timedelta(days=4)).replace(day=1)
    return _instant(_floor_local(nxt_local.replace(tzinfo=tz), interval))


def period_bounds(t: int, interval: Interval, tz: ZoneInfo) -> tuple[int, int]:
    """[start, end) of the period holding `t`; `end` is the next period's start (23 or 25 hours on DST days)."""
    start = period_start(t, interval, tz)
    return start, _next_start(start, interval, tz)


def periods(start: int, end: int, interval: Interval, tz: ZoneInfo) -> Iterator[tuple[int, int]]:
    """Every period [s, e) that overlaps [start, end], in order."""
    s = period_start(start, interval, tz)
    while s <= end:
        e = _next_start(s, interval, tz)
        yield s, e
        s = e


def count_periods(start: int, end: int, interval: Interval) -> int:
    """An upper-bound estimate of how many periods [start, end] holds (to refuse absurd requests cheaply)."""
    size = {"hour": 3600, "day": DAY, "week": 7 * DAY, "month": 28 * DAY}[interval]
    return max(0, end - start) // size + 2


def period_label(start: int, interval: Interval, tz: ZoneInfo) -> str:
    """A human label of the period in its zone: 2026-03-29T02:00+02:00, 2026-03-29, 2026-W13, 2026-03."""
    local = datetime.fromtimestamp(start, tz)
    if interval == "hour":
        return local.isoformat(timespec="minutes")
    if interval == "day":
        return local.date().isoformat()
    if interval == "week":
        year, week, _ = local.isocalendar()
        return f"{year}-W{week:02d}"
    return f"{local.year:04d}-{local.month:02d}"


# --- glitches ----------------------------------------------------------------------------------------------------


def _glitches_of(points: Sequence[SnapshotLike], metric: Metric) -> list[Glitch]:
    found: list[Glitch] = []
    good: int | None = None  # index of the last good point
    i = 0
    while i < len(points):
        value = getattr(points[i], metric)
        if good is not None:
            base = getattr(points[good], metric)
            if base >= GLITCH_MIN_BASE and value < base * (1 - GLITCH_DROP):
                limit = points[good].bucket + GLITCH_MAX_SECONDS
                j = i + 1
                while j < len(points) and points[j].bucket <= limit:
                    if getattr(points[j], metric) >= base * GLITCH_RECOVER:
                        break
                    j += 1
                if j < len(points) and points[j].bucket <= limit:
                    found.extend(
                        Glitch(bucket=p.bucket, metric=metric, value=getattr(p, metric), expected=base)
                        for p in points[i:j]
                    )
                    i = j
                    continue
        good = i
        i += 1
    return found


def flag_glitches(snapshots: Sequence[SnapshotLike]) -> list[Glitch]:
    """Every (snapshot, metric) judged an upstream glitch, by bucket then metric order. Snapshots oldest first.

    A collapse that has not recovered yet (the newest values) is not flagged: it may be real, and the next
    snapshots will tell."""
    found = [g for metric in METRICS for g in _glitches_of(snapshots, metric)]
    order = {m: k for k, m in enumerate(METRICS)}
    return sorted(found, key=lambda g: (g.bucket, order[g.metric]))


def _clean_series(snapshots: Sequence[SnapshotLike], glitches: Iterable[Glitch]) -> dict[Metric, list[tuple[int, int]]]:
    bad = {(g.bucket, g.metric) for g in glitches}
    return {m: [(s.bucket, getattr(s, m)) for s in snapshots if (s.bucket, m) not in bad] for m in METRICS}


# --- growth ------------------------------------------------------------------------------------------------------


def _total(series: list[tuple[int, int]]) -> Total:
    if not series:
        return Total(None, None, None, None, None, None)
    (t0, v0), (t1, v1) = series[0], series[-1]
    absolute = v1 - v0
    percent = round(100.0 * absolute / v0, 2) if v0 else None
    span = t1 - t0
    avg_daily = round(absolute * DAY / span, 2) if span > 0 else None
    projection = None
    if avg_daily is not None and span >= MIN_PROJECTION_SPAN:
        projection = max(0, round(v1 + absolute * DAY / span * PROJECTION_DAYS))
    return Total(v0, v1, absolute, percent, avg_daily, projection)


def growth(
    snapshots: Sequence[SnapshotLike],
    *,
    start: int,
    end: int,
    interval: Interval = "day",
    tz: ZoneInfo | None = None,
) -> Growth:
    """Per-period rows of [start, end] in `tz` (UTC by default), with totals and the glitches found.

    `snapshots` must be oldest first; those outside [start, end] are ignored. Every period overlapping the range
    gets a row, empty ones included, so several trackers' rows line up side by side."""
    if start > end:
        raise ValueError("start must not be after end")
    zone = tz or ZoneInfo("UTC")
    inside = [s for s in snapshots if start <= s.bucket <= end]
    glitches = flag_glitches(inside)
    series = _clean_series(inside, glitches)
    glitch_buckets = [g.bucket for g in glitches]
    rows: list[Row] = []
    previous: dict[Metric, int | None] = {m: (series[m][0][1] if series[m] else None) for m in METRICS}
    cursor = dict.fromkeys(METRICS, 0)
    n_cursor = g_cursor = 0
    for p_start, p_end in periods(start, end, interval, zone):
        values: dict[Metric, int | None] = {}
        changes: dict[Metric, int | None] = {}
        for m in METRICS:
            points, k, last = series[m], cursor[m], None
            while k < len(points) and points[k][0] < p_end:
                last = points[k][1]
                k += 1
            cursor[m] = k
            values[m] = last
            prev = previous[m]
            changes[m] = None if last is None or prev is None else last - prev
            if last is not None:
                previous[m] = last
        n_start = n_cursor
        while n_cursor < len(inside) and inside[n_cursor].bucket < p_end:
            n_cursor += 1
        g_start = g_cursor
        while g_cursor < len(glitch_buckets) and glitch_buckets[g_cursor] < p_end:
            g_cursor += 1
        rows.append(
            Row(
                start=p_start,
                end=p_end,
                label=period_label(p_start, interval, zone),
                values=values,
                changes=changes,
                snapshots=n_cursor - n_start,
                glitches=len(set(glitch_buckets[g_start:g_cursor])),
            )
        )
    totals = {m: _total(series[m]) for m in METRICS}
    return Growth(interval=interval, tz=zone.key, start=start, end=end, rows=rows, totals=totals, glitches=glitches)


def deltas(snapshots: Sequence[SnapshotLike], *, windows: Sequence[tuple[str, int]] = DEFAULT_WINDOWS) -> list[Delta]:
    """The change of each metric over each window ending at the newest snapshot, glitches left out.

    The reference value is the newest good snapshot at or before `newest - window`; with a shorter history it is
    the oldest good snapshot and the delta says `complete=False`."""
    glitches = flag_glitches(snapshots)
    series = _clean_series(snapshots, glitches)
    newest = max((s[-1][0] for s in series.values() if s), default=None)
    found: list[Delta] = []
    for name, seconds in windows:
        if newest is None:
            found.append(Delta(name, seconds, None, dict.fromkeys(METRICS), False))
            continue
        cutoff = newest - seconds
        changes: dict[Metric, int | None] = {}
        since: int | None = None
        complete = True
        for m in METRICS:
            points = series[m]
            if not points:
                changes[m] = None
                continue
            ref = None
            for t, v in reversed(points):
                if t <= cutoff:
                    ref = (t, v)
                    break
            if ref is None:
                ref, complete = points[0], False
            since = ref[0] if since is None else min(since, ref[0])
            changes[m] = points[-1][1] - ref[1]
        found.append(Delta(name, seconds, since, changes, complete))
    return found


def range_preset(name: str, now: int, tz: ZoneInfo) -> tuple[int, int]:
    """[start, end] of a dashboard preset in `tz`: today, yesterday, 7d, 30d, 90d, 365d. ValueError otherwise."""
    today, _ = period_bounds(now, "day", tz)
    if name == "today":
        return today, now
    if name == "yesterday":
        yesterday = period_start(today - 1, "day", tz)
        return yesterday, today - 1
    days = {"7d": 7, "30d": 30, "90d": 90, "365d": 365}.get(name)
    if days is None:
        raise ValueError(f"unknown range preset '{name}'")
    return now - days * DAY, now
