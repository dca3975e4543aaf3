"""Tweet Binder's X Profiles lookups: who X accounts are, by screen name or by id."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from roost.api.deps import AccountDep, RuntimeDep
from roost.api.errors import responses
from roost.schemas import XProfile
from roost.services import profiles as profile_service

router = APIRouter(prefix="/profiles/twitter", tags=["X profiles"])


@router.get(
    "/by-name",
    summary="X profiles by screen name (1-100; unknown ones are left out)",
    response_model=list[XProfile],
    responses=responses(400, 401, 503),
)
async def by_name(
    rt: RuntimeDep,
    account: AccountDep,
    profileNames: Annotated[str, Query(max_length=2000, description="Comma-separated screen names, 1 to 100")],
) -> list[XProfile]:
    return _documents(await profile_service.by_names(rt, profileNames))


@router.get(
    "/by-id",
    summary="X profiles by X user id (1-100; unknown ones are left out)",
    response_model=list[XProfile],
    responses=responses(400, 401, 503),
)
async def by_id(
    rt: RuntimeDep,
    account: AccountDep,
    profileIds: Annotated[str, Query(max_length=2100, description="Comma-separated X user ids, 1 to 100")],
) -> list[XProfile]:
    return _documents(await profile_service.by_ids(rt, profileIds))


def _documents(found: list[profile_service.Profile]) -> list[XProfile]:
    return [XProfile(id=str(p.id), name=p.name, alias=p.username) for p in found]
