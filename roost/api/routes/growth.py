"""Roost extensions over the snapshot series: `/growth` of one tracker and `/compare` of several, JSON or CSV.

`/compare` is registered before the trackers router so `compare` is never taken for a resourceId.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from starlette.responses import Response

from roost.api.csvout import CSV_DOC, Format, csv_response
from roost.api.deps import AccountDep, EndQ, IntervalQ, RuntimeDep, StartQ, TrackerDep, TzQ
from roost.api.errors import OWNED
from roost.api.responses import JSONResponse
from roost.schemas import GROWTH_CSV, CompareDocument, GrowthDocument, growth_csv_row, growth_document
from roost.services import reports

router = APIRouter(prefix="/user-trackers", tags=["growth"])


@router.get(
    "/compare",
    summary="Growth rows of several trackers side by side (trackers=a,b or tag=)",
    response_model=CompareDocument,
    responses={**OWNED, 200: CSV_DOC},
)
async def compare(
    rt: RuntimeDep,
    account: AccountDep,
    startDate: StartQ,
    endDate: EndQ,
    interval: IntervalQ = "day",
    tz: TzQ = None,
    trackers: Annotated[str | None, Query(description="comma-separated resourceIds", max_length=2000)] = None,
    tag: Annotated[str | None, Query(description="a tag id: compare its trackers", max_length=64)] = None,
    format: Format = "json",
) -> CompareDocument | Response:
    periods, results = await reports.compare(
        rt,
        account,
        tracker_ids=None if trackers is None else trackers.split(","),
        tag=tag,
        start=startDate,
        end=endDate,
        interval=interval,
        tz=tz,
    )
    if format == "csv":
        rows = [[t.id, t.alias, *growth_csv_row(r)] for t, g in results for r in g.rows]
        return csv_response("compare.csv", ["trackerId", "alias", *GROWTH_CSV], rows)
    return CompareDocument(
        startDate=startDate,
        endDate=endDate,
        interval=periods.interval,
        tz=periods.tz.key,
        trackers=[GrowthDocument.of(t.id, t.alias, g) for t, g in results],
    )


@router.get(
    "/{resourceId}/growth",
    summary="Per-period growth of a tracker, with totals and a 30-day projection",
    response_model=GrowthDocument,
    responses={**OWNED, 200: CSV_DOC},
)
async def growth(
    rt: RuntimeDep,
    tracker: TrackerDep,
    startDate: StartQ,
    endDate: EndQ,
    interval: IntervalQ = "day",
    tz: TzQ = None,
    format: Format = "json",
) -> Response:
    g = await reports.growth(rt, tracker, start=startDate, end=endDate, interval=interval, tz=tz)
    if format == "csv":
        return csv_response(f"growth-{tracker.alias}-{g.interval}.csv", GROWTH_CSV, [growth_csv_row(r) for r in g.rows])
    return JSONResponse(growth_document(tracker.id, tracker.alias, g))
