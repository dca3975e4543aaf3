"""Growth analytics over a tracker's snapshots: pure functions, no I/O, shared by the API, the dashboard and the CLI.

The public API:

- `flag_glitches(snapshots)`: upstream glitches (a count that collapses and recovers within a few hours);
- `growth(snapshots, start=, end=, interval=, tz=)`: per-period rows, totals, projection and the glitches found;
- `changes(snapshots, start=, end=)`: each metric's change over a period by the one rule (roost.core.change);
- `deltas(snapshots, end=, windows=)`: the change over the last 24 hours / 7 days / 30 days (or any windows);
- `period_start` / `period_bounds` / `periods`: calendar periods (hour, day, week, month) in an IANA time zone;
- `parse_tz` / `parse_interval`: validation that raises `ValueError` naming what is wrong.

Snapshots are anything with a `bucket` (unix seconds) and the four counts (`domain.Snapshot` fits), oldest first.
A glitched value is reported and left out of every change, total and projection, so one bad hour upstream never
shows up as "lost 90 % of followers and gained them back".
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import compress, count, islice, repeat
from operator import lt, mul
from typing import Literal, Protocol, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from roost.core.change import Change, change_over

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
# How far before a period every surface reads its snapshots: the value as of the period's start is the last good
# snapshot at or before it, and a glitch straddling the start is only recognised with the hours before it.
LOOKBACK = 2 * DAY


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
class Series:
    """Snapshots as columns, oldest first: `buckets[k]` is snapshot k's bucket and `values[m][k]` its count of
    metric m. What every function here scans; the store builds it straight from rows (the 720 hours of a month
    cost more as one object each than the whole analysis)."""

    buckets: Sequence[int]
    values: Mapping[Metric, Sequence[int]]

    @classmethod
    def of(cls, snapshots: Sequence[SnapshotLike] | Series) -> Series:
        if isinstance(snapshots, Series):
            return snapshots
        return cls(
            buckets=[s.bucket for s in snapshots], values={m: [getattr(s, m) for s in snapshots] for m in METRICS}
        )

    def between(self, start: int, end: int) -> Series:
        """The snapshots with start <= bucket <= end."""
        lo, hi = bisect_left(self.buckets, start), bisect_right(self.buckets, end)
        if lo == 0 and hi == len(self.buckets):
            return self
        return Series(self.buckets[lo:hi], {m: v[lo:hi] for m, v in self.values.items()})


Snapshots = Sequence[SnapshotLike] | Series


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
    """Growth of one metric over the range by the one change rule (roost.core.change): from its value as of the
    range's start to its value as of the range's end, glitched values left out."""

    start: int | None
    end: int | None
    absolute: int | None
    percent: float | None  # None when the start is 0 or unknown
    avg_daily: float | None  # None when the good data spans no time
    projection_30d: int | None  # None with less than MIN_PROJECTION_SPAN of data
    began_later: bool = False  # no good value at or before the start: measured from the first one after it


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
    """Change of each metric over a window [end - seconds, end] by the one change rule. `complete` is False when
    tracking began after the window's start (the change is then measured from the first good snapshot), or when
    no good snapshot lies inside the window (then every change is None)."""

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


def _glitches_of(buckets: Sequence[int], values: Sequence[int], metric: Metric) -> list[Glitch]:
    # The rule as a walk: keep the last good point; a value below (1 - GLITCH_DROP) of it that recovers in time
    # starts a glitch, which ends at the recovery (a good point again). Outside a glitch the last good point is
    # always the one just before, and the recovery after a glitch is never itself a drop, so a glitch can only
    # start where a value drops below (1 - GLITCH_DROP) of its predecessor: those places are found first, at C
    # speed, and the walk visits only them (most series have none).
    drops = compress(count(1), map(lt, islice(values, 1, None), map(mul, values, repeat(1 - GLITCH_DROP))))
    found: list[Glitch] = []
    resume = 0  # points before this one are decided (the last glitch ended there)
    for i in drops:
        base = values[i - 1]
        if i < resume or base < GLITCH_MIN_BASE:
            continue
        limit = buckets[i - 1] + GLITCH_MAX_SECONDS
        j = i + 1
        while j < len(values) and buckets[j] <= limit:
            if values[j] >= base * GLITCH_RECOVER:
                break
            j += 1
        if j < len(values) and buckets[j] <= limit:
            found.extend(Glitch(bucket=buckets[k], metric=metric, value=values[k], expected=base) for k in range(i, j))
            resume = j
    return found


def flag_glitches(snapshots: Snapshots) -> list[Glitch]:
    """Every (snapshot, metric) judged an upstream glitch, by bucket then metric order. Snapshots oldest first.

    A collapse that has not recovered yet (the newest values) is not flagged: it may be real, and the next
    snapshots will tell."""
    series = Series.of(snapshots)
    found = [g for m in METRICS for g in _glitches_of(series.buckets, series.values[m], m)]
    order = {m: k for k, m in enumerate(METRICS)}
    return sorted(found, key=lambda g: (g.bucket, order[g.metric]))


def _clean_series(series: Series, glitches: Iterable[Glitch]) -> dict[Metric, tuple[Sequence[int], Sequence[int]]]:
    """Each metric's (buckets, values) without its glitched points."""
    bad: dict[Metric, set[int]] = {}
    for g in glitches:
        bad.setdefault(g.metric, set()).add(g.bucket)
    out: dict[Metric, tuple[Sequence[int], Sequence[int]]] = {}
    for m in METRICS:
        values = series.values[m]
        skip = bad.get(m)
        if not skip:
            out[m] = (series.buckets, values)
            continue
        keep = [k for k, b in enumerate(series.buckets) if b not in skip]
        out[m] = ([series.buckets[k] for k in keep], [values[k] for k in keep])
    return out


# --- growth ------------------------------------------------------------------------------------------------------


def _bad_buckets(glitches: Iterable[Glitch]) -> dict[Metric, set[int]]:
    bad: dict[Metric, set[int]] = {}
    for g in glitches:
        bad.setdefault(g.metric, set()).add(g.bucket)
    return bad


def changes(
    snapshots: Snapshots, *, start: int, end: int, glitches: Iterable[Glitch] | None = None
) -> dict[Metric, Change | None]:
    """Each metric's change over [start, end] by the one rule (roost.core.change.change_over). `snapshots` oldest
    first, reaching back before `start` (LOOKBACK) so the value as of the start is known; `glitches` as flagged over
    the same snapshots (flagged here when not given)."""
    series = Series.of(snapshots)
    bad = _bad_buckets(flag_glitches(series) if glitches is None else glitches)
    return {
        m: change_over(series.buckets, series.values[m], start=start, end=end, glitched=bad.get(m, ())) for m in METRICS
    }


def total_of(change: Change | None) -> Total:
    """The Total of one metric's Change: percent, average a day over the span measured, 30-day projection."""
    if change is None:
        return Total(None, None, None, None, None, None)
    absolute, span = change.absolute, change.end_bucket - change.start_bucket
    percent = round(change.percent, 2) if change.percent is not None else None
    avg_daily = round(absolute * DAY / span, 2) if span > 0 else None
    projection = None
    if avg_daily is not None and span >= MIN_PROJECTION_SPAN:
        projection = max(0, round(change.end_value + absolute * DAY / span * PROJECTION_DAYS))
    return Total(change.start_value, change.end_value, absolute, percent, avg_daily, projection, change.began_later)


def growth(
    snapshots: Snapshots,
    *,
    start: int,
    end: int,
    interval: Interval = "day",
    tz: ZoneInfo | None = None,
) -> Growth:
    """Per-period rows of [start, end] in `tz` (UTC by default), with totals and the glitches found.

    `snapshots` must be oldest first and should reach LOOKBACK before `start`: the totals and the first row's change
    are measured from the value as of the start (the one change rule), and glitches are judged with the hours before
    the range. Snapshots after `end` are ignored. Every period overlapping the range gets a row, empty ones
    included, so several trackers' rows line up side by side."""
    if start > end:
        raise ValueError("start must not be after end")
    zone = tz or ZoneInfo("UTC")
    every = Series.of(snapshots).between(-(2**62), end)
    found = flag_glitches(every)
    moved = changes(every, start=start, end=end, glitches=found)
    glitches = [g for g in found if g.bucket >= start]
    inside = every.between(start, end)
    series = _clean_series(inside, glitches)
    glitch_buckets = [g.bucket for g in glitches]
    rows: list[Row] = []
    previous: dict[Metric, int | None] = {}
    for m in METRICS:
        c = moved[m]
        previous[m] = c.start_value if c is not None else None
    cursor = dict.fromkeys(METRICS, 0)
    n_cursor = g_cursor = 0
    for p_start, p_end in periods(start, end, interval, zone):
        values: dict[Metric, int | None] = {}
        row_changes: dict[Metric, int | None] = {}
        for m in METRICS:
            buckets, counts = series[m]
            k = bisect_left(buckets, p_end, cursor[m])  # the points of this period: [cursor, k)
            last = counts[k - 1] if k > cursor[m] else None
            cursor[m] = k
            values[m] = last
            prev = previous[m]
            row_changes[m] = None if last is None or prev is None else last - prev
            if last is not None:
                previous[m] = last
        n_start, n_cursor = n_cursor, bisect_left(inside.buckets, p_end, n_cursor)
        g_start, g_cursor = g_cursor, bisect_left(glitch_buckets, p_end, g_cursor)
        rows.append(
            Row(
                start=p_start,
                end=p_end,
                label=period_label(p_start, interval, zone),
                values=values,
                changes=row_changes,
                snapshots=n_cursor - n_start,
                glitches=len(set(glitch_buckets[g_start:g_cursor])),
            )
        )
    totals = {m: total_of(moved[m]) for m in METRICS}
    return Growth(interval=interval, tz=zone.key, start=start, end=end, rows=rows, totals=totals, glitches=glitches)


def deltas(snapshots: Snapshots, *, end: int, windows: Sequence[tuple[str, int]] = DEFAULT_WINDOWS) -> list[Delta]:
    """The change of each metric over each window [end - seconds, end] by the one change rule (glitches left out):
    the same numbers a growth or compare of that range totals. `snapshots` oldest first, reaching LOOKBACK before
    the longest window."""
    every = Series.of(snapshots)
    found = flag_glitches(every)
    out: list[Delta] = []
    for name, seconds in windows:
        start = end - seconds
        # No good snapshot inside the window (the newest is older than its start: the demo's history still being
        # collected, or days X could not be read): nothing was measured, so no change, never a "+0".
        moved = {
            m: c if c is not None and c.end_bucket > start else None
            for m, c in changes(every, start=start, end=end, glitches=found).items()
        }
        got = [c for c in moved.values() if c is not None]
        out.append(
            Delta(
                window=name,
                seconds=seconds,
                since=min((c.start_bucket for c in got), default=None),
                changes={m: (c.absolute if c is not None else None) for m, c in moved.items()},
                complete=bool(got) and not any(c.began_later for c in got),
            )
        )
    return out


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
