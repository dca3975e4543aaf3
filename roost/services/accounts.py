"""Accounts and who is calling: log in, resolve a bearer token, log out, API keys, and the operator's account
tasks. The password KDF runs in a worker thread and never inside a database transaction, so a flood of logins
neither blocks the event loop nor holds SQLite's write lock."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Sequence
from dataclasses import dataclass

from roost.core import auth
from roost.services.errors import Invalid, NotFound, ServiceError, Unauthorized
from roost.services.runtime import Runtime
from roost.services.tokencache import TOKENS, forget_tokens
from roost.store import accounts as account_store
from roost.store import tokens as token_store
from roost.store.accounts import Account, SlotBalance
from roost.store.db import transaction
from roost.store.migrate import current_revision, upgrade
from roost.store.tokens import ApiKey

DAY = 86400
MAX_LISTED = 5  # emails named in the "which account?" message
DEAD_TOKEN_RETENTION = 30 * DAY  # revoked and expired tokens stay listable this long, then go
MAX_EMAIL = 320
MAX_PASSWORD = 1024
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class LoginToken:
    token: str
    expires_at: int
    account: Account


def _bad_credentials() -> Unauthorized:
    # One answer whether the email exists or not.
    return Unauthorized("invalid_credentials", "Wrong email or password.")


async def log_in(rt: Runtime, *, email: str, password: str) -> LoginToken:
    """Check the password and issue a login token. Unknown emails cost the same time as known ones."""
    if len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD:
        raise _bad_credentials()
    async with rt.engine.connect() as conn:
        account = await account_store.get_account_by_email(conn, email=email)
    stored = account.password_hash if account is not None else None
    matched = await asyncio.to_thread(auth.verify_password, stored, password)
    if account is None or not matched:
        raise _bad_credentials()
    rehashed = None
    if auth.needs_rehash(account.password_hash):
        rehashed = await asyncio.to_thread(auth.hash_password, password)
    now = rt.now()
    async with transaction(rt.engine) as conn:
        token, expires_at = await token_store.issue_login_token(conn, account_id=account.id, now=now)
        # Each login adds a row: drop the account's tokens that have been dead (expired, revoked) a while.
        await token_store.delete_dead_tokens(conn, before=now - DEAD_TOKEN_RETENTION, account_id=account.id)
        if rehashed is not None:
            await account_store.set_password_hash(conn, account_id=account.id, password_hash=rehashed, now=now)
    return LoginToken(token=token, expires_at=expires_at, account=account)


async def authenticate(rt: Runtime, token: str) -> Account:
    """The account behind a bearer token (login token or API key); Unauthorized when it is missing, unknown,
    expired or revoked (one answer for all). Records the use at most once a minute.

    A token found in the database is trusted for a few seconds without asking again (`tokencache`: expiry stays
    exact, a revocation in this process is seen at once, one made by another process within `tokencache.TTL`)."""
    token = token.strip()
    if not token:
        raise Unauthorized("unauthorized", "Send 'Authorization: Bearer <token>' (log in or use an API key).")
    clock_now = rt.clock.now()
    digest = auth.token_digest(token)
    database = rt.settings.database_url
    cached = TOKENS.get(database, digest, clock_now)
    if cached is not None:
        return cached
    now = int(clock_now)
    async with rt.engine.connect() as conn:
        resolved = await token_store.resolve_token(conn, plaintext=token, now=now)
    if resolved is None:
        raise Unauthorized("unauthorized", "This token is unknown, expired or revoked.")
    if resolved.needs_touch:
        async with transaction(rt.engine) as conn:
            await token_store.touch_token(conn, token_id=resolved.token_id, now=now)
    TOKENS.put(database, digest, account=resolved.account, expires_at=resolved.expires_at, now=clock_now)
    return resolved.account


async def log_out(rt: Runtime, token: str) -> bool:
    """Revoke the token a client holds; False when it was unknown or already revoked."""
    async with transaction(rt.engine) as conn:
        revoked = await token_store.revoke_plaintext(conn, plaintext=token, now=rt.now())
    forget_tokens()  # this process stops trusting it at once
    return revoked


async def balance(rt: Runtime, account: Account) -> SlotBalance:
    """The account's tracker slots right now (read fresh: another request may have just taken one)."""
    async with rt.engine.connect() as conn:
        found = await account_store.get_balance(conn, account_id=account.id)
    if found is None:
        raise NotFound("account")
    return found


# --- operators ---------------------------------------------------------------------------------------------------


async def upgrade_database(rt: Runtime) -> str | None:
    """Migrate to the latest schema; returns the revision the database is now at."""
    await upgrade(rt.settings.database_url)
    return await current_revision(rt.settings.database_url)


async def account_by_email(rt: Runtime, email: str) -> Account:
    async with rt.engine.connect() as conn:
        account = await account_store.get_account_by_email(conn, email=email)
    if account is None:
        raise ServiceError("not_found", f"no account with email {account_store.normalize_email(email)}")
    return account


async def create_account(
    rt: Runtime, *, email: str, tracker_slots: int, password: str | None, name: str | None
) -> tuple[Account, str | None]:
    """Create an account; returns it and the generated password when none was given (shown once)."""
    email = account_store.normalize_email(email)
    if not _EMAIL.fullmatch(email) or len(email) > MAX_EMAIL:
        raise Invalid("email", f"'{email[:80]}' is not an email address")
    if tracker_slots < 0:
        raise Invalid("trackers", "--trackers cannot be negative")
    if password is not None and not password:
        raise Invalid("password", "--password cannot be empty")
    generated = None if password is not None else auth.new_password()
    password_hash = await asyncio.to_thread(auth.hash_password, password if password is not None else str(generated))
    async with transaction(rt.engine) as conn:
        try:
            account = await account_store.create_account(
                conn,
                email=email,
                name=name if name is not None else email.split("@")[0],
                password_hash=password_hash,
                tracker_slots=tracker_slots,
                now=rt.now(),
            )
        except account_store.EmailTaken as exc:
            raise ServiceError("email_taken", str(exc)) from exc
    return account, generated


async def list_accounts(rt: Runtime) -> list[Account]:
    async with rt.engine.connect() as conn:
        return await account_store.list_accounts(conn)


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
    forget_tokens()  # this process stops trusting it at once (other processes within tokencache.TTL)
    assert revoked is not None
    return revoked


async def list_keys(rt: Runtime, *, email: str) -> tuple[Account, list[ApiKey]]:
    account = await account_by_email(rt, email)
    async with rt.engine.connect() as conn:
        return account, await token_store.list_keys(conn, account_id=account.id)


def select_account(accounts: Sequence[Account], email: str | None) -> Account:
    """The account a command acts for: the one with `email`, or the only one there is. Otherwise say how to
    choose."""
    if email:
        wanted = account_store.normalize_email(email)
        for account in accounts:
            if account.email == wanted:
                return account
        raise ServiceError("not_found", f"no account with email {wanted} (see `roost accounts list`)")
    if not accounts:
        raise ServiceError("no_accounts", "no accounts yet: create one with `roost accounts create EMAIL --trackers N`")
    if len(accounts) == 1:
        return accounts[0]
    emails = ", ".join(a.email for a in accounts[:MAX_LISTED]) + (", ..." if len(accounts) > MAX_LISTED else "")
    raise ServiceError(
        "ambiguous_account",
        f"{len(accounts)} accounts exist ({emails}): choose one with --account EMAIL or ROOST_ACCOUNT=EMAIL",
    )


# --- an account's own API keys (the dashboard's self-service) ---------------------------------------------------

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
