"""Tweet Binder's User Trackers surface: create, list, stop, stats."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BeforeValidator
from starlette.responses import Response

from roost.api.csvout import CSV_DOC, Format, csv_response
from roost.api.deps import AccountDep, EndQ, PageDep, RuntimeDep, StartQ, TrackerDep
from roost.api.errors import AUTHED, OWNED, responses
from roost.schemas import (
    STATS_CSV,
    AliasItem,
    CreateResult,
    Page,
    StatsDocument,
    StopBody,
    StopResult,
    TrackerDocument,
    at_most,
    stats_csv_rows,
)
from roost.services import reports
from roost.services import trackers as tracker_service

router = APIRouter(prefix="/user-trackers", tags=["user trackers"])


@router.post(
    "/multi", summary="Create one or more trackers", response_model=CreateResult, responses=responses(400, 401, 503)
)
async def create(
    rt: RuntimeDep,
    account: AccountDep,
    items: Annotated[
        list[AliasItem],
        BeforeValidator(at_most(tracker_service.MAX_ALIASES)),
        Body(min_length=1, max_length=tracker_service.MAX_ALIASES),
    ],
) -> CreateResult:
    outcome = await tracker_service.create(rt, account, [item.alias for item in items])
    return CreateResult.model_validate({"errors": outcome.errors, "ok": outcome.ok})


@router.get(
    "/me", summary="The account's trackers, newest first", response_model=Page[TrackerDocument], responses=AUTHED
)
async def list_mine(
    rt: RuntimeDep,
    account: AccountDep,
    page: PageDep,
    status: Literal["active", "stopped"] | None = None,
    alias: Annotated[str | None, Query(max_length=16)] = None,
) -> Page[TrackerDocument]:
    views, total = await tracker_service.page(
        rt, account, status=status, alias=alias, offset=page.offset, limit=page.limit
    )
    return Page.of([TrackerDocument.of(v) for v in views], offset=page.offset, limit=page.limit, total=total)


@router.put("/delete", summary="Stop trackers (their data stays readable)", response_model=StopResult, responses=AUTHED)
async def stop(rt: RuntimeDep, account: AccountDep, body: StopBody) -> StopResult:
    outcome = await tracker_service.stop(rt, account, body.userTrackers)
    return StopResult.model_validate({"errors": outcome.errors, "ok": outcome.ok})


@router.get(
    "/{resourceId}/stats",
    summary="Snapshots of a tracker between two dates",
    response_model=list[StatsDocument],
    responses={**OWNED, 200: CSV_DOC},
)
async def stats(
    rt: RuntimeDep,
    tracker: TrackerDep,
    startDate: StartQ,
    endDate: EndQ,
    isTimeline: bool = False,
    format: Format = "json",
) -> list[StatsDocument] | Response:
    rows = await reports.stats(rt, tracker, start=startDate, end=endDate, timeline=isTimeline)
    if format == "csv":
        return csv_response(f"stats-{tracker.alias}.csv", STATS_CSV, stats_csv_rows(rows))
    return [StatsDocument.of(row) for row in rows]
