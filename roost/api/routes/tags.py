"""Tags group an account's trackers: create, list, the bulk assignment, and Tweet Binder's current per-tracker
add/remove, tag delete and tag stats."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from starlette.responses import Response

from roost.api.deps import AccountDep, EndQ, PageDep, RuntimeDep, StartQ, TrackerDep
from roost.api.errors import AUTHED, OWNED, responses
from roost.api.responses import JSONResponse
from roost.schemas import AssignBody, Ok, Page, ResourceId, TagBody, TagDocument, TagStats, tag_stats_document
from roost.services import reports
from roost.services import tags as tag_service

router = APIRouter(prefix="/user-trackers", tags=["tags"])
TagIdP = Annotated[str, Path(max_length=64, description="The tag's resourceId")]


@router.post(
    "/tags",
    summary="Create a tag (a taken name: 400 'tag name already exists', DUP_TAG_NAME)",
    response_model=ResourceId,
    responses=responses(400, 401, 429),
)
async def create_tag(body: TagBody, rt: RuntimeDep, account: AccountDep) -> ResourceId:
    return ResourceId(resourceId=await tag_service.create(rt, account, body.name))


@router.put(
    "/tags",
    summary="Add tags to and remove tags from trackers (all or nothing)",
    response_model=Ok,
    responses=responses(400, 401, 404),
)
async def assign_tags(body: AssignBody, rt: RuntimeDep, account: AccountDep) -> Ok:
    await tag_service.assign(rt, account, add=body.add, remove=body.delete, tracker_ids=body.trackers)
    return Ok()


@router.get("/tags", summary="The account's tags", response_model=Page[TagDocument], responses=AUTHED)
async def list_tags(rt: RuntimeDep, account: AccountDep, page: PageDep) -> Page[TagDocument]:
    tags, total = await tag_service.page(rt, account, offset=page.offset, limit=page.limit)
    return Page.of([TagDocument.of(t) for t in tags], offset=page.offset, limit=page.limit, total=total)


@router.delete(
    "/tags/{tagId}",
    summary="Delete a tag (its trackers stay)",
    status_code=204,
    response_class=Response,
    responses=OWNED,
)
async def delete_tag(tagId: TagIdP, rt: RuntimeDep, account: AccountDep) -> Response:
    await tag_service.delete(rt, account, tagId)
    return Response(status_code=204)


@router.get(
    "/tags/{tagId}/stats",
    summary="Every tracker of a tag with its snapshots and their activity fields",
    response_model=TagStats,
    responses=OWNED,
)
async def tag_stats(
    tagId: TagIdP, rt: RuntimeDep, account: AccountDep, startDate: StartQ, endDate: EndQ, isTimeline: bool = False
) -> Response:
    found = await reports.tag_stats(rt, account, tagId, start=startDate, end=endDate, timeline=isTimeline)
    return JSONResponse(tag_stats_document(found.tag, found.trackers, interval=rt.interval, now=rt.now()))


@router.put(
    "/{resourceId}/tags/{tagId}/add",
    summary="Put a tracker in a tag (idempotent)",
    status_code=204,
    response_class=Response,
    responses=OWNED,
)
async def add_tag(tagId: TagIdP, rt: RuntimeDep, account: AccountDep, tracker: TrackerDep) -> Response:
    await tag_service.assign(rt, account, add=[tagId], remove=[], tracker_ids=[tracker.id])
    return Response(status_code=204)


@router.put(
    "/{resourceId}/tags/{tagId}/remove",
    summary="Take a tracker out of a tag (idempotent)",
    status_code=204,
    response_class=Response,
    responses=OWNED,
)
async def remove_tag(tagId: TagIdP, rt: RuntimeDep, account: AccountDep, tracker: TrackerDep) -> Response:
    await tag_service.assign(rt, account, add=[], remove=[tagId], tracker_ids=[tracker.id])
    return Response(status_code=204)
