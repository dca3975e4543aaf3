"""Bearer tokens: login tokens (expire after LOGIN_TTL) and operator-made API keys (optional expiry). Both are
revocable and both are stored only as a SHA-256 hash; the plaintext is returned once, at creation."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import ColumnElement, delete, insert, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.core import auth
from roost.store.accounts import Account
from roost.store.rows import from_row, stamp_if_due
from roost.store.schema import accounts, api_tokens

TOUCH_EVERY = 60  # seconds: last_used_at is a hint for operators, not worth a write on every request
_MAX_TOKEN_LENGTH = 200


@dataclass(frozen=True, slots=True)
class ApiKey:
    id: int
    account_id: int
    name: str
    created_at: int
    expires_at: int | None
    revoked_at: int | None
    last_used_at: int | None

    def is_usable(self, now: int) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


def _live(now: int) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    """The conditions of a live token or key: not revoked, and not expired at `now`."""
    return api_tokens.c.revoked_at.is_(None), or_(api_tokens.c.expires_at.is_(None), api_tokens.c.expires_at > now)


async def _issue(
    conn: AsyncConnection, *, account_id: int, kind: str, name: str, now: int, expires_at: int | None
) -> tuple[str, RowMapping]:
    token = auth.new_token()
    stmt = (
        insert(api_tokens)
        .values(
            account_id=account_id,
            token_hash=auth.token_digest(token),
            kind=kind,
            name=name,
            created_at=now,
            expires_at=expires_at,
        )
        .returning(*api_tokens.c)
    )
    return token, (await conn.execute(stmt)).mappings().one()


async def issue_login_token(
    conn: AsyncConnection, *, account_id: int, now: int, ttl: int = auth.LOGIN_TTL, origin: str = "login"
) -> tuple[str, int]:
    """A new login token for the account: (plaintext, expires_at). Call after the password was verified.
    `origin` (where the login came from: device and address) is kept in the token's name, which a login token
    has no other use for (sessions made before it was recorded are named "login")."""
    if ttl <= 0:
        raise ValueError("ttl must be positive")
    name = origin[:200]
    token, _ = await _issue(conn, account_id=account_id, kind="login", name=name, now=now, expires_at=now + ttl)
    return token, now + ttl


async def create_api_key(
    conn: AsyncConnection, *, account_id: int, name: str, now: int, expires_at: int | None = None
) -> tuple[str, ApiKey]:
    """A long-lived key for scripts: (plaintext, key). The plaintext cannot be recovered later."""
    if expires_at is not None and expires_at <= now:
        raise ValueError("an API key must expire in the future")
    token, row = await _issue(conn, account_id=account_id, kind="key", name=name, now=now, expires_at=expires_at)
    return token, from_row(ApiKey, row)


@dataclass(frozen=True, slots=True)
class Resolved:
    """Who a token belongs to, and whether its `last_used_at` is due a write (see `touch_token`)."""

    account: Account
    token_id: int
    expires_at: int | None
    needs_touch: bool


async def resolve_token(conn: AsyncConnection, *, plaintext: str, now: int) -> Resolved | None:
    """The account a bearer token belongs to, or None when it is unknown, expired or revoked (one answer for all
    three, so a caller cannot tell them apart). Reads only, so it runs on a read connection; when `needs_touch`
    says so (at most once a minute per token), record the use with `touch_token` in a write transaction."""
    if not plaintext.startswith(auth.TOKEN_PREFIX) or len(plaintext) > _MAX_TOKEN_LENGTH:
        return None
    query = (
        select(
            accounts,
            api_tokens.c.id.label("token_id"),
            api_tokens.c.expires_at.label("token_expires_at"),
            api_tokens.c.last_used_at.label("token_last_used_at"),
        )
        .join(api_tokens, api_tokens.c.account_id == accounts.c.id)
        .where(
            api_tokens.c.token_hash == auth.token_digest(plaintext),
            *_live(now),
        )
    )
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        return None
    last_used = row["token_last_used_at"]
    return Resolved(
        account=from_row(Account, row),
        token_id=row["token_id"],
        expires_at=row["token_expires_at"],
        needs_touch=last_used is None or now - last_used >= TOUCH_EVERY,
    )


async def touch_token(conn: AsyncConnection, *, token_id: int, now: int) -> bool:
    """Record a use of the token. Conditional, so concurrent requests with one token write once and never move
    `last_used_at` backwards; returns whether this call wrote."""
    return await stamp_if_due(conn, api_tokens.c.last_used_at, api_tokens.c.id == token_id, now=now, every=TOUCH_EVERY)


async def revoke_token(conn: AsyncConnection, *, token_id: int, now: int, account_id: int | None = None) -> bool:
    """Revoke a token or key by id (only the account's own when `account_id` is given). False when there is no
    such token or it was already revoked: a revocation happens once and its time is kept."""
    where = [api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None)]
    if account_id is not None:
        where.append(api_tokens.c.account_id == account_id)
    result = await conn.execute(update(api_tokens).where(*where).values(revoked_at=now))
    return result.rowcount == 1


async def revoke_plaintext(conn: AsyncConnection, *, plaintext: str, now: int) -> bool:
    """Revoke the token a client holds (logout). False when it is unknown or already revoked."""
    result = await conn.execute(
        update(api_tokens)
        .where(api_tokens.c.token_hash == auth.token_digest(plaintext), api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return result.rowcount == 1


@dataclass(frozen=True, slots=True)
class LoginSession:
    id: int
    token_hash: str
    created_at: int
    expires_at: int | None
    last_used_at: int | None
    origin: str  # "<device> · <address>", or "login" for sessions made before it was recorded


async def list_sessions(conn: AsyncConnection, *, account_id: int, now: int) -> list[LoginSession]:
    """The account's live login tokens (not revoked, not expired), newest first."""
    query = (
        select(api_tokens)
        .where(
            api_tokens.c.account_id == account_id,
            api_tokens.c.kind == "login",
            *_live(now),
        )
        .order_by(api_tokens.c.id.desc())
    )
    return [from_row(LoginSession, r, origin=r["name"]) for r in (await conn.execute(query)).mappings()]


async def revoke_session(conn: AsyncConnection, *, account_id: int | None, session_id: int, now: int) -> str | None:
    """Revoke a live login token (only the account's own when `account_id` is given); its hash, or None when
    there is no such live session."""
    where = [
        api_tokens.c.id == session_id,
        api_tokens.c.kind == "login",
        *_live(now),
    ]
    if account_id is not None:
        where.append(api_tokens.c.account_id == account_id)
    result = await conn.execute(
        update(api_tokens).where(*where).values(revoked_at=now).returning(api_tokens.c.token_hash)
    )
    revoked: str | None = result.scalar_one_or_none()
    return revoked


async def revoke_sessions(
    conn: AsyncConnection, *, account_id: int, now: int, keep_hash: str | None = None
) -> list[str]:
    """Revoke every live login token of the account but the one with `keep_hash`; the hashes revoked."""
    where = [
        api_tokens.c.account_id == account_id,
        api_tokens.c.kind == "login",
        api_tokens.c.revoked_at.is_(None),
    ]
    if keep_hash is not None:
        where.append(api_tokens.c.token_hash != keep_hash)
    result = await conn.execute(
        update(api_tokens).where(*where).values(revoked_at=now).returning(api_tokens.c.token_hash)
    )
    return list(result.scalars())


async def hash_of(conn: AsyncConnection, *, token_id: int) -> str | None:
    """The stored hash of a token or key, by id."""
    found: str | None = (
        await conn.execute(select(api_tokens.c.token_hash).where(api_tokens.c.id == token_id))
    ).scalar()
    return found


async def get_key(conn: AsyncConnection, *, token_id: int) -> ApiKey | None:
    """An API key by id (login tokens are not keys and are not returned)."""
    query = select(api_tokens).where(api_tokens.c.id == token_id, api_tokens.c.kind == "key")
    row = (await conn.execute(query)).mappings().first()
    return from_row(ApiKey, row) if row else None


async def list_keys(conn: AsyncConnection, *, account_id: int) -> list[ApiKey]:
    """The account's API keys, oldest first, revoked and expired ones included (operators audit them)."""
    query = (
        select(api_tokens)
        .where(api_tokens.c.account_id == account_id, api_tokens.c.kind == "key")
        .order_by(api_tokens.c.id)
    )
    return [from_row(ApiKey, r) for r in (await conn.execute(query)).mappings()]


async def delete_dead_tokens(conn: AsyncConnection, *, before: int, account_id: int | None = None) -> int:
    """Delete tokens that expired or were revoked before `before` (every login adds a row; this bounds them),
    only the account's own when `account_id` is given."""
    where = [or_(api_tokens.c.expires_at < before, api_tokens.c.revoked_at < before)]
    if account_id is not None:
        where.append(api_tokens.c.account_id == account_id)
    result = await conn.execute(delete(api_tokens).where(*where))
    return result.rowcount
