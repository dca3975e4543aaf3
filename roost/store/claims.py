"""Collector work claims: which X users a worker snapshots next, under a lease, so several workers can share
one database without collecting the same user twice.

A user is due in a bucket when it has not been collected in that bucket yet, no live lease covers it, and at least
one active tracker still follows it; users waiting longest (a missed bucket) come first. Claiming is one statement
on both databases:
`UPDATE x_users SET lease... WHERE id IN (SELECT ... LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING ...`.
On PostgreSQL, SKIP LOCKED lets concurrent claimers pass over each other's rows instead of queueing; on SQLite
the write transaction (BEGIN IMMEDIATE) already makes claimers take turns. A lease that runs out (a worker died)
makes the user claimable again; a double collection is harmless anyway, since snapshots upsert on
(x_user_id, bucket).
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import ColumnElement, and_, exists, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.store.schema import trackers, x_users
from roost.store.xusers import XUserRow, xuser_from_row

CLAIM_LIMIT = 100
CLAIM_LOCK_KEY = 0x526F6F7374  # "Roost"  # X API v2 looks up at most 100 users per request


def _due(*, bucket: int, now: int) -> ColumnElement[bool]:
    """Followed by an active tracker, not collected in `bucket`, and under no live lease. The first two are a
    range of ix_x_users_due, read in (last_bucket, id) order: a claim touches about the rows it returns."""
    return and_(
        x_users.c.collect.is_(True),
        x_users.c.last_bucket < bucket,
        or_(x_users.c.lease_until.is_(None), x_users.c.lease_until < now),
    )


async def sync_collect_flags(conn: AsyncConnection, *, x_user_ids: Sequence[int] | None = None) -> int:
    """Make `x_users.collect` say whether an active tracker follows each user (all users, or only these).

    Stopping trackers clears the flag at once; each snapshot pass also runs this over every user, so a flag a
    concurrent create and stop left wrong is right again within a bucket. Returns how many flags changed."""
    followed = exists().where(trackers.c.x_user_id == x_users.c.id, trackers.c.status == "active")
    stmt = update(x_users).where(x_users.c.collect.is_distinct_from(followed)).values(collect=followed)
    if x_user_ids is not None:
        if not x_user_ids:
            return 0
        stmt = stmt.where(x_users.c.id.in_(set(x_user_ids)))
    return (await conn.execute(stmt)).rowcount


async def claim_due_users(
    conn: AsyncConnection, *, bucket: int, now: int, owner: str, lease_seconds: int, limit: int = CLAIM_LIMIT
) -> list[XUserRow]:
    """Lease up to `limit` due users to `owner` until `now + lease_seconds`; returns them by id.

    Commit right away (claim in its own short transaction), then collect, then `mark_collected` or
    `release_users`. Holding the claim's transaction open while calling the X API would block other workers.
    """
    if limit <= 0:
        return []
    if conn.dialect.name == "postgresql":
        # Claims take turns (for the few milliseconds a claim lasts), so each one sees the leases committed before
        # it and takes a full batch: with SKIP LOCKED alone, racing claimers can come back short, and a short batch
        # costs an extra upstream request.
        await conn.execute(select(func.pg_advisory_xact_lock(CLAIM_LOCK_KEY)))
    picked = (
        select(x_users.c.id)
        .where(_due(bucket=bucket, now=now))
        .order_by(x_users.c.collect, x_users.c.last_bucket, x_users.c.id)  # the index order: no sort
        .limit(limit)
        .with_for_update(skip_locked=True, of=x_users)  # PostgreSQL only; SQLite renders no locking clause
        .scalar_subquery()
    )
    stmt = (
        update(x_users)
        .where(x_users.c.id.in_(picked))
        .values(lease_owner=owner, lease_until=now + lease_seconds)
        .returning(*x_users.c)
    )
    rows = (await conn.execute(stmt)).mappings().all()
    return sorted((xuser_from_row(r) for r in rows), key=lambda u: u.id)


async def count_due_users(conn: AsyncConnection, *, bucket: int, now: int) -> int:
    """How many users are still due in `bucket` (collection lag, /healthz)."""
    query = select(func.count()).select_from(x_users).where(_due(bucket=bucket, now=now))
    return int((await conn.execute(query)).scalar_one())


async def mark_gaps(conn: AsyncConnection, *, bucket: int, bucket_end: int, error: str) -> int:
    """Record, once, that the users still due when `bucket` closed missed it: their `last_error` says so (the
    tracker shows it) until a later lookup succeeds. Returns how many users missed the bucket; a second call for
    the same bucket (another worker) finds them already marked and returns 0."""
    result = await conn.execute(
        update(x_users)
        .where(
            _due(bucket=bucket, now=bucket_end),
            or_(x_users.c.last_error_at.is_(None), x_users.c.last_error_at < bucket_end),
        )
        .values(last_error=error, last_error_at=bucket_end)
    )
    return result.rowcount


async def mark_collected(conn: AsyncConnection, *, x_user_ids: Sequence[int], owner: str, bucket: int, now: int) -> int:
    """Record that `owner` collected these users in `bucket` and end its leases. Rows whose lease another worker
    has since taken over are left to that worker. Returns how many rows were marked."""
    if not x_user_ids:
        return 0
    result = await conn.execute(
        update(x_users)
        .where(x_users.c.id.in_(set(x_user_ids)), x_users.c.lease_owner == owner)
        .values(last_bucket=bucket, lease_owner=None, lease_until=None, updated_at=now)
    )
    return result.rowcount


async def release_users(conn: AsyncConnection, *, x_user_ids: Sequence[int], owner: str) -> int:
    """Give up `owner`'s leases without marking the users collected (the lookup failed; retry them soon)."""
    if not x_user_ids:
        return 0
    result = await conn.execute(
        update(x_users)
        .where(x_users.c.id.in_(set(x_user_ids)), x_users.c.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )
    return result.rowcount
