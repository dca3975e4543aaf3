"""Reading a tracker's history: stats (two points or every snapshot), growth per period, compare, the archived
posts and the posting activity. Every read is clipped to the tracker's life, and every query is checked here
once (dates in order, the interval, the time zone, the number of periods) with errors that name the parameter.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from roost.core import activity, analytics, domain
from roost.schemas import stats as stats_schema
from roost.services import tags as tag_service
from roost.services import tracker_views
from roost.services.errors import Invalid, NotFound
from roost.services.runtime import Runtime
from roost.store import hot as hot_store
from roost.store import snapshots as snapshot_store
from roost.store import tweets as tweet_store
from roost.store.accounts import Account
from roost.store.tags import Tag
from roost.store.trackers import Tracker, TrackerView
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
            raise Invalid(name, f"Invalid value for '{name}': unix seconds between {MIN_TIME} and {MAX_TIME}.")
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


@dataclass(frozen=True)
class TagStats:
    tag: Tag
    trackers: list[tuple[TrackerView, hot_store.StatsRows]]


async def tag_stats(rt: Runtime, account: Account, tag_id: str, *, start: int, end: int, timeline: bool) -> TagStats:
    """Tweet Binder's tag stats: every tracker of one of the account's tags (oldest first) with its stats in the
    range, always with the activity fields. NotFound for an unknown or foreign tag."""
    check_range(start, end)
    tag = await tag_service.get(rt, account, tag_id)
    views = await tracker_views.views(rt, account, list(tag.tracker_ids))
    views.sort(key=lambda v: (v.tracker.created_at, v.tracker.id))
    return TagStats(
        tag=tag,
        trackers=[
            (
                v,
                await owned_stats(
                    rt, account.id, v.tracker.id, start=start, end=end, timeline=timeline, with_activity=True
                ),
            )
            for v in views
        ],
    )


async def owned_stats(
    rt: Runtime,
    account_id: int,
    tracker_id: str,
    *,
    start: int,
    end: int,
    timeline: bool,
    with_activity: bool | None = None,
) -> hot_store.StatsRows:
    """Tweet Binder's stats of the account's tracker `tracker_id`: the first snapshot at or after `start` and the
    last at or before `end` (the same one twice when only one exists), or every snapshot in the range
    (`timeline`), inside the tracker's life; the columns the stats documents declare (`schemas.stats.columns`),
    with the activity stamped on each snapshot when `with_activity` (default: `timeline`). The ownership check
    and the read are one statement; every stats answer (the API's route and lane, tag stats, the CLI, exports)
    reads through here. NotFound for an unknown or
    foreign tracker, before Invalid for dates out of bounds or a start after the end."""
    valid = MIN_TIME <= start <= end <= MAX_TIME
    found = await rt.hot.owned_stats(
        names=stats_schema.columns(timeline if with_activity is None else with_activity),
        account_id=account_id,
        tracker_id=tracker_id,
        start=start if valid else 0,
        end=end if valid else -1,  # an empty window: the statement still answers whether the tracker is owned
        interval=rt.interval,
        timeline=timeline,
        now=rt.clock.now(),
        max_age=rt.settings.read_cache_seconds,
    )
    if found is None:
        raise NotFound("tracker")
    check_range(start, end)
    return found


async def growth(
    rt: Runtime, tracker: Tracker, *, start: int, end: int, interval: str = "day", tz: str | None = None
) -> analytics.Growth:
    """Per-period rows, totals with a 30-day projection, and the glitches found, over [start, end]."""
    periods = growth_query(start, end, interval, tz)
    points = await _series(rt, tracker, start=start, end=end)
    return analytics.growth(points, start=start, end=end, interval=periods.interval, tz=periods.tz)


async def _series(rt: Runtime, tracker: Tracker, *, start: int, end: int) -> analytics.Series:
    """The tracker's counts in [start - LOOKBACK, end] inside its life, as columns (what growth reads: the value as
    of the range's start is the last good one at or before it)."""
    lo, hi = tracker.life(rt.interval)
    async with rt.engine.connect() as conn:
        return await snapshot_store.series_range(
            conn, x_user_id=tracker.x_user_id, start=start - analytics.LOOKBACK, end=end, lo=lo, hi=hi
        )


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
    found = await tracker_views.owned(rt, account, ids)
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
        points = await _series(rt, tracker, start=start, end=end)
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


# --- the dashboard's tracker page: the range and the standard windows ---------------------------------------------


@dataclass(frozen=True)
class RangeReport:
    growth: analytics.Growth  # rows and totals of the range by the one change rule
    windows: list[analytics.Delta]  # the last 24h / 7d / 30d up to now (or the stop): the trackers list's numbers
    points: list[domain.Snapshot]  # the snapshots inside the range


async def range_report(
    rt: Runtime, tracker: Tracker, *, start: int, end: int, interval: analytics.Interval, tz: ZoneInfo
) -> RangeReport:
    """The dashboard's tracker page: per-period rows and totals of the range, and the standard windows from the
    full history whatever range is shown (the same numbers as the trackers list, `roost trackers` and a growth of
    that window)."""
    every = await tracker_views.series(rt, tracker, start=start - analytics.LOOKBACK, end=end)
    g = analytics.growth(every, start=start, end=end, interval=interval, tz=tz)
    _, _, windows = await tracker_views.recent_deltas(rt, tracker)
    inside = [p for p in every if start <= p.bucket <= end]
    return RangeReport(growth=g, windows=windows, points=inside)


# --- what the account posted: top posts, engagement rate, best time to post --------------------------------------


@dataclass(frozen=True)
class Slot:
    key: int  # hour 0-23 or weekday 0 (Monday)-6
    posts: int
    engagement: int

    @property
    def average(self) -> float | None:
        return round(self.engagement / self.posts, 1) if self.posts else None

    @property
    def enough(self) -> bool:
        """Whether the slot has the minimum sample to be judged (shaded, or called best)."""
        return self.posts >= MIN_SLOT_POSTS


@dataclass(frozen=True)
class PostReport:
    posts: int  # every post in the range, retweets included
    own: int  # originals, replies and quotes (the posts engagement is counted on)
    engagement: int
    per_post: float | None
    rate: float | None  # % : average engagement per own post over the followers at the range's end
    top: list[tuple[StoredPost, int]]  # by engagement, most first
    latest: list[tuple[StoredPost, int]]
    hours: list[Slot]
    weekdays: list[Slot]
    best_hour: int | None
    best_weekday: int | None


def engagement_of(post: StoredPost) -> int:
    return 0 if post.kind == "retweet" else sum(activity.metric(post, name) for name in activity.ENGAGING)


MIN_SLOT_POSTS = 3  # a best hour from one or two posts is luck, not a pattern


async def account_posts(rt: Runtime, tracker: Tracker, *, start: int, end: int) -> list[StoredPost]:
    """The followed account's archived posts created in [start, end], oldest first, *including* those from before
    the tracker was created: the backfill of a new tracker reads them so its page shows what the account posts."""
    check_range(start, end)
    async with rt.engine.connect() as conn:
        return await tweet_store.posts_in_range(conn, author_id=tracker.x_user_id, start=start, end=end)


async def post_report(
    rt: Runtime, tracker: Tracker, *, start: int, end: int, tz: ZoneInfo, followers: int | None, top: int = 10
) -> PostReport:
    """The archived posts of the range: the most engaging, the newest, the engagement rate, and the hour of the day
    and day of the week whose own posts drew the most engagement on average (in `tz`)."""
    found = (await account_posts(rt, tracker, start=start, end=end))[::-1]  # newest first
    scored = [(p, engagement_of(p)) for p in found]
    own = [(p, e) for p, e in scored if p.kind != "retweet"]
    total = sum(e for _, e in own)
    hours = {h: [0, 0] for h in range(24)}
    weekdays = {d: [0, 0] for d in range(7)}
    for p, e in own:
        local = datetime.fromtimestamp(p.created_at, tz)
        for slot in (hours[local.hour], weekdays[local.weekday()]):
            slot[0] += 1
            slot[1] += e
    hour_slots = [Slot(h, n, e) for h, (n, e) in hours.items()]
    day_slots = [Slot(d, n, e) for d, (n, e) in weekdays.items()]

    def best(slots: list[Slot]) -> int | None:
        ok = [s for s in slots if s.enough and s.average is not None]
        return max(ok, key=lambda s: (s.average or 0, s.posts)).key if ok else None

    per_post = round(total / len(own), 1) if own else None
    rate = round(100.0 * per_post / followers, 3) if per_post is not None and followers else None
    return PostReport(
        posts=len(found),
        own=len(own),
        engagement=total,
        per_post=per_post,
        rate=rate,
        top=sorted(own, key=lambda pe: (-pe[1], -pe[0].created_at))[:top],
        latest=scored[:20],
        hours=hour_slots,
        weekdays=day_slots,
        best_hour=best(hour_slots),
        best_weekday=best(day_slots),
    )
