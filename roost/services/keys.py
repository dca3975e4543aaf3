"""API keys: the operator's (`roost keys create/revoke/list`, by email or key id) and an account's own (the
dashboard's keys page). A key's plaintext is shown once and stored only as a hash; a revoked key stops working at
once in every process (`accounts.revoked_tokens`)."""

from __future__ import annotations

from roost.services.accounts import DAY, account_by_email, revoked_tokens
from roost.services.errors import Invalid, NotFound, ServiceError
from roost.services.runtime import Runtime
from roost.store import tokens as token_store
from roost.store.accounts import Account
from roost.store.db import transaction
from roost.store.tokens import ApiKey


async def create_key(rt: Runtime, *, email: str, name: str, expires_days: int | None) -> tuple[str, ApiKey, Account]:
    """A new API key for the account with this email: (plaintext, key, account). The plaintext is shown once."""
    if expires_days is not None and expires_days <= 0:
        raise Invalid("expires_days", "--expires-days must be at least 1")
    account = await account_by_email(rt, email)
    now = rt.now()
    expires_at = now + expires_days * DAY if expires_days is not None else None
    async with transaction(rt.engine) as conn:
        plaintext, key = await token_store.create_api_key(
            conn, account_id=account.id, name=name, now=now, expires_at=expires_at
        )
    return plaintext, key, account


async def revoke_key(rt: Runtime, *, key_id: int) -> ApiKey:
    """Revoke an API key by id; revoking twice is an error that says when it was revoked."""
    async with transaction(rt.engine) as conn:
        key = await token_store.get_key(conn, token_id=key_id)
        if key is None:
            raise ServiceError("not_found", f"no API key with id {key_id}")
        if not await token_store.revoke_token(conn, token_id=key_id, now=rt.now()):
            raise ServiceError("already_revoked", f"API key {key_id} was already revoked at {key.revoked_at}")
        revoked = await token_store.get_key(conn, token_id=key_id)
        token_hash = await token_store.hash_of(conn, token_id=key_id)
    assert revoked is not None
    revoked_tokens(rt, [token_hash] if token_hash else [])
    return revoked


async def list_keys(rt: Runtime, *, email: str) -> tuple[Account, list[ApiKey]]:
    account = await account_by_email(rt, email)
    async with rt.engine.connect() as conn:
        return account, await token_store.list_keys(conn, account_id=account.id)


# --- an account's own keys (the dashboard's self-service) -----------------------------------------------------

MAX_KEY_NAME = 100


async def create_own_key(rt: Runtime, account: Account, *, name: str, expires_days: int | None) -> tuple[str, ApiKey]:
    """A new API key of this account: (plaintext, key). The plaintext is shown once and never stored."""
    name = name.strip()
    if not name or len(name) > MAX_KEY_NAME:
        raise Invalid("name", f"A key name needs 1 to {MAX_KEY_NAME} characters.")
    if expires_days is not None and not 1 <= expires_days <= 3650:
        raise Invalid("expires_days", "A key expires after 1 to 3650 days (or never).")
    now = rt.now()
    expires_at = now + expires_days * DAY if expires_days is not None else None
    async with transaction(rt.engine) as conn:
        return await token_store.create_api_key(conn, account_id=account.id, name=name, now=now, expires_at=expires_at)


async def own_keys(rt: Runtime, account: Account) -> list[ApiKey]:
    async with rt.engine.connect() as conn:
        return await token_store.list_keys(conn, account_id=account.id)


async def revoke_own_key(rt: Runtime, account: Account, key_id: int) -> None:
    """Revoke one of this account's keys; NotFound for another account's or an unknown or revoked key."""
    async with transaction(rt.engine) as conn:
        keys = {k.id for k in await token_store.list_keys(conn, account_id=account.id)}  # keys, not login tokens
        if key_id not in keys or not await token_store.revoke_token(
            conn, token_id=key_id, now=rt.now(), account_id=account.id
        ):
            raise NotFound("API key")
        token_hash = await token_store.hash_of(conn, token_id=key_id)
    revoked_tokens(rt, [token_hash] if token_hash else [])
