"""Login, the calling account and its balances."""

from __future__ import annotations

from fastapi import APIRouter

from roost.api.deps import AccountDep, RuntimeDep
from roost.api.errors import AUTHED, responses
from roost.schemas import Balances, LoginBody, LoginToken, Me
from roost.services import accounts as account_service
from roost.services import tags as tag_service

router = APIRouter(tags=["accounts"])


@router.post(
    "/authorize/email/login",
    summary="Exchange email and password for a bearer token",
    response_model=LoginToken,
    responses=responses(400, 401, 429),
)
async def login(body: LoginBody, rt: RuntimeDep) -> LoginToken:
    issued = await account_service.log_in(rt, email=body.email, password=body.password)
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
