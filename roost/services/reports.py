"""Reading a tracker's history: stats (two points or every snapshot), growth per period, compare, the archived
posts and the posting activity. Every read is clipped to the tracker's life, and every query is checked here
once (dates in order, the interval, the time zone, the number of periods) with errors that name the parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from roost.core import activity, analytics, domain
from roost.services import tags as tag_service
from roost.services import trackers as tracker_service
from roost.services.errors import Invalid
from roost.services.runtime import Runtime
from roost.store import snapshots as snapshot_store
from roost.store import tweets as tweet_store
from roost.store.accounts import Account
from roost.store.trackers import Tracker
from roost.store.tweets import StoredPost

MAX_PERIODS = 20_000  # a year of hours is 8,760; more rows than this is a mistake, not a report
MAX_COMPARE = 20
# Unix seconds the calendar and the store can both hold: 0001-01-02 to 9999-11-30 (a date in a time zone must
# stay inside datetime's range, and so must the start of the period after the last one: a month or a week that
# ends in year 10000 cannot be computed; every value fits a signed 64-bit column).
MIN_TIME = -62135510400
MAX_TIME = 253399536000


def check_range(start: int, end: int) -> None:
    for name, value in (("startDate", start), ("endDate", end)):
        if not MIN_TIME <= value <= MAX_TIME:
            raise Invalid(name, f"{name} must be unix seconds between {MIN_TIME} and {MAX_TIME}.")
    if start > end:
        raise Invalid("startDate", "startDate must not be after endDate.")


@dataclass(frozen=True)
class Periods:
    interval: analytics.Interval
    tz: ZoneInfo


def parse_periods(interval: str, tz: str | None) -> Periods:
    """The interval and the time zone of per-period reads, or Invalid naming the one that is wrong."""
    try:
        period = analytics.parse_interval(interval)
    except ValueError as exc:
        raise Invalid("interval", f"{exc}.") from exc
    try:
        zone = analytics.parse_tz(tz)
    except ValueError as exc:
        raise Invalid("tz", f"tz: {exc}.") from exc
    return Periods(period, zone)


def check_period_count(start: int, end: int, period: analytics.Interval) -> None:
    if analytics.count_periods(start, end, period) > MAX_PERIODS:
        raise Invalid("interval", f"That range holds more than {MAX_PERIODS} {period}s; use a longer interval.")


def growth_query(start: int, end: int, interval: str, tz: str | None) -> Periods:
    """Every check of a growth or compare query."""
    check_range(start, end)
    periods = parse_periods(interval, tz)
    check_period_count(start, end, periods.interval)
    return periods


async def stats(rt: Runtime, tracker: Tracker, *, start: int, end: int, timeline: bool) -> list[domain.Snapshot]:
    """Tweet Binder's stats: the first snapshot at or after `start` and the last at or before `end` (the same one
    twice when only one exists), or every snapshot in the range (`timeline`); inside the tracker's life."""
    check_range(start, end)
    lo, hi = tracker.life(rt.interval)
    read = snapshot_store.stats_range if timeline else snapshot_store.stats_two_point
    async with rt.engine.connect() as conn:
        return await read(conn, x_user_id=tracker.x_user_id, start=start, end=end, lo=lo, hi=hi)


async def growth(
    rt: Runtime, tracker: Tracker, *, start: int, end: int, interval: str = "day", tz: str | None = None
) -> analytics.Growth:
    """Per-period rows, totals with a 30-day projection, and the glitches found, over [start, end]."""
    periods = growth_query(start, end, interval, tz)
    points = await tracker_service.series(rt, tracker, start=start, end=end)
    return analytics.growth(points, start=start, end=end, interval=periods.interval, tz=periods.tz)


async def compare_selection(
    rt: Runtime, account: Account, *, tracker_ids: Sequence[str] | None, tag: str | None
) -> list[Tracker]:
    """The trackers a comparison asks for: `tag` (its trackers) or `tracker_ids` (all must be the account's),
    sorted by alias; at most MAX_COMPARE."""
    if (tracker_ids is None) == (tag is None):
        raise Invalid("trackers", "Give either trackers=<id,id,...> or tag=<tagId>.")
    if tag is not None:
        ids = await tag_service.tracker_ids(rt, account, tag)
    else:
        ids = list(dict.fromkeys(i.strip() for i in tracker_ids or () if i.strip()))
        if not ids:
            raise Invalid("trackers", "trackers must list at least one resourceId.")
    if len(ids) > MAX_COMPARE:
        raise Invalid("trackers", f"Compare at most {MAX_COMPARE} trackers at a time.")
    found = await tracker_service.owned(rt, account, ids)
    return sorted(found, key=lambda t: (t.alias.lower(), t.id))


async def compare(
    rt: Runtime,
    account: Account,
    *,
    tracker_ids: Sequence[str] | None,
    tag: str | None,
    start: int,
    end: int,
    interval: str = "day",
    tz: str | None = None,
) -> tuple[Periods, list[tuple[Tracker, analytics.Growth]]]:
    """Growth of several trackers over the same periods."""
    periods = growth_query(start, end, interval, tz)
    picked = await compare_selection(rt, account, tracker_ids=tracker_ids, tag=tag)
    results = []
    for tracker in picked:
        points = await tracker_service.series(rt, tracker, start=start, end=end)
        results.append(
            (tracker, analytics.growth(points, start=start, end=end, interval=periods.interval, tz=periods.tz))
        )
    return periods, results


async def posts_page(
    rt: Runtime, tracker: Tracker, *, start: int, end: int, offset: int, limit: int
) -> tuple[list[StoredPost], int]:
    """The account's archived posts created in the range and the tracker's life, newest first, and the total."""
    check_range(start, end)
    window = tracker.clip(start, end, rt.interval)
    if window is None:
        return [], 0
    async with rt.engine.connect() as conn:
        return await tweet_store.list_posts(
            conn, author_id=tracker.x_user_id, start=window[0], end=window[1], offset=offset, limit=limit
        )


async def posts(rt: Runtime, tracker: Tracker, *, start: int, end: int) -> list[StoredPost]:
    """Every archived post in the range and the tracker's life, newest first."""
    check_range(start, end)
    window = tracker.clip(start, end, rt.interval)
    if window is None:
        return []
    async with rt.engine.connect() as conn:
        found = await tweet_store.posts_in_range(conn, author_id=tracker.x_user_id, start=window[0], end=window[1])
    return found[::-1]


@dataclass(frozen=True)
class Activity:
    periods: Periods
    window: tuple[int, int] | None  # the range clipped to the tracker's life
    rows: list[activity.ActivityRow]
    total: activity.ActivityRow


async def posting_activity(
    rt: Runtime, tracker: Tracker, *, start: int, end: int, interval: str = "day", tz: str | None = None
) -> Activity:
    """Posts per period by type and the engagement they received, inside the tracker's life."""
    periods = parse_periods(interval, tz)
    check_range(start, end)
    window = tracker.clip(start, end, rt.interval)
    if window is None:
        return Activity(periods, None, [], activity.ActivityRow(start, end + 1, "total"))
    check_period_count(*window, periods.interval)
    async with rt.engine.connect() as conn:
        found = await tweet_store.posts_in_range(conn, author_id=tracker.x_user_id, start=window[0], end=window[1])
    rows, total = activity.activity(found, start=window[0], end=window[1], interval=periods.interval, tz=periods.tz)
    return Activity(periods, window, rows, total)
