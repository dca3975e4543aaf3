"""Login, the calling account, its balances, its login sessions and its password."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path

from roost.api.deps import AccountDep, AddressDep, RuntimeDep, TokenDep
from roost.api.errors import AUTHED, responses
from roost.schemas import Balances, LoginBody, LoginToken, Me, Ok, PasswordBody, SessionDocument
from roost.services import accounts as account_service
from roost.services import tags as tag_service

router = APIRouter(tags=["accounts"])
MAX_ID = 2**31 - 1


@router.post(
    "/authorize/email/login",
    summary="Exchange email and password for a bearer token",
    response_model=LoginToken,
    responses=responses(400, 401, 429),
)
async def login(
    body: LoginBody, rt: RuntimeDep, address: AddressDep, user_agent: Annotated[str | None, Header()] = None
) -> LoginToken:
    issued = await account_service.log_in(
        rt, email=body.email, password=body.password, address=address, user_agent=user_agent
    )
    return LoginToken(authToken=issued.token, expiresAt=issued.expires_at)


@router.get("/me", summary="The calling account", response_model=Me, responses=AUTHED)
async def me(account: AccountDep) -> Me:
    return Me.of(account)


@router.get(
    "/me/balances",
    summary="Balances by name: tracker slots (free and total) and tags",
    response_model=Balances,
    responses=AUTHED,
)
async def balances(account: AccountDep, rt: RuntimeDep) -> Balances:
    slots = await account_service.balance(rt, account)
    limit, used = await tag_service.usage(rt, account)
    return Balances.of(slots, tag_limit=limit, tags_used=used)


@router.get(
    "/me/sessions",
    summary="The account's live login sessions, newest first",
    response_model=list[SessionDocument],
    responses=AUTHED,
)
async def sessions(account: AccountDep, rt: RuntimeDep, token: TokenDep) -> list[SessionDocument]:
    return [
        SessionDocument(
            id=s.id,
            createdAt=s.created_at,
            expiresAt=s.expires_at,
            lastUsedAt=s.last_used_at,
            current=current,
            signedInFrom=s.origin,
        )
        for s, current in await account_service.sessions(rt, account, current=token)
    ]


@router.delete(
    "/me/sessions/{sessionId}",
    summary="Log out one login session (its token stops working at once)",
    response_model=Ok,
    responses=responses(400, 401, 404),
)
async def revoke_session(
    account: AccountDep,
    rt: RuntimeDep,
    session_id: Annotated[int, Path(alias="sessionId", ge=1, le=MAX_ID, description="A session's _id")],
) -> Ok:
    await account_service.revoke_session(rt, account, session_id)
    return Ok()


@router.put(
    "/me/password",
    summary="Change the password (give the current one); logs out every other session",
    response_model=Ok,
    responses=responses(400, 401, 429),
)
async def change_password(
    body: PasswordBody, account: AccountDep, rt: RuntimeDep, token: TokenDep, address: AddressDep
) -> Ok:
    await account_service.change_password(
        rt, account, current=body.currentPassword, new=body.newPassword, keep_token=token, address=address
    )
    return Ok()
