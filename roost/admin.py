"""Operator tasks behind `roost db`, `roost accounts` and `roost keys`: accounts, API keys, migrations.

Each task opens its own engine, migrates first (so they work on a fresh install before `roost serve` ever ran),
does its work in one transaction, and reports problems as `AdminError` with a one-line message for the CLI.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncConnection

from roost import auth
from roost.store import accounts as account_store
from roost.store import tokens as token_store
from roost.store.accounts import Account
from roost.store.db import create_engine
from roost.store.migrate import current_revision, upgrade
from roost.store.tokens import ApiKey

T = TypeVar("T")
DAY = 86400
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


class AdminError(Exception):
    """A problem the operator can fix; its message is one line."""


@asynccontextmanager
async def _transaction(url: str) -> AsyncIterator[AsyncConnection]:
    await upgrade(url)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            yield conn
    finally:
        await engine.dispose()


async def _run(url: str, work: Callable[[AsyncConnection], Awaitable[T]]) -> T:
    async with _transaction(url) as conn:
        return await work(conn)


async def upgrade_database(url: str) -> str | None:
    """Migrate to the latest schema; returns the revision the database is now at."""
    await upgrade(url)
    return await current_revision(url)


async def _account_by_email(conn: AsyncConnection, email: str) -> Account:
    account = await account_store.get_account_by_email(conn, email=email)
    if account is None:
        raise AdminError(f"no account with email {account_store.normalize_email(email)}")
    return account


async def create_account(
    url: str, *, email: str, tracker_slots: int, password: str | None, name: str | None, now: int
) -> tuple[Account, str | None]:
    """Create an account; returns it and the generated password when none was given (shown once)."""
    email = account_store.normalize_email(email)
    if not _EMAIL.fullmatch(email):
        raise AdminError(f"'{email}' is not an email address")
    if tracker_slots < 0:
        raise AdminError("--trackers cannot be negative")
    if password is not None and not password:
        raise AdminError("--password cannot be empty")
    generated = None if password is not None else auth.new_password()
    password_hash = auth.hash_password(password if password is not None else str(generated))

    async def work(conn: AsyncConnection) -> Account:
        try:
            return await account_store.create_account(
                conn,
                email=email,
                name=name if name is not None else email.split("@")[0],
                password_hash=password_hash,
                tracker_slots=tracker_slots,
                now=now,
            )
        except account_store.EmailTaken as exc:
            raise AdminError(str(exc)) from exc

    return await _run(url, work), generated


async def list_accounts(url: str) -> list[Account]:
    return await _run(url, account_store.list_accounts)


async def create_key(
    url: str, *, email: str, name: str, expires_days: int | None, now: int
) -> tuple[str, ApiKey, Account]:
    """A new API key for the account with this email: (plaintext, key, account)."""
    if expires_days is not None and expires_days <= 0:
        raise AdminError("--expires-days must be at least 1")

    async def work(conn: AsyncConnection) -> tuple[str, ApiKey, Account]:
        account = await _account_by_email(conn, email)
        expires_at = now + expires_days * DAY if expires_days is not None else None
        plaintext, key = await token_store.create_api_key(
            conn, account_id=account.id, name=name, now=now, expires_at=expires_at
        )
        return plaintext, key, account

    return await _run(url, work)


async def revoke_key(url: str, *, key_id: int, now: int) -> ApiKey:
    """Revoke an API key by id; revoking twice is an error that says when it was revoked."""

    async def work(conn: AsyncConnection) -> ApiKey:
        key = await token_store.get_key(conn, token_id=key_id)
        if key is None:
            raise AdminError(f"no API key with id {key_id}")
        if not await token_store.revoke_token(conn, token_id=key_id, now=now):
            raise AdminError(f"API key {key_id} was already revoked at {key.revoked_at}")
        revoked = await token_store.get_key(conn, token_id=key_id)
        assert revoked is not None
        return revoked

    return await _run(url, work)


async def list_keys(url: str, *, email: str) -> tuple[Account, list[ApiKey]]:
    async def work(conn: AsyncConnection) -> tuple[Account, list[ApiKey]]:
        account = await _account_by_email(conn, email)
        return account, await token_store.list_keys(conn, account_id=account.id)

    return await _run(url, work)
