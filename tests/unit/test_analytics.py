"""Growth analytics: hand-checked numbers, glitch handling, and properties (hypothesis) of periods and deltas."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from roost.core import analytics
from roost.core.domain import Snapshot

HOUR = 3600
DAY = 86400
T0 = 1_767_225_600  # 2026-01-01T00:00Z, a Thursday
UTC = ZoneInfo("UTC")
MADRID = ZoneInfo("Europe/Madrid")


def snap(bucket: int, followers: int, following: int = 100, tweets: int = 1000, lists: int = 5) -> Snapshot:
    return Snapshot(
        x_user_id=1,
        bucket=bucket,
        tweets=tweets,
        followers=followers,
        following=following,
        lists=lists,
        created_at=bucket,
        updated_at=bucket,
    )


def test_daily_rows_values_changes_and_totals() -> None:
    # Three days, a snapshot every 12 hours: followers 1000, 1010 | 1030, 1040 | 1100, 1120.
    followers = [1000, 1010, 1030, 1040, 1100, 1120]
    series = [snap(T0 + k * 12 * HOUR, f, tweets=500 + k) for k, f in enumerate(followers)]
    g = analytics.growth(series, start=T0, end=T0 + 3 * DAY - 1, interval="day")
    assert [r.label for r in g.rows] == ["2026-01-01", "2026-01-02", "2026-01-03"]
    assert [r.values["followers"] for r in g.rows] == [1010, 1040, 1120]
    assert [r.changes["followers"] for r in g.rows] == [10, 30, 80]  # the first from the range's first value
    assert [r.changes["tweets"] for r in g.rows] == [1, 2, 2]
    assert [r.snapshots for r in g.rows] == [2, 2, 2]
    total = g.totals["followers"]
    assert (total.start, total.end, total.absolute) == (1000, 1120, 120)
    assert total.percent == 12.0
    assert total.avg_daily == 48.0  # 120 over 60 hours = 2.5 days
    assert total.projection_30d == 1120 + 48 * 30
    assert g.totals["following"].absolute == 0 and g.totals["following"].percent == 0.0
    assert g.glitches == []


def test_empty_periods_have_no_value_and_the_next_change_bridges_them() -> None:
    series = [snap(T0, 100), snap(T0 + 2 * DAY + HOUR, 130)]
    g = analytics.growth(series, start=T0, end=T0 + 3 * DAY - 1, interval="day")
    assert [r.values["followers"] for r in g.rows] == [100, None, 130]
    assert [r.changes["followers"] for r in g.rows] == [0, None, 30]


def test_no_data_gives_empty_totals() -> None:
    g = analytics.growth([], start=T0, end=T0 + DAY, interval="day")
    assert len(g.rows) == 2 and all(r.values["followers"] is None for r in g.rows)
    assert g.totals["followers"] == analytics.Total(None, None, None, None, None, None)


def test_short_span_gives_no_projection_and_zero_start_no_percent() -> None:
    g = analytics.growth([snap(T0, 0), snap(T0 + HOUR, 10)], start=T0, end=T0 + HOUR, interval="hour")
    total = g.totals["followers"]
    assert total.absolute == 10 and total.percent is None
    assert total.avg_daily == 240.0 and total.projection_30d is None


def test_a_collapse_that_recovers_is_flagged_and_left_out() -> None:
    # 10,000 followers, the count collapses to 900 and 1,200 for two hours, then comes back to 10,020.
    values = [10_000, 10_005, 900, 1_200, 10_020, 10_030]
    series = [snap(T0 + k * HOUR, v) for k, v in enumerate(values)]
    glitches = analytics.flag_glitches(series)
    assert [(g.bucket, g.metric, g.value, g.expected) for g in glitches] == [
        (T0 + 2 * HOUR, "followers", 900, 10_005),
        (T0 + 3 * HOUR, "followers", 1_200, 10_005),
    ]
    g = analytics.growth(series, start=T0, end=T0 + 6 * HOUR - 1, interval="hour")
    assert [r.changes["followers"] for r in g.rows] == [0, 5, None, None, 15, 10]
    assert [r.glitches for r in g.rows] == [0, 0, 1, 1, 0, 0]
    assert g.totals["followers"].absolute == 30
    assert len(g.glitches) == 2
    day = analytics.deltas(series, end=T0 + 5 * HOUR, windows=[("5h", 5 * HOUR)])[0]
    assert day.changes["followers"] == 30 and day.complete


def test_a_collapse_that_stays_is_real() -> None:
    values = [10_000, 4_000, 4_000, 4_010] + [4_020] * 20
    series = [snap(T0 + k * HOUR, v) for k, v in enumerate(values)]
    assert analytics.flag_glitches(series) == []
    assert analytics.growth(series, start=T0, end=T0 + DAY, interval="day").totals["followers"].absolute == -5980


def test_a_collapse_recovering_after_the_window_is_real() -> None:
    values = [10_000] + [100] * 13 + [10_000]
    series = [snap(T0 + k * HOUR, v) for k, v in enumerate(values)]
    assert analytics.flag_glitches(series) == []


def test_small_accounts_are_not_glitch_checked() -> None:
    series = [snap(T0, 12), snap(T0 + HOUR, 3), snap(T0 + 2 * HOUR, 12)]
    assert analytics.flag_glitches(series) == []


def test_deltas_windows_and_incomplete_history() -> None:
    series = [snap(T0 + k * DAY, 1000 + 10 * k) for k in range(10)]  # 10 days, +10 a day
    by_name = {d.window: d for d in analytics.deltas(series, end=T0 + 9 * DAY)}
    assert by_name["24h"].changes["followers"] == 10 and by_name["24h"].complete
    assert by_name["7d"].changes["followers"] == 70 and by_name["7d"].since == T0 + 2 * DAY
    assert by_name["30d"].changes["followers"] == 90 and not by_name["30d"].complete
    assert analytics.deltas([], end=T0)[0].changes["followers"] is None


def test_one_change_rule_from_the_value_as_of_the_start() -> None:
    # Hourly values 1000, 1001, ...: a range starting between two snapshots measures from the one before it, the
    # same number whether asked as a growth total or a delta; a glitch right before the start is skipped.
    series = [snap(T0 + k * HOUR, 1000 + k) for k in range(48)]
    start, end = T0 + 10 * HOUR + 1800, T0 + 40 * HOUR
    g = analytics.growth(series, start=start, end=end, interval="day")
    total = g.totals["followers"]
    assert (total.start, total.end, total.absolute, total.began_later) == (1010, 1040, 30, False)
    assert sum(r.changes["followers"] or 0 for r in g.rows) == 30
    (d,) = analytics.deltas(series, end=end, windows=[("x", end - start)])
    assert d.changes["followers"] == 30 and d.complete
    glitched = [snap(p.bucket, 10 if p.bucket == T0 + 10 * HOUR else p.followers) for p in series]
    assert analytics.growth(glitched, start=start, end=end).totals["followers"].start == 1009
    late = analytics.growth(series[20:], start=start, end=end).totals["followers"]
    assert (late.start, late.began_later) == (1020, True)


def test_week_and_month_periods() -> None:
    tz = UTC
    assert analytics.period_label(analytics.period_start(T0, "week", tz), "week", tz) == "2026-W01"
    assert analytics.period_start(T0, "week", tz) == T0 - 3 * DAY  # Monday 2025-12-29
    start, end = analytics.period_bounds(T0 + 40 * DAY, "month", tz)
    assert (analytics.period_label(start, "month", tz), end - start) == ("2026-02", 28 * DAY)


def test_dst_days_in_madrid_are_23_and_25_hours() -> None:
    spring = int(datetime(2026, 3, 29, 12, tzinfo=MADRID).timestamp())
    autumn = int(datetime(2026, 10, 25, 12, tzinfo=MADRID).timestamp())
    s, e = analytics.period_bounds(spring, "day", MADRID)
    assert e - s == 23 * HOUR and datetime.fromtimestamp(s, MADRID).hour == 0
    s, e = analytics.period_bounds(autumn, "day", MADRID)
    assert e - s == 25 * HOUR
    hours = list(analytics.periods(s, e - 1, "hour", MADRID))
    assert len(hours) == 25 and all(b - a == HOUR for a, b in hours)
    labels = [analytics.period_label(a, "hour", MADRID) for a, _ in hours]
    assert labels[2:4] == ["2026-10-25T02:00+02:00", "2026-10-25T02:00+01:00"]


def test_half_hour_zone_hours_start_at_half_past_utc() -> None:
    kolkata = ZoneInfo("Asia/Kolkata")
    assert analytics.period_start(T0 + 10 * 60, "hour", kolkata) == T0 - 30 * 60


def test_parsing_errors_name_the_problem() -> None:
    assert analytics.parse_tz("Europe/Madrid").key == "Europe/Madrid"
    assert analytics.parse_tz(None).key == "UTC"
    for bad in ("Mars/Olympus", "../etc/passwd", "x" * 100):
        with pytest.raises(ValueError, match="IANA"):
            analytics.parse_tz(bad)
    with pytest.raises(ValueError, match="interval"):
        analytics.parse_interval("fortnight")
    with pytest.raises(ValueError):
        analytics.growth([], start=2, end=1)


def test_range_presets() -> None:
    now = T0 + 15 * HOUR
    assert analytics.range_preset("today", now, UTC) == (T0, now)
    assert analytics.range_preset("yesterday", now, UTC) == (T0 - DAY, T0 - 1)
    assert analytics.range_preset("7d", now, UTC) == (now - 7 * DAY, now)
    with pytest.raises(ValueError):
        analytics.range_preset("decade", now, UTC)


ZONES = ["UTC", "Europe/Madrid", "America/New_York", "Australia/Sydney", "Asia/Kolkata", "America/Sao_Paulo"]


@st.composite
def series_strategy(draw: st.DrawFn) -> list[Snapshot]:
    n = draw(st.integers(min_value=0, max_value=60))
    gaps = draw(st.lists(st.integers(min_value=1, max_value=30), min_size=n, max_size=n))
    values = draw(st.lists(st.integers(min_value=0, max_value=50_000), min_size=n, max_size=n))
    t = T0 + draw(st.integers(min_value=0, max_value=400 * DAY))
    out = []
    for gap, value in zip(gaps, values, strict=True):
        t += gap * HOUR
        out.append(snap(t, value, following=value // 3, tweets=value * 2, lists=value % 97))
    return out


@settings(max_examples=150, deadline=None)
@given(series=series_strategy(), interval=st.sampled_from(analytics.INTERVALS), zone=st.sampled_from(ZONES))
def test_period_changes_add_up_to_the_difference_of_the_ends(
    series: list[Snapshot], interval: analytics.Interval, zone: str
) -> None:
    start = series[0].bucket - 5 * HOUR if series else T0
    end = series[-1].bucket + 5 * HOUR if series else T0 + DAY
    g = analytics.growth(series, start=start, end=end, interval=interval, tz=ZoneInfo(zone))
    for m in analytics.METRICS:
        total = g.totals[m]
        summed = sum(r.changes[m] or 0 for r in g.rows)
        assert summed == (total.absolute or 0)
    # Rows tile the range with no gap or overlap, and every snapshot lands in exactly one row.
    assert all(a.end == b.start for a, b in zip(g.rows, g.rows[1:], strict=False))
    assert g.rows[0].start <= start and g.rows[-1].end > end
    assert sum(r.snapshots for r in g.rows) == len(series)


@settings(max_examples=200, deadline=None)
@given(
    t=st.integers(min_value=T0 - 800 * DAY, max_value=T0 + 800 * DAY),
    interval=st.sampled_from(analytics.INTERVALS),
    zone=st.sampled_from(ZONES),
)
def test_periods_start_at_local_calendar_boundaries(t: int, interval: analytics.Interval, zone: str) -> None:
    tz = ZoneInfo(zone)
    start, end = analytics.period_bounds(t, interval, tz)
    assert start <= t < end
    local_start = datetime.fromtimestamp(start, tz)
    local_end = datetime.fromtimestamp(end, tz)
    assert local_start.minute == 0 and local_end.minute == 0
    if interval == "hour":
        assert end - start == HOUR
    else:
        # A local midnight (or the first instant after a DST gap at midnight), and the next one is one unit later.
        assert local_start.hour in (0, 1) and local_end.hour in (0, 1)
        assert analytics.period_start(end, interval, tz) == end
        assert analytics.period_start(end - 1, interval, tz) == start
        lengths = {"day": (1, 1), "week": (7, 7), "month": (28, 31)}[interval]
        days = round((end - start) / DAY)
        assert lengths[0] <= days <= lengths[1]
        if interval == "week":
            assert local_start.weekday() == 0
        if interval == "month":
            assert local_start.day == 1


def walk_glitches(series: list[Snapshot], metric: analytics.Metric) -> list[tuple[int, int, int]]:
    """The glitch rule as a plain walk over every point (flag_glitches visits only the drops): (bucket, value,
    expected) of each glitched point."""
    found: list[tuple[int, int, int]] = []
    good: int | None = None
    i = 0
    while i < len(series):
        value = getattr(series[i], metric)
        if good is not None:
            base = getattr(series[good], metric)
            if base >= analytics.GLITCH_MIN_BASE and value < base * (1 - analytics.GLITCH_DROP):
                limit = series[good].bucket + analytics.GLITCH_MAX_SECONDS
                j = i + 1
                while j < len(series) and series[j].bucket <= limit:
                    if getattr(series[j], metric) >= base * analytics.GLITCH_RECOVER:
                        break
                    j += 1
                if j < len(series) and series[j].bucket <= limit:
                    found.extend((p.bucket, getattr(p, metric), base) for p in series[i:j])
                    i = j
                    continue
        good = i
        i += 1
    return found


@st.composite
def collapsing_series(draw: st.DrawFn) -> list[Snapshot]:
    """Hourly-ish counts that now and then collapse (to 0-70 % of the value) for a few points, recover or not."""
    n = draw(st.integers(min_value=0, max_value=80))
    t, value, out = T0, draw(st.integers(min_value=0, max_value=5_000)), []
    for _ in range(n):
        t += draw(st.sampled_from([1, 1, 1, 2, 5, 13])) * HOUR
        value = max(0, value + draw(st.integers(min_value=-20, max_value=30)))
        shown = value * draw(st.sampled_from([100, 100, 100, 100, 70, 51, 50, 49, 10, 0])) // 100
        if draw(st.integers(min_value=0, max_value=30)) == 0:
            value = shown  # a collapse that stays
        out.append(snap(t, shown, following=shown // 2, tweets=value, lists=shown % 40))
    return out


@settings(max_examples=300, deadline=None)
@given(series=collapsing_series())
def test_glitches_are_those_of_the_plain_walk(series: list[Snapshot]) -> None:
    flagged = analytics.flag_glitches(series)
    for m in analytics.METRICS:
        assert [(g.bucket, g.value, g.expected) for g in flagged if g.metric == m] == walk_glitches(series, m)
    assert analytics.flag_glitches(analytics.Series.of(series)) == flagged
