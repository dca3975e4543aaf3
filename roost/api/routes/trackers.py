"""Tweet Binder's User Trackers surface, both generations over the same services: the documented one (`/multi`,
`/me`, `/delete`, `/stats`) and the current one (`POST /user-trackers`, `GET /user-trackers[/:id]`,
`DELETE /user-trackers/:id`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body, Depends, Query, Request
from pydantic import BeforeValidator
from starlette.responses import Response

from roost.api.csvout import CSV_DOC, Format, csv_response
from roost.api.deps import AccountDep, PageDep, ResourceIdP, RuntimeDep, StatsEndQ, StatsStartQ, TrackerDep
from roost.api.errors import AUTHED, OWNED, responses
from roost.api.responses import JSONResponse
from roost.core.listquery import ListQuery
from roost.schemas import (
    AliasBody,
    AliasItem,
    CreateResult,
    Page,
    ResourceId,
    StatsDocument,
    StopBody,
    StopResult,
    TimelineStatsDocument,
    TrackerDocument,
    at_most,
    page_document,
    stats_csv,
    stats_json,
    tracker_document,
)
from roost.schemas.usage import ArchiveBody
from roost.services import reports, tracker_views
from roost.services import trackers as tracker_service
from roost.services.runtime import Runtime
from roost.store.accounts import Account

router = APIRouter(prefix="/user-trackers", tags=["user trackers"])

_FILTER = "Tweet Binder's filter grammar: a value, or lt|N, gt|N, in|a,b, nin|a,b, exists|true"
FilterQ = Annotated[str | None, Query(description=_FILTER, max_length=2000)]
TimeFilterQ = Annotated[str | None, Query(description=f"{_FILTER} (unix seconds)", max_length=2000)]
OrderQ = Annotated[
    str | None,
    Query(description="<field>|-1 (descending) or <field>|1, e.g. createdAt|-1 (default: newest first)", max_length=64),
]


async def list_query(
    request: Request,
    order: OrderQ = None,
    status: FilterQ = None,
    alias: FilterQ = None,
    username: FilterQ = None,
    id_: Annotated[str | None, Query(alias="_id", description=_FILTER, max_length=4000)] = None,
    createdAt: TimeFilterQ = None,
    updatedAt: TimeFilterQ = None,
    stoppedAt: TimeFilterQ = None,
) -> ListQuery:
    """Tweet Binder's list grammar. The parameters are declared here for the OpenAPI description of both list
    endpoints; the grammar reads the query string itself (repeated filters included)."""
    return tracker_views.list_query(request.query_params.multi_items())


ListQueryDep = Annotated[ListQuery, Depends(list_query)]


async def _list(rt: Runtime, account: Account, query: ListQuery, offset: int, limit: int) -> Response:
    views, total = await tracker_views.page(rt, account, offset=offset, limit=limit, query=query)
    now = rt.now()
    docs = [tracker_document(v, interval=rt.interval, now=now) for v in views]
    return JSONResponse(page_document(docs, offset=offset, limit=limit, total=total))


# --- the current generation --------------------------------------------------------------------------------------


@router.post(
    "",
    summary="Create a tracker (409 already tracked, 429 'invalid balance', 400 unknown or suspended account)",
    response_model=ResourceId,
    responses=responses(400, 401, 409, 429, 503),
)
async def create_one(rt: RuntimeDep, account: AccountDep, body: AliasBody) -> ResourceId:
    return ResourceId(resourceId=await tracker_service.create_one(rt, account, body.alias, archive=body.archive))


@router.get(
    "",
    summary="The account's trackers (filters and order in Tweet Binder's grammar; newest first by default)",
    response_model=Page[TrackerDocument],
    responses=AUTHED,
)
@router.get(
    "/me",
    summary="The account's trackers, newest first (the same filters and order as GET /user-trackers)",
    response_model=Page[TrackerDocument],
    responses=AUTHED,
)
async def list_trackers(rt: RuntimeDep, account: AccountDep, page: PageDep, query: ListQueryDep) -> Response:
    """Both generations' list: `GET /user-trackers` and the documented `GET /user-trackers/me`."""
    return await _list(rt, account, query, page.offset, page.limit)


# --- the documented generation -----------------------------------------------------------------------------------


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
    unarchived = [item.alias for item in items if not item.archive]
    outcome = await tracker_service.create(rt, account, [item.alias for item in items], unarchived=unarchived)
    return CreateResult.model_validate({"errors": outcome.errors, "ok": outcome.ok})


@router.put("/delete", summary="Stop trackers (their data stays readable)", response_model=StopResult, responses=AUTHED)
async def stop(rt: RuntimeDep, account: AccountDep, body: StopBody) -> StopResult:
    outcome = await tracker_service.stop(rt, account, body.userTrackers)
    return StopResult.model_validate({"errors": outcome.errors, "ok": outcome.ok})


@router.get(
    "/{resourceId}/stats",
    summary="Snapshots of a tracker between two dates (with the activity fields when isTimeline=true)",
    response_model=list[TimelineStatsDocument] | list[StatsDocument],
    responses={**OWNED, 200: CSV_DOC},
)
async def stats(
    rt: RuntimeDep,
    account: AccountDep,
    resourceId: ResourceIdP,
    startDate: StatsStartQ,
    endDate: StatsEndQ,
    isTimeline: bool = False,
    format: Format = "json",
) -> Response:
    """The same read and encoder as the lean lane (api/fast.py), which answers most JSON requests before this
    route; this one parses what the lane passes on, and writes the CSV."""
    csv = format == "csv"
    found = await reports.owned_stats(
        rt,
        account.id,
        resourceId,
        start=startDate,
        end=endDate,
        timeline=isTimeline,
        with_activity=isTimeline and not csv,
    )
    if csv:
        tracker = await tracker_views.get(rt, account, resourceId)
        return csv_response(f"stats-{tracker.alias}.csv", *stats_csv(found.names, found.rows))
    return Response(stats_json(found.names, found.rows, timeline=isTimeline), media_type="application/json")


# --- one tracker (after every fixed path: /me, /multi, /delete are not resourceIds) ------------------------------


@router.get("/{resourceId}", summary="One tracker", response_model=TrackerDocument, responses=OWNED)
async def get_one(rt: RuntimeDep, account: AccountDep, tracker: TrackerDep) -> TrackerDocument:
    view = await tracker_views.view(rt, account, tracker)
    assert view is not None  # TrackerDep found it for this account
    return TrackerDocument.of(view, interval=rt.interval, now=rt.now())


@router.patch(
    "/{resourceId}",
    summary='Switch a tracker\'s post archive on or off ({"archive": false}: hourly snapshots only)',
    response_model=TrackerDocument,
    responses=responses(400, 401, 404, 409),
)
async def patch_one(rt: RuntimeDep, account: AccountDep, tracker: TrackerDep, body: ArchiveBody) -> TrackerDocument:
    await tracker_service.set_archive(rt, account, tracker.id, body.archive)
    view = await tracker_views.view(rt, account, await tracker_views.get(rt, account, tracker.id))
    assert view is not None  # TrackerDep found it for this account
    return TrackerDocument.of(view, interval=rt.interval, now=rt.now())


@router.delete(
    "/{resourceId}",
    summary="Stop a tracker (idempotent: stopping it again is a 204 and gives no slot back)",
    status_code=204,
    response_class=Response,
    responses=OWNED,
)
async def delete_one(rt: RuntimeDep, account: AccountDep, tracker: TrackerDep) -> Response:
    await tracker_service.delete_one(rt, account, tracker.id)
    return Response(status_code=204)
