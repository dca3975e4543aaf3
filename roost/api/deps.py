"""Request dependencies: services, the calling account, and the one ownership check for trackers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import Depends, Header, Path, Request
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.api.app import Services
from roost.api.errors import ApiError, not_found
from roost.store import tokens as token_store
from roost.store import trackers as tracker_store
from roost.store.accounts import Account
from roost.store.db import write_transaction
from roost.store.trackers import Tracker


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


ServicesDep = Annotated[Services, Depends(get_services)]


async def read_connection(services: ServicesDep) -> AsyncIterator[AsyncConnection]:
    """One read connection per read request, shared by the ownership check and the handler's queries: a pool
    checkout costs about as much as the indexed query it serves. Only for endpoints that do not write."""
    async with services.engine.connect() as conn:
        yield conn


ReadConnDep = Annotated[AsyncConnection, Depends(read_connection)]


async def current_account(services: ServicesDep, authorization: Annotated[str | None, Header()] = None) -> Account:
    """The account behind `Authorization: Bearer <token>`; one 401 for missing, unknown, expired or revoked."""
    scheme, _, token = (authorization or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(401, "unauthorized", "Send 'Authorization: Bearer <token>' (log in or use an API key).")
    now = int(services.clock.now())
    # Its own short checkout: every endpoint authenticates, and a write endpoint must not hold a read connection
    # while it waits for its turn to write.
    async with services.engine.connect() as conn:
        resolved = await token_store.resolve_token(conn, plaintext=token.strip(), now=now)
    if resolved is None:
        raise ApiError(401, "unauthorized", "This token is unknown, expired or revoked.")
    if resolved.needs_touch:
        async with write_transaction(services.engine) as conn:
            await token_store.touch_token(conn, token_id=resolved.token_id, now=now)
    return resolved.account


AccountDep = Annotated[Account, Depends(current_account)]


async def owned_tracker(
    conn: ReadConnDep,
    account: AccountDep,
    resource_id: Annotated[str, Path(alias="resourceId", description="The tracker's resourceId")],
) -> Tracker:
    """Another account's tracker is a 404, exactly like an unknown one: never confirm it exists."""
    tracker = await tracker_store.get_owned_tracker(conn, account_id=account.id, tracker_id=resource_id)
    if tracker is None:
        raise not_found("tracker")
    return tracker


TrackerDep = Annotated[Tracker, Depends(owned_tracker)]
