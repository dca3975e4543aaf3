"""Tags group an account's trackers (for the dashboard's comparisons and /compare)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field, StrictStr

from roost.api.deps import AccountDep, ServicesDep
from roost.api.errors import ApiError
from roost.api.pagination import PageDep
from roost.store import tags as tag_store
from roost.store.db import write_transaction

router = APIRouter(prefix="/user-trackers/tags", tags=["tags"])


class TagBody(BaseModel):
    name: StrictStr = Field(min_length=1, max_length=64)


class AssignBody(BaseModel):
    add: list[StrictStr] = Field(default_factory=list, max_length=100)
    delete: list[StrictStr] = Field(default_factory=list, max_length=100)
    trackers: list[StrictStr] = Field(min_length=1, max_length=1000)


@router.post("", summary="Create a tag")
async def create_tag(body: TagBody, services: ServicesDep, account: AccountDep) -> dict[str, Any]:
    name = body.name.strip()
    if not name:
        raise ApiError(400, "invalid_request", "A tag name cannot be blank.", {"field": "name"})
    async with write_transaction(services.engine) as conn:
        tag_id = await tag_store.create_tag(conn, account_id=account.id, name=name, now=int(services.clock.now()))
    if tag_id is None:
        raise ApiError(409, "tag_exists", f"A tag called '{name}' already exists.", {"field": "name"})
    return {"resourceId": tag_id}


@router.put("", summary="Add tags to and remove tags from trackers")
async def assign_tags(body: AssignBody, services: ServicesDep, account: AccountDep) -> dict[str, Any]:
    async with write_transaction(services.engine) as conn:
        missing = await tag_store.assign(
            conn,
            account_id=account.id,
            add=body.add,
            remove=body.delete,
            tracker_ids=body.trackers,
            now=int(services.clock.now()),
        )
        if missing:
            # Nothing is written when any id is unknown (or another account's): the transaction rolls back.
            raise ApiError(404, "not_found", "Unknown tag or tracker ids.", {"ids": missing})
    return {"ok": True}


@router.get("", summary="The account's tags")
async def list_tags(services: ServicesDep, account: AccountDep, page: PageDep) -> dict[str, Any]:
    async with services.engine.connect() as conn:
        tags, total = await tag_store.list_tags(conn, account_id=account.id, offset=page.offset, limit=page.limit)
    data = [
        {
            "_id": t.id,
            "name": t.name,
            "trackers": list(t.tracker_ids),
            "createdAt": t.created_at,
            "updatedAt": t.updated_at,
        }
        for t in tags
    ]
    return page.envelope(data, total)
