"""Roost extensions over the timeline archive: a tracker's `/tweets` and its `/activity`, JSON or CSV.

Both read the author's archived posts inside the tracker's life (from the snapshot bucket it was created in to
the moment it stopped), as `/stats` does: a tracker shows what happened while it was tracking.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette.responses import Response

from roost.api.csvout import CSV_DOC, Format, csv_response
from roost.api.deps import EndQ, IntervalQ, PageDep, RuntimeDep, StartQ, TrackerDep, TzQ
from roost.api.errors import OWNED
from roost.schemas import (
    ACTIVITY_CSV,
    POST_CSV,
    ActivityPage,
    Page,
    PostDocument,
    activity_csv_row,
    post_csv_row,
)
from roost.services import reports

router = APIRouter(prefix="/user-trackers", tags=["timeline"])


@router.get(
    "/{resourceId}/tweets",
    summary="The account's archived posts in a date range, newest first",
    response_model=Page[PostDocument],
    responses={**OWNED, 200: CSV_DOC},
)
async def tweets(
    rt: RuntimeDep,
    tracker: TrackerDep,
    page: PageDep,
    startDate: StartQ,
    endDate: EndQ,
    format: Format = "json",
) -> Page[PostDocument] | Response:
    posts, total = await reports.posts_page(
        rt, tracker, start=startDate, end=endDate, offset=page.offset, limit=page.limit
    )
    if format == "csv":
        return csv_response(f"tweets-{tracker.alias}.csv", POST_CSV, [post_csv_row(p) for p in posts])
    return Page.of([PostDocument.of(p) for p in posts], offset=page.offset, limit=page.limit, total=total)


@router.get(
    "/{resourceId}/activity",
    summary="Per-period posts by type and the engagement they received",
    response_model=ActivityPage,
    responses={**OWNED, 200: CSV_DOC},
)
async def activity_view(
    rt: RuntimeDep,
    tracker: TrackerDep,
    page: PageDep,
    startDate: StartQ,
    endDate: EndQ,
    interval: IntervalQ = "day",
    tz: TzQ = None,
    format: Format = "json",
) -> ActivityPage | Response:
    found = await reports.posting_activity(rt, tracker, start=startDate, end=endDate, interval=interval, tz=tz)
    if format == "csv":
        shown = found.rows[page.offset : page.offset + page.limit]
        return csv_response(f"activity-{tracker.alias}.csv", ACTIVITY_CSV, [activity_csv_row(r) for r in shown])
    return ActivityPage.of_activity(
        found.rows,
        found.total,
        interval=found.periods.interval,
        tz=found.periods.tz.key,
        window=found.window,
        offset=page.offset,
        limit=page.limit,
    )
