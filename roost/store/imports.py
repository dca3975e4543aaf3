"""Writing imported history: X users and trackers as another service knew them, snapshots marked `imported_at`, and
the import cursors. Imported rows never replace collected ones: a bucket Roost already holds keeps its row."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.store import queue
from roost.store.schema import import_cursors, snapshots, trackers, x_users
from roost.store.sql import dialect_insert
from roost.store.trackers import Tracker, tracker_from_row


async def ensure_x_user(conn: AsyncConnection, *, user: dict[str, Any], now: int) -> None:
    """Insert the X user (keys: x_users columns) unless Roost knows it already (its own lookups are fresher)."""
    row = {"created_at": now, "updated_at": now, "collect": False, **user}
    await conn.execute(dialect_insert(conn, x_users).values(row).on_conflict_do_nothing(index_elements=["id"]))


async def tracker_by_id(conn: AsyncConnection, *, tracker_id: str) -> Tracker | None:
    row = (await conn.execute(select(trackers).where(trackers.c.id == tracker_id))).mappings().first()
    return None if row is None else tracker_from_row(row)


async def matching_tracker(
    conn: AsyncConnection, *, account_id: int, x_user_id: int, active: bool, created_at: int
) -> Tracker | None:
    """The account's tracker an imported one is the same as: its active tracker of that X user (for an active one),
    or a stopped tracker of that X user created at the same moment (an earlier import of a stopped one)."""
    query = select(trackers).where(trackers.c.account_id == account_id, trackers.c.x_user_id == x_user_id)
    if active:
        query = query.where(trackers.c.status == "active")
    else:
        query = query.where(trackers.c.status == "stopped", trackers.c.created_at == created_at)
    row = (await conn.execute(query.limit(1))).mappings().first()
    return None if row is None else tracker_from_row(row)


async def insert_tracker(conn: AsyncConnection, tracker: Tracker) -> None:
    """An imported tracker with its own times (slots, for an active one, are taken by the caller)."""
    await conn.execute(insert(trackers).values({name: getattr(tracker, name) for name in Tracker.__slots__}))
    if tracker.status == "active":
        await queue.follow(conn, x_user_ids=[tracker.x_user_id])


async def reach_back(conn: AsyncConnection, *, tracker_id: str, created_at: int) -> None:
    """Move a tracker's start back to `created_at` (never forward), so the history imported into it is inside its
    life: the tracker began earlier, on the other service."""
    await conn.execute(
        update(trackers)
        .where(trackers.c.id == tracker_id, trackers.c.created_at > created_at)
        .values(created_at=created_at)
    )


async def insert_snapshots(conn: AsyncConnection, *, rows: Sequence[dict[str, Any]]) -> int:
    """Insert snapshots (keys: snapshot columns) where Roost has none for that X user and bucket; returns how many
    were added."""
    if not rows:
        return 0
    stmt = dialect_insert(conn, snapshots).on_conflict_do_nothing(index_elements=["x_user_id", "bucket"])
    result = await conn.execute(stmt.returning(snapshots.c.bucket), list(rows))
    return len(result.all())


async def get_cursor(
    conn: AsyncConnection, *, account_id: int, source: str, remote_id: str
) -> tuple[str, int | None] | None:
    """(Roost tracker id, newest bucket imported) of an upstream tracker imported before, or None."""
    row = (
        await conn.execute(
            select(import_cursors.c.tracker_id, import_cursors.c.last_bucket).where(
                import_cursors.c.account_id == account_id,
                import_cursors.c.source == source,
                import_cursors.c.remote_id == remote_id,
            )
        )
    ).first()
    return None if row is None else (str(row[0]), None if row[1] is None else int(row[1]))


async def save_cursor(
    conn: AsyncConnection, *, account_id: int, source: str, remote_id: str, tracker_id: str, last: int | None, now: int
) -> None:
    stmt = dialect_insert(conn, import_cursors).values(
        account_id=account_id, source=source, remote_id=remote_id, tracker_id=tracker_id, last_bucket=last,
        updated_at=now,
    )  # fmt: skip
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["account_id", "source", "remote_id"],
            set_={"tracker_id": tracker_id, "last_bucket": last, "updated_at": now},
        )
    )


async def imported_summary(conn: AsyncConnection, *, x_user_id: int, lo: int, hi: int | None) -> tuple[int, int, int]:
    """(count, first bucket, last bucket) of the imported snapshots of an X user within [lo, hi]; count 0 if none."""
    query = select(func.count(), func.min(snapshots.c.bucket), func.max(snapshots.c.bucket)).where(
        snapshots.c.x_user_id == x_user_id, snapshots.c.imported_at.is_not(None), snapshots.c.bucket >= lo
    )
    if hi is not None:
        query = query.where(snapshots.c.bucket <= hi)
    n, first, last = (await conn.execute(query)).one()
    return int(n), int(first or 0), int(last or 0)


async def imported_buckets(conn: AsyncConnection, *, x_user_id: int, lo: int, hi: int | None) -> set[int]:
    """The buckets of an X user's imported snapshots within [lo, hi]."""
    query = select(snapshots.c.bucket).where(
        snapshots.c.x_user_id == x_user_id, snapshots.c.imported_at.is_not(None), snapshots.c.bucket >= lo
    )
    if hi is not None:
        query = query.where(snapshots.c.bucket <= hi)
    return {int(b) for b in (await conn.execute(query)).scalars()}
