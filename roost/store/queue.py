"""The collection queue: every change to the columns of `x_users` that say what the collector does next.

This module is the only writer of those columns (as a job queue's manager is the only writer of job state):

- `collect`: an active tracker follows the user (`follow`, `sync_collect_flags`);
- `last_bucket`: the last snapshot bucket collected (`advance_bucket`, `mark_collected`);
- the snapshot lease `lease_owner`/`lease_until` (`claim_due_users`, `mark_collected`, `release_users`);
- the timeline lease `timeline_lease_owner`/`timeline_lease_until` and the timeline cursor `newest_post_id`/
  `tweet_count_seen` (`claim_timeline_users`, `finish_timeline`, `release_timeline`, `set_timeline_cursor`,
  `lower_seen_counts`).

One lease protocol serves both passes (`Lease`): a claim leases up to `limit` due rows to an owner until
`now + lease_seconds` in one statement on both databases,
`UPDATE x_users SET lease... WHERE id IN (SELECT ... LIMIT n [FOR UPDATE SKIP LOCKED]) RETURNING ...`;
the owner then ends its lease by recording the work done, or gives it back untouched. A lease that runs out (a
worker died) makes the row claimable again; doing the work twice is harmless anyway (snapshots upsert on
(x_user_id, bucket), posts on their id). On PostgreSQL claimers of a pass take turns on an advisory lock of
their own (`roost.store.locks`) and SKIP LOCKED lets them pass over rows another transaction holds; on SQLite
the write transaction (BEGIN IMMEDIATE) already makes claimers take turns. The two passes keep separate leases
(a snapshot lease is per bucket, a timeline read is not), so a user can be in both at once.

Claim in a short transaction of its own and commit at once, then call X, then record or release: holding the
claim's transaction open during a request would block every other worker.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Column, ColumnElement, and_, case, exists, func, or_, select, update
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.store import locks
from roost.store.schema import snapshots, trackers, x_users
from roost.store.xusers import XUserRow, xuser_from_row

CLAIM_LIMIT = 100  # X API v2 looks up at most 100 users per request


# ---- the lease protocol -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Lease:
    """One kind of lease on `x_users` rows: its two columns and the advisory lock its claimers take turns on."""

    owner: Column[Any]
    until: Column[Any]
    lock_key: int

    def free(self, now: int) -> ColumnElement[bool]:
        """No live lease: never taken, ended, or run out before `now` (a lease still runs at its last second)."""
        return or_(self.until.is_(None), self.until < now)

    def taken(self, owner: str, until: int) -> dict[str, Any]:
        return {self.owner.key: owner, self.until.key: until}

    def ended(self) -> dict[str, Any]:
        return {self.owner.key: None, self.until.key: None}


SNAPSHOT_LEASE = Lease(x_users.c.lease_owner, x_users.c.lease_until, locks.SNAPSHOT_CLAIMS)
TIMELINE_LEASE = Lease(x_users.c.timeline_lease_owner, x_users.c.timeline_lease_until, locks.TIMELINE_CLAIMS)


async def _claim(
    conn: AsyncConnection,
    lease: Lease,
    *,
    due: ColumnElement[bool],
    order_by: Sequence[ColumnElement[Any]],
    returning: Sequence[ColumnElement[Any]],
    now: int,
    owner: str,
    lease_seconds: int,
    limit: int,
) -> Sequence[RowMapping]:
    """Lease up to `limit` rows that are `due` and free, first in `order_by`, to `owner`; their `returning`."""
    if limit <= 0:
        return []
    if conn.dialect.name == "postgresql":
        # Claims take turns (for the few milliseconds a claim lasts), so each one sees the leases committed before
        # it and takes a full batch: with SKIP LOCKED alone, racing claimers can come back short, and a short batch
        # costs an extra upstream request.
        await conn.execute(select(func.pg_advisory_xact_lock(lease.lock_key)))
    picked = (
        select(x_users.c.id)
        .where(due, lease.free(now))
        .order_by(*order_by)
        .limit(limit)
        .with_for_update(skip_locked=True, of=x_users)  # PostgreSQL only; SQLite renders no locking clause
        .scalar_subquery()
    )
    stmt = (
        update(x_users)
        .where(x_users.c.id.in_(picked))
        .values(**lease.taken(owner, now + lease_seconds))
        .returning(*returning)
    )
    return (await conn.execute(stmt)).mappings().all()


async def _end(conn: AsyncConnection, lease: Lease, *, x_user_ids: Sequence[int], owner: str, **values: Any) -> int:
    """End `owner`'s leases on these rows, setting `values` with them (nothing: a plain release). Rows whose
    lease another worker has since taken over are left to that worker. Returns how many rows changed."""
    if not x_user_ids:
        return 0
    result = await conn.execute(
        update(x_users).where(x_users.c.id.in_(set(x_user_ids)), lease.owner == owner).values(**lease.ended(), **values)
    )
    return result.rowcount


# ---- who is followed --------------------------------------------------------------------------------------------


async def follow(conn: AsyncConnection, *, x_user_ids: Sequence[int]) -> None:
    """Trackers were just created for these users: the collector's claims look only at users with `collect` set."""
    if x_user_ids:
        await conn.execute(update(x_users).where(x_users.c.id.in_(set(x_user_ids))).values(collect=True))


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


# ---- the snapshot pass ------------------------------------------------------------------------------------------


def _due(*, bucket: int, now: int) -> ColumnElement[bool]:
    """Followed by an active tracker, not collected in `bucket`, and under no live lease. The first two are a
    range of ix_x_users_due, read in (last_bucket, id) order: a claim touches about the rows it returns."""
    return and_(_unsnapped(bucket), SNAPSHOT_LEASE.free(now))


def _unsnapped(bucket: int) -> ColumnElement[bool]:
    return and_(x_users.c.collect.is_(True), x_users.c.last_bucket < bucket)


async def claim_due_users(
    conn: AsyncConnection, *, bucket: int, now: int, owner: str, lease_seconds: int, limit: int = CLAIM_LIMIT
) -> list[XUserRow]:
    """Lease up to `limit` users due in `bucket` to `owner` until `now + lease_seconds`; returns them by id.
    Users waiting longest (a missed bucket) come first. Then `mark_collected` or `release_users`."""
    rows = await _claim(
        conn,
        SNAPSHOT_LEASE,
        due=_unsnapped(bucket),
        order_by=(x_users.c.collect, x_users.c.last_bucket, x_users.c.id),  # the index order: no sort
        returning=tuple(x_users.c),
        now=now,
        owner=owner,
        lease_seconds=lease_seconds,
        limit=limit,
    )
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
    return await _end(conn, SNAPSHOT_LEASE, x_user_ids=x_user_ids, owner=owner, last_bucket=bucket, updated_at=now)


async def release_users(conn: AsyncConnection, *, x_user_ids: Sequence[int], owner: str) -> int:
    """Give up `owner`'s leases without marking the users collected (the lookup failed; retry them soon)."""
    return await _end(conn, SNAPSHOT_LEASE, x_user_ids=x_user_ids, owner=owner)


async def advance_bucket(conn: AsyncConnection, *, x_user_ids: Sequence[int], bucket: int) -> int:
    """A lookup outside a claim (a tracker being created) is `bucket`'s snapshot of these users: the collector
    need not fetch the bucket again. `last_bucket` only ever moves forward. Returns how many rows moved."""
    if not x_user_ids or bucket <= 0:
        return 0
    result = await conn.execute(
        update(x_users)
        .where(x_users.c.id.in_(set(x_user_ids)), x_users.c.last_bucket < bucket)
        .values(last_bucket=bucket)
    )
    return result.rowcount


# ---- the timeline pass ------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TimelineDue:
    """A user whose timeline needs reading: never read (a backfill), or its tweet_count rose since."""

    id: int
    newest_post_id: int | None
    tweet_count_seen: int | None
    tweet_count: int  # from the latest snapshot
    account_created_at: int | None = None  # when the X account was made (its posting rate: the budget's projection)


def _latest_count() -> Any:
    """The tweet_count of the user's latest snapshot (the one of `last_bucket`)."""
    latest = and_(snapshots.c.x_user_id == x_users.c.id, snapshots.c.bucket == x_users.c.last_bucket)
    return select(snapshots.c.tweets).where(latest).scalar_subquery()


async def claim_timeline_users(
    conn: AsyncConnection, *, now: int, owner: str, lease_seconds: int, limit: int, backfills: bool = True
) -> list[TimelineDue]:
    """Lease up to `limit` users whose timeline is due: followed by an active tracker that archives posts,
    readable (state ok), and either never read or with a tweet_count above the one last read. A quiet account is
    never claimed, so it costs no request. Without `backfills` (the budget cut them), users never read are left
    out. Then `finish_timeline` or `release_timeline`."""
    count = _latest_count()
    unread = x_users.c.tweet_count_seen.is_(None)
    rose = count > x_users.c.tweet_count_seen
    rows = await _claim(
        conn,
        TIMELINE_LEASE,
        due=and_(
            x_users.c.state == "ok",
            x_users.c.last_bucket > 0,
            or_(unread, rose) if backfills else rose,
            x_users.c.collect.is_(True),
            exists().where(
                trackers.c.x_user_id == x_users.c.id, trackers.c.status == "active", trackers.c.archive.is_(True)
            ),
        ),
        order_by=(x_users.c.id,),
        returning=(
            x_users.c.id,
            x_users.c.newest_post_id,
            x_users.c.tweet_count_seen,
            count.label("tweet_count"),
            x_users.c.account_created_at,
        ),
        now=now,
        owner=owner,
        lease_seconds=lease_seconds,
        limit=limit,
    )
    found = (
        TimelineDue(
            int(r["id"]),
            r["newest_post_id"],
            r["tweet_count_seen"],
            int(r["tweet_count"] or 0),
            r["account_created_at"],
        )
        for r in rows
    )
    return sorted(found, key=lambda u: u.id)


def _cursor(*, newest_post_id: int | None, tweet_count_seen: int | None) -> dict[str, Any]:
    """The timeline cursor's new values: the newest archived post (the next `since_id`; it never moves back) and
    the `tweet_count` it was read at (a later lookup with the same count means no timeline request is needed)."""
    values: dict[str, Any] = {}
    if newest_post_id is not None:
        old = x_users.c.newest_post_id
        values["newest_post_id"] = case(
            (old.is_(None), newest_post_id), (old < newest_post_id, newest_post_id), else_=old
        )
    if tweet_count_seen is not None:
        values["tweet_count_seen"] = tweet_count_seen
    return values


async def finish_timeline(
    conn: AsyncConnection, *, x_user_id: int, newest_post_id: int | None, tweet_count_seen: int, now: int
) -> None:
    """After a complete read: the cursor and the end of the lease. Whoever read it (a `roost backfill` holds no
    lease), the cursor is right, so any lease on the row ends."""
    values = _cursor(newest_post_id=newest_post_id, tweet_count_seen=tweet_count_seen)
    await conn.execute(
        update(x_users).where(x_users.c.id == x_user_id).values(**values, **TIMELINE_LEASE.ended(), updated_at=now)
    )


async def release_timeline(conn: AsyncConnection, *, x_user_ids: Sequence[int], owner: str) -> int:
    """Give the leases back without moving any cursor (the read failed: the next pass tries again)."""
    return await _end(conn, TIMELINE_LEASE, x_user_ids=x_user_ids, owner=owner)


async def set_timeline_cursor(
    conn: AsyncConnection, *, x_user_id: int, newest_post_id: int | None, tweet_count_seen: int | None, now: int
) -> None:
    """Move the cursor (see `_cursor`) without touching any lease."""
    values = _cursor(newest_post_id=newest_post_id, tweet_count_seen=tweet_count_seen)
    await conn.execute(update(x_users).where(x_users.c.id == x_user_id).values(**values, updated_at=now))


async def lower_seen_counts(conn: AsyncConnection) -> int:
    """A tweet_count that fell (the account deleted posts) becomes the new mark, so the next post makes it rise
    again; otherwise a deletion followed by a post would look quiet."""
    count = _latest_count()
    result = await conn.execute(
        update(x_users)
        .where(
            x_users.c.tweet_count_seen.is_not(None),
            x_users.c.last_bucket > 0,
            count < x_users.c.tweet_count_seen,
        )
        .values(tweet_count_seen=count)
    )
    return result.rowcount
