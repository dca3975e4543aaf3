"""Login, the calling account and its balances."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from roost import auth
from roost.api.deps import AccountDep, ServicesDep
from roost.api.errors import ApiError
from roost.store import accounts as account_store
from roost.store import tokens as token_store
from roost.store.db import write_transaction

router = APIRouter(tags=["accounts"])


class LoginBody(BaseModel):
    email: str = Field(min_length=1, max_length=320)
    password: str = Field(min_length=1, max_length=1024)


@router.post("/authorize/email/login", summary="Exchange email and password for a bearer token")
async def login(body: LoginBody, services: ServicesDep) -> dict[str, Any]:
    now = int(services.clock.now())
    async with write_transaction(services.engine) as conn:
        account = await account_store.get_account_by_email(conn, email=body.email)
        # Verify against a dummy hash when the email is unknown, so timing does not tell which emails exist.
        if not auth.verify_password(account.password_hash if account else None, body.password) or account is None:
            raise ApiError(401, "invalid_credentials", "Wrong email or password.")
        token, expires_at = await token_store.issue_login_token(conn, account_id=account.id, now=now)
    return {"authToken": token, "expiresAt": expires_at}


@router.get("/me", summary="The calling account")
async def me(account: AccountDep) -> dict[str, Any]:
    return {"_id": account.id, "email": account.email, "name": account.name, "createdAt": account.created_at}


@router.get("/me/balances", summary="Tracker slots: total and free")
async def balances(account: AccountDep, services: ServicesDep) -> dict[str, Any]:
    async with services.engine.connect() as conn:
        fresh = await account_store.get_account(conn, account_id=account.id)
    assert fresh is not None
    total = fresh.tracker_slots_total
    return {"balances": [{"name": "userTrackers", "total": total, "balance": total - fresh.tracker_slots_used}]}
