"""Request dependencies: the runtime, the calling account (a bearer security scheme, so OpenAPI's Authorize button
works), the one ownership check for trackers, and list paging. Never imports the app."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from fastapi import Depends, Path, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from roost.services import accounts as account_service
from roost.services import reports, tracker_views
from roost.services.errors import Unauthorized
from roost.services.runtime import Runtime
from roost.store.accounts import Account
from roost.store.trackers import Tracker


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
bearer = HTTPBearer(auto_error=False, description="A login token (POST /authorize/email/login) or an API key")


async def current_account(
    rt: RuntimeDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> Account:
    """The account behind `Authorization: Bearer <token>`; one 401 for missing, unknown, expired or revoked."""
    if credentials is None:
        raise Unauthorized("unauthorized", "Send 'Authorization: Bearer <token>' (log in or use an API key).")
    return await account_service.authenticate(rt, credentials.credentials)


AccountDep = Annotated[Account, Depends(current_account)]


async def bearer_token(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> str | None:
    """The token the request was made with (to tell the caller's own session apart)."""
    return credentials.credentials if credentials is not None else None


TokenDep = Annotated[str | None, Depends(bearer_token)]


def client_address(request: Request) -> str | None:
    """The client's address (the proxy's X-Forwarded-For when uvicorn trusts the proxy), for login throttling."""
    return request.client.host if request.client else None


AddressDep = Annotated[str | None, Depends(client_address)]


ResourceIdP = Annotated[str, Path(max_length=64, description="The tracker's resourceId")]


async def owned_tracker(
    rt: RuntimeDep,
    account: AccountDep,
    resource_id: Annotated[str, Path(alias="resourceId", max_length=64, description="The tracker's resourceId")],
) -> Tracker:
    """Another account's tracker is a 404, exactly like an unknown one: never confirm it exists."""
    return await tracker_views.get(rt, account, resource_id)


TrackerDep = Annotated[Tracker, Depends(owned_tracker)]


@dataclass(frozen=True)
class Paging:
    offset: int
    limit: int


MAX_OFFSET = 2**31 - 1


async def paging(
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="items to skip")] = 0,
    limit: Annotated[int, Query(ge=1, le=1000, description="items per page")] = 20,
) -> Paging:
    return Paging(offset=offset, limit=limit)


PageDep = Annotated[Paging, Depends(paging)]


StartQ = Annotated[
    int, Query(ge=reports.MIN_TIME, le=reports.MAX_TIME, description="unix seconds, inclusive; not after endDate")
]
EndQ = Annotated[int, Query(ge=reports.MIN_TIME, le=reports.MAX_TIME, description="unix seconds, inclusive")]
_BOUNDS = {"minimum": reports.MIN_TIME, "maximum": reports.MAX_TIME}
# The stats route's dates: the bounds are checked by the stats read after the ownership check (a tracker that is
# not the caller's is a 404 whatever the dates), so they are documented here, not validated.
StatsStartQ = Annotated[int, Query(description="unix seconds, inclusive; not after endDate", json_schema_extra=_BOUNDS)]
StatsEndQ = Annotated[int, Query(description="unix seconds, inclusive", json_schema_extra=_BOUNDS)]
IntervalQ = Annotated[Literal["hour", "day", "week", "month"], Query(description="The length of each period")]
TzQ = Annotated[str | None, Query(description="IANA time zone of the periods (default UTC)", max_length=64)]
