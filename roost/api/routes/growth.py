"""Roost extensions over the snapshot series: `/growth` of one tracker and `/compare` of several, JSON or CSV.

The numbers come from `roost.analytics`; this module only reads the store, validates the query and shapes
the answer. `/compare` is registered before the trackers router so `compare` is never taken for a resourceId.
"""

from __future__ import annotations

from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query
from sqlalchemy.ext.asyncio import AsyncEngine

from roost import analytics
from roost.api.csvout import Format, csv_response
from roost.api.deps import AccountDep, ServicesDep, TrackerDep
from roost.api.errors import bad_request, not_found
from roost.api.periods import check_period_count, parse_period
from roost.store import snapshots as snapshot_store
from roost.store import tags as tag_store
from roost.store import trackers as tracker_store
from roost.store.trackers import Tracker

router = APIRouter(prefix="/user-trackers", tags=["growth"])

MAX_COMPARE = 20


def validate_query(start: int, end: int, interval: str, tz: str | None) -> tuple[analytics.Interval, ZoneInfo]:
    """400s that name the parameter: dates out of order, an unknown interval or zone, too many periods."""
    if start > end:
        raise bad_request("startDate", "startDate must not be after endDate.")
    period, zone = parse_period(interval, tz)
    check_period_count(start, end, period)
    return period, zone


async def tracker_growth(
    engine: AsyncEngine,
    tracker: Tracker,
    *,
    interval_seconds: int,
    start: int,
    end: int,
    period: analytics.Interval,
    zone: ZoneInfo,
) -> analytics.Growth:
    """A tracker's growth over [start, end], read from the part of the series inside its life."""
    lo, hi = tracker.life(interval_seconds)
    async with engine.connect() as conn:
        rows = await snapshot_store.stats_range(conn, x_user_id=tracker.x_user_id, start=start, end=end, lo=lo, hi=hi)
    return analytics.growth(rows, start=start, end=end, interval=period, tz=zone)


def row_document(row: analytics.Row) -> dict[str, Any]:
    doc: dict[str, Any] = {"_id": row.start, "periodEnd": row.end, "label": row.label}
    for m in analytics.METRICS:
        doc[m] = row.values[m]
        doc[f"{m}Change"] = row.changes[m]
    doc["snapshots"] = row.snapshots
    doc["glitches"] = row.glitches
    return doc


def totals_document(g: analytics.Growth) -> dict[str, Any]:
    return {
        m: {
            "start": t.start,
            "end": t.end,
            "absolute": t.absolute,
            "percent": t.percent,
            "avgDaily": t.avg_daily,
            "projection30d": t.projection_30d,
        }
        for m, t in g.totals.items()
    }


def growth_document(tracker: Tracker, g: analytics.Growth) -> dict[str, Any]:
    return {
        "_id": tracker.id,
        "alias": tracker.alias,
        "startDate": g.start,
        "endDate": g.end,
        "interval": g.interval,
        "tz": g.tz,
        "rows": [row_document(r) for r in g.rows],
        "totals": totals_document(g),
        "glitches": [
            {"_id": x.bucket, "metric": x.metric, "value": x.value, "expected": x.expected} for x in g.glitches
        ],
    }


CSV_HEADER = [
    "periodStart",
    "periodEnd",
    "label",
    *(col for m in analytics.METRICS for col in (m, f"{m}Change")),
    "snapshots",
    "glitches",
]


def csv_row(row: analytics.Row) -> list[Any]:
    return [
        row.start,
        row.end,
        row.label,
        *(v for m in analytics.METRICS for v in (row.values[m], row.changes[m])),
        row.snapshots,
        row.glitches,
    ]


StartQ = Annotated[int, Query(description="unix seconds, inclusive")]
EndQ = Annotated[int, Query(description="unix seconds, inclusive")]
IntervalQ = Annotated[str, Query(description="hour, day, week or month")]
TzQ = Annotated[str | None, Query(description="IANA time zone of the periods (default UTC)", max_length=64)]


@router.get("/compare", summary="Growth rows of several trackers side by side (trackers=a,b or tag=)")
async def compare(
    services: ServicesDep,
    account: AccountDep,
    startDate: StartQ,
    endDate: EndQ,
    interval: IntervalQ = "day",
    tz: TzQ = None,
    trackers: Annotated[str | None, Query(description="comma-separated resourceIds", max_length=2000)] = None,
    tag: Annotated[str | None, Query(description="a tag id: compare its trackers", max_length=64)] = None,
    format: Format = "json",
) -> Any:
    period, zone = validate_query(startDate, endDate, interval, tz)
    if (trackers is None) == (tag is None):
        raise bad_request("trackers", "Give either trackers=<id,id,...> or tag=<tagId>.")
    async with services.engine.connect() as conn:
        if tag is not None:
            ids = await tag_store.tracker_ids_for_tag(conn, account_id=account.id, tag_id=tag)
            if ids is None:
                raise not_found("tag")
        else:
            ids = list(dict.fromkeys(i.strip() for i in (trackers or "").split(",") if i.strip()))
            if not ids:
                raise bad_request("trackers", "trackers must list at least one resourceId.")
        if len(ids) > MAX_COMPARE:
            raise bad_request("trackers", f"Compare at most {MAX_COMPARE} trackers at a time.")
        owned = {t.id: t for t in await tracker_store.get_owned_trackers(conn, account_id=account.id, ids=ids)}
    if tag is None and len(owned) < len(ids):
        raise not_found("tracker")
    found = [owned[i] for i in ids if i in owned]
    found.sort(key=lambda t: (t.alias.lower(), t.id))
    interval_seconds = services.settings.snapshot_interval
    results = [
        (
            t,
            await tracker_growth(
                services.engine,
                t,
                interval_seconds=interval_seconds,
                start=startDate,
                end=endDate,
                period=period,
                zone=zone,
            ),
        )
        for t in found
    ]
    if format == "csv":
        rows = [[t.id, t.alias, *csv_row(r)] for t, g in results for r in g.rows]
        return csv_response("compare.csv", ["trackerId", "alias", *CSV_HEADER], rows)
    return {
        "startDate": startDate,
        "endDate": endDate,
        "interval": period,
        "tz": zone.key,
        "trackers": [growth_document(t, g) for t, g in results],
    }


@router.get("/{resourceId}/growth", summary="Per-period growth of a tracker, with totals and a 30-day projection")
async def growth(
    services: ServicesDep,
    tracker: TrackerDep,
    startDate: StartQ,
    endDate: EndQ,
    interval: IntervalQ = "day",
    tz: TzQ = None,
    format: Format = "json",
) -> Any:
    period, zone = validate_query(startDate, endDate, interval, tz)
    g = await tracker_growth(
        services.engine,
        tracker,
        interval_seconds=services.settings.snapshot_interval,
        start=startDate,
        end=endDate,
        period=period,
        zone=zone,
    )
    if format == "csv":
        return csv_response(f"growth-{tracker.alias}-{period}.csv", CSV_HEADER, [csv_row(r) for r in g.rows])
    return growth_document(tracker, g)
