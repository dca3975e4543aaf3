"""Tags group an account's trackers (for the dashboard's comparisons and /compare)."""

from __future__ import annotations

from fastapi import APIRouter

from roost.api.deps import AccountDep, PageDep, RuntimeDep
from roost.api.errors import AUTHED, responses
from roost.schemas import AssignBody, Ok, Page, ResourceId, TagBody, TagDocument
from roost.services import tags as tag_service

router = APIRouter(prefix="/user-trackers/tags", tags=["tags"])


@router.post("", summary="Create a tag", response_model=ResourceId, responses=responses(400, 401, 409))
async def create_tag(body: TagBody, rt: RuntimeDep, account: AccountDep) -> ResourceId:
    return ResourceId(resourceId=await tag_service.create(rt, account, body.name))


@router.put(
    "",
    summary="Add tags to and remove tags from trackers (all or nothing)",
    response_model=Ok,
    responses=responses(400, 401, 404),
)
async def assign_tags(body: AssignBody, rt: RuntimeDep, account: AccountDep) -> Ok:
    await tag_service.assign(rt, account, add=body.add, remove=body.delete, tracker_ids=body.trackers)
    return Ok()


@router.get("", summary="The account's tags", response_model=Page[TagDocument], responses=AUTHED)
async def list_tags(rt: RuntimeDep, account: AccountDep, page: PageDep) -> Page[TagDocument]:
    tags, total = await tag_service.page(rt, account, offset=page.offset, limit=page.limit)
    return Page.of([TagDocument.of(t) for t in tags], offset=page.offset, limit=page.limit, total=total)
