"""Accounts and who is calling: log in, resolve a bearer token, log out, login sessions, password changes, and the
operator's account tasks (API keys are services.keys).

The password KDF runs on a small pool of its own threads (`auth.KDF_THREADS`) and never inside a database
transaction, and at most that many password checks run at once (`Runtime.password_checks`: the others wait
holding no database connection), so a flood of logins neither blocks the event loop, nor holds SQLite's write
lock, nor empties the connection pool, nor takes the default executor's threads, and its memory (64 MiB per
argon2 run) stays bounded. Failed logins are throttled per email and per client
address (`Runtime.failed_logins_*`, settings `login_failures_*`): an attempt is counted before the KDF runs, so
concurrent guesses cannot slip past the limit, and taken back when it succeeds.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from roost.core import auth, useragent
from roost.core.text import unstorable
from roost.core.throttle import SlidingWindow
from roost.metrics import LOGINS_THROTTLED, TOKENS_REVOKED
from roost.services.errors import Invalid, NotFound, ServiceError, TooMany, Unauthorized
from roost.services.runtime import Runtime
from roost.store import accounts as account_store
from roost.store import tokens as token_store
from roost.store.accounts import Account, SlotBalance
from roost.store.db import transaction
from roost.store.migrate import current_revision, upgrade
from roost.store.tokens import LoginSession

T = TypeVar("T")

DAY = 86400
MAX_LISTED = 5  # emails named in the "which account?" message
DEAD_TOKEN_RETENTION = 30 * DAY  # revoked and expired tokens stay listable this long, then go
MAX_EMAIL = 320
MAX_PASSWORD = 1024
MIN_NEW_PASSWORD = 8


def _background_priority() -> None:
    """KDF threads yield the CPU to request handling (Linux: a thread's nice value is its own, and argon2's lane
    threads inherit it), so a login flood slows logins, not reads."""
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, 0, 10)


_kdf_pool = ThreadPoolExecutor(
    max_workers=auth.KDF_THREADS, thread_name_prefix="roost-kdf", initializer=_background_priority
)
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")


@dataclass(frozen=True)
class LoginToken:
    token: str
    expires_at: int
    account: Account


def _bad_credentials() -> Unauthorized:
    # One answer whether the email exists or not.
    return Unauthorized("invalid_credentials", "Wrong email or password.")


async def _kdf(fn: Callable[..., T], *args: object) -> T:
    return await asyncio.get_running_loop().run_in_executor(_kdf_pool, fn, *args)


@dataclass
class _Attempt:
    """A login attempt counted against its email and client address until it turns out to succeed."""

    keys: list[tuple[SlidingWindow, str]]  # (counter, key)
    at: int

    def succeeded(self) -> None:
        for counter, key in self.keys:
            counter.release(key, self.at)


def _attempt(rt: Runtime, email: str, address: str | None) -> _Attempt:
    """Count a password check for the email and the address, or refuse it with 429 when either had too many
    failures in the window. The same answer whether the email has an account or not."""
    now = rt.now()
    keys = [(rt.failed_logins_by_email, account_store.normalize_email(email)[: MAX_EMAIL + 1])]
    if address:
        keys.append((rt.failed_logins_by_address, address))
    waits = [w for counter, key in keys if (w := counter.retry_after(key, now)) is not None]
    if waits:
        wait = max(waits)
        LOGINS_THROTTLED.inc()
        raise TooMany("too_many_attempts", f"Too many failed logins; try again in {wait} seconds.", retry_after=wait)
    for counter, key in keys:
        counter.reserve(key, now)
    return _Attempt(keys, now)


async def log_in(
    rt: Runtime, *, email: str, password: str, address: str | None = None, user_agent: str | None = None
) -> LoginToken:
    """Check the password and issue a login token. Unknown emails cost the same time as known ones. `address` is
    the client's (failures are throttled per email and per address: TooMany with a retry_after); it and the
    summarised `user_agent` are recorded with the session, so its owner can tell their devices apart."""
    attempt = _attempt(rt, email, address)
    if len(email) > MAX_EMAIL or len(password) > MAX_PASSWORD:
        raise _bad_credentials()
    async with rt.password_checks:
        async with rt.engine.connect() as conn:
            account = await account_store.get_account_by_email(conn, email=email)
        stored = account.password_hash if account is not None else None
        matched = await _kdf(auth.verify_password, stored, password)
    if account is None or not matched:
        raise _bad_credentials()
    attempt.succeeded()
    rehashed = None
    if auth.needs_rehash(account.password_hash):
        rehashed = await _kdf(auth.hash_password, password)
    now = rt.now()
    async with transaction(rt.engine) as conn:
        origin = f"{useragent.summarise(user_agent)} · {address or 'unknown address'}"
        token, expires_at = await token_store.issue_login_token(conn, account_id=account.id, now=now, origin=origin)
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
    tokens = rt.tokens
    cached = tokens.get(database, digest, clock_now)
    if cached is not None:
        return cached
    # Requests with the same token that miss together (a server's first second, each TTL's end) share one lookup,
    # unless a revocation came since it began.
    key = (asyncio.get_running_loop(), database, digest)
    lookups = tokens.lookups
    lookup = lookups.get(key)
    if lookup is None or lookup.generation != tokens.generation:
        task = asyncio.ensure_future(_look_up(rt, token, digest, clock_now))
        lookup = lookups[key] = _Lookup(tokens.generation, task)
        lookup.task.add_done_callback(lambda _: lookups.pop(key) if lookups.get(key) is lookup else None)
    # A client leaving does not cancel the others' lookup.
    resolved: token_store.Resolved | None = await asyncio.shield(lookup.task)
    if resolved is None or (resolved.expires_at is not None and resolved.expires_at <= int(clock_now)):
        raise Unauthorized("unauthorized", "This token is unknown, expired or revoked.")
    return resolved.account


@dataclass(frozen=True, slots=True)
class _Lookup:
    generation: int  # the token cache's generation when it began
    task: asyncio.Future[token_store.Resolved | None]


async def _look_up(rt: Runtime, token: str, digest: str, clock_now: float) -> token_store.Resolved | None:
    """The token as the database knows it now, cached (and its use recorded at most once a minute) if valid."""
    generation, now = rt.tokens.generation, int(clock_now)
    async with rt.engine.connect() as conn:
        resolved = await token_store.resolve_token(conn, plaintext=token, now=now)
    if resolved is None:
        return None
    if resolved.needs_touch:
        async with transaction(rt.engine) as conn:
            await token_store.touch_token(conn, token_id=resolved.token_id, now=now)
    rt.tokens.put(
        rt.settings.database_url,
        digest,
        account=resolved.account,
        expires_at=resolved.expires_at,
        now=clock_now,
        generation=generation,
    )
    return resolved


async def log_out(rt: Runtime, token: str) -> bool:
    """Revoke the token a client holds; False when it was unknown or already revoked."""
    async with transaction(rt.engine) as conn:
        revoked = await token_store.revoke_plaintext(conn, plaintext=token, now=rt.now())
    if revoked:
        revoked_tokens(rt, [auth.token_digest(token)])
    return revoked


def revoked_tokens(rt: Runtime, token_hashes: Iterable[str]) -> None:
    """Every revocation in this module (logout, a session, all sessions on a password change, an API key) ends
    here with the hashes it revoked: this process's token cache forgets at once (other processes within
    `tokencache.TTL`), and the revocations are counted for /metrics."""
    count = sum(1 for _ in token_hashes)
    if count:
        rt.tokens.forget()
    TOKENS_REVOKED.inc(count)


# --- login sessions and passwords -----------------------------------------------------------------------------


async def sessions(rt: Runtime, account: Account, *, current: str | None = None) -> list[tuple[LoginSession, bool]]:
    """The account's live login sessions, newest first, each with whether it is the token `current`."""
    async with rt.engine.connect() as conn:
        found = await token_store.list_sessions(conn, account_id=account.id, now=rt.now())
    mine = auth.token_digest(current) if current else None
    return [(s, s.token_hash == mine) for s in found]


async def revoke_session(rt: Runtime, account: Account, session_id: int) -> None:
    """Log out one of the account's sessions (another device's, or this one). NotFound when it is not a live
    session of this account."""
    async with transaction(rt.engine) as conn:
        revoked = await token_store.revoke_session(conn, account_id=account.id, session_id=session_id, now=rt.now())
    if revoked is None:
        raise NotFound("session")
    revoked_tokens(rt, [revoked])


async def revoke_other_sessions(rt: Runtime, account: Account, *, keep_token: str) -> int:
    """Log out every login session of the account but the caller's (`keep_token`); how many were."""
    async with transaction(rt.engine) as conn:
        revoked = await token_store.revoke_sessions(
            conn, account_id=account.id, now=rt.now(), keep_hash=auth.token_digest(keep_token)
        )
    revoked_tokens(rt, revoked)
    return len(revoked)


def _check_new_password(password: str, field: str) -> None:
    if not MIN_NEW_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise Invalid(field, f"A password must have {MIN_NEW_PASSWORD} to {MAX_PASSWORD} characters.")
    problem = unstorable(password)
    if problem is not None:
        raise Invalid(field, f"The password {problem}.")


async def change_password(
    rt: Runtime, account: Account, *, current: str, new: str, keep_token: str | None, address: str | None = None
) -> int:
    """Change the password after checking the current one (a wrong one counts as a failed login); every other
    login session of the account is logged out (`keep_token`, the caller's, stays). Returns how many were."""
    _check_new_password(new, "newPassword")
    attempt = _attempt(rt, account.email, address)
    async with rt.password_checks:
        async with rt.engine.connect() as conn:
            fresh = await account_store.get_account_by_email(conn, email=account.email)
        if fresh is None:
            raise NotFound("account")
        matched = len(current) <= MAX_PASSWORD and await _kdf(auth.verify_password, fresh.password_hash, current)
    if not matched:
        raise Invalid("currentPassword", "The current password is wrong.")
    attempt.succeeded()
    return await _set_password(rt, fresh, new, keep=auth.token_digest(keep_token) if keep_token else None)


async def _set_password(rt: Runtime, account: Account, password: str, *, keep: str | None) -> int:
    password_hash = await _kdf(auth.hash_password, password)
    now = rt.now()
    async with transaction(rt.engine) as conn:
        await account_store.set_password_hash(conn, account_id=account.id, password_hash=password_hash, now=now)
        revoked = await token_store.revoke_sessions(conn, account_id=account.id, now=now, keep_hash=keep)
    revoked_tokens(rt, revoked)
    return len(revoked)


async def reset_password(rt: Runtime, *, email: str, password: str | None) -> tuple[Account, str | None, int]:
    """The operator sets an account's password (generated when None, shown once) and logs out all its sessions:
    (account, generated password or None, sessions logged out)."""
    if password is not None:
        _check_new_password(password, "password")
    account = await account_by_email(rt, email)
    generated = None if password is not None else auth.new_password()
    revoked = await _set_password(rt, account, password if password is not None else str(generated), keep=None)
    return account, generated, revoked


async def sessions_of(rt: Runtime, *, email: str) -> tuple[Account, list[LoginSession]]:
    """An account's live login sessions, for the operator."""
    account = await account_by_email(rt, email)
    return account, [s for s, _ in await sessions(rt, account)]


async def revoke_session_by_id(rt: Runtime, *, session_id: int) -> None:
    """The operator logs out one session by id, whoever's it is."""
    async with transaction(rt.engine) as conn:
        revoked = await token_store.revoke_session(conn, account_id=None, session_id=session_id, now=rt.now())
    if revoked is None:
        raise ServiceError("not_found", f"no live login session with id {session_id}")
    revoked_tokens(rt, [revoked])


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
    password_hash = await _kdf(auth.hash_password, password if password is not None else str(generated))
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
