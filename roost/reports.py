"""What the command line shows and exports, as plain documents with the API's keys and semantics.

The shapes come from where the API and dashboard define them (`domain.stats_document`, the growth and timeline
routes' document and CSV helpers, the dashboard's tracker rows), the numbers from `roost.analytics`; every read
is clipped to the tracker's life like the API's. So `roost stats --json` prints what `GET /stats` answers.
"""

from __future__ import annotations

from typing import Any, Literal
from zoneinfo import ZoneInfo

from roost import analytics, domain
from roost.api.periods import MAX_PERIODS
from roost.api.routes import growth as growth_routes
from roost.api.routes import timeline as timeline_routes
from roost.api.routes.trackers import STATS_CSV, tracker_document
from roost.store import snapshots as snapshot_store
from roost.store import tweets as tweet_store
from roost.store.trackers import Tracker
from roost.web.data import DELTA_HISTORY, series
from roost.workspace import Workspace, WorkspaceError, all_trackers

Export = Literal["stats", "growth", "tweets"]
EXPORTS: tuple[Export, ...] = ("stats", "growth", "tweets")


async def tracker_list(ws: Workspace, *, now: int, status: str | None = None) -> list[dict[str, Any]]:
    """The account's trackers, newest first: the API's tracker document plus `deltas`, the change of each count
    over the last 24h / 7d / 30d (up to the newest snapshot, glitches left out), as on the dashboard, and
    `deltasComplete`, False for a window longer than the history (the change is then since the first snapshot)."""
    found = []
    for view in await all_trackers(ws):
        if status is not None and view.tracker.status != status:
            continue
        end = view.tracker.stopped_at or now
        points = await series(ws.engine, view.tracker, interval=ws.interval, start=end - DELTA_HISTORY, end=end)
        found_deltas = analytics.deltas(points)
        deltas = {d.window: dict(d.changes) for d in found_deltas}
        complete = {d.window: d.complete for d in found_deltas}
        found.append({**tracker_document(view), "deltas": deltas, "deltasComplete": complete})
    return found


async def stats(ws: Workspace, tracker: Tracker, *, start: int, end: int, timeline: bool) -> list[dict[str, Any]]:
    """`GET /stats`: the first and last snapshot of the range (two points) or every one (`timeline`)."""
    if start > end:
        raise WorkspaceError("--from must not be after --to")
    lo, hi = tracker.life(ws.interval)
    read = snapshot_store.stats_range if timeline else snapshot_store.stats_two_point
    async with ws.engine.connect() as conn:
        rows = await read(conn, x_user_id=tracker.x_user_id, start=start, end=end, lo=lo, hi=hi)
    return [domain.stats_document(row) for row in rows]


def growth_query(start: int, end: int, interval: str, tz: str | None) -> tuple[analytics.Interval, ZoneInfo]:
    """Validate a growth query like the API does, with messages that name the option."""
    try:
        period = analytics.parse_interval(interval)
    except ValueError as exc:
        raise WorkspaceError(f"--interval: {exc}") from None
    try:
        zone = analytics.parse_tz(tz)
    except ValueError as exc:
        raise WorkspaceError(f"--tz: {exc}") from None
    if start > end:
        raise WorkspaceError("--from must not be after --to")
    if analytics.count_periods(start, end, period) > MAX_PERIODS:
        raise WorkspaceError(f"that range holds more than {MAX_PERIODS} {period}s; use a longer --interval")
    return period, zone


async def growth(
    ws: Workspace, tracker: Tracker, *, start: int, end: int, interval: str, tz: str | None
) -> dict[str, Any]:
    """`GET /growth`: per-period rows, totals with a 30-day projection, and the glitches found."""
    period, zone = growth_query(start, end, interval, tz)
    g = await growth_routes.tracker_growth(
        ws.engine, tracker, interval_seconds=ws.interval, start=start, end=end, period=period, zone=zone
    )
    return growth_routes.growth_document(tracker, g)


async def posts(ws: Workspace, tracker: Tracker, *, start: int, end: int) -> list[tweet_store.StoredPost]:
    """The account's archived posts created in the range and the tracker's life, newest first (as `/tweets`)."""
    window = tracker.clip(start, end, ws.interval)
    if window is None:
        return []
    async with ws.engine.connect() as conn:
        found = await tweet_store.posts_in_range(conn, author_id=tracker.x_user_id, start=window[0], end=window[1])
    return found[::-1]


async def export(
    ws: Workspace,
    tracker: Tracker,
    *,
    what: Export,
    start: int,
    end: int,
    interval: str = "day",
    tz: str | None = None,
) -> tuple[Any, list[str], list[list[Any]]]:
    """One export as (JSON document, CSV header, CSV rows), with the API's `format=csv` columns:
    stats (every snapshot, like `isTimeline=true`), growth (the rows) or tweets (the archived posts)."""
    if what == "stats":
        docs = await stats(ws, tracker, start=start, end=end, timeline=True)
        return docs, STATS_CSV, [[d[k] for k in STATS_CSV] for d in docs]
    if what == "growth":
        period, zone = growth_query(start, end, interval, tz)
        g = await growth_routes.tracker_growth(
            ws.engine, tracker, interval_seconds=ws.interval, start=start, end=end, period=period, zone=zone
        )
        doc = growth_routes.growth_document(tracker, g)
        return doc, growth_routes.CSV_HEADER, [growth_routes.csv_row(r) for r in g.rows]
    if start > end:
        raise WorkspaceError("--from must not be after --to")
    found = await posts(ws, tracker, start=start, end=end)
    docs = [timeline_routes.post_document(p) for p in found]
    return docs, timeline_routes.POST_CSV, [timeline_routes.post_csv_row(p) for p in found]
