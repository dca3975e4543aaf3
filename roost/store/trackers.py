"""Trackers (an account's following of one X user) and the tracker-slot balance they draw on.

Slots are counted, not derived: `accounts.tracker_slots_used` moves only through conditional UPDATEs that can
fail but never overspend (`used + n <= total`) or refund twice (a slot comes back only from the UPDATE that
actually moved a tracker from active to stopped). A CHECK constraint backs both up.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import Literal

from sqlalchemy import (
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.engine import RowMapping
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.core.domain import Snapshot, bucket_of
from roost.store import queue
from roost.store.rows import from_row
from roost.store.schema import accounts, trackers, x_users
from roost.store.sql import plain_rows

StopResult = Literal["ok", "not_found", "already_stopped"]
STOP_PROBLEMS: dict[str, str] = {"not_found": "No such tracker.", "already_stopped": "This tracker is already stopped."}
TrackerStatus = Literal["active", "stopped"]


@dataclass(frozen=True, slots=True)
class Tracker:
    id: str  # Tweet Binder's resourceId
    account_id: int
    x_user_id: int
    alias: str
    status: str
    created_at: int
    updated_at: int
    stopped_at: int | None
    archive: bool = True  # the post archive (timeline and metrics refresh) for this tracker's account

    def life(self, interval: int) -> tuple[int, int | None]:
        """Buckets the tracker may read: from the bucket it was created in to the moment it stopped (open while
        active). Snapshots are per X user; each tracker reads only this slice of them."""
        return bucket_of(self.created_at, interval), self.stopped_at

    def clip(self, start: int, end: int, interval: int) -> tuple[int, int] | None:
        """[start, end] inside the tracker's life, or None when they do not meet."""
        lo, hi = self.life(interval)
        start, end = max(start, lo), end if hi is None else min(end, hi)
        return (start, end) if start <= end else None


@dataclass(frozen=True, slots=True)
class Profile:
    """The X user's profile as the last lookup saw it (Tweet Binder's tracker `profile`)."""

    description: str | None
    profile_image_url: str | None
    location: str | None
    account_created_at: int | None


@dataclass(frozen=True, slots=True)
class TrackerView:
    """A tracker with what the list shows beside it."""

    tracker: Tracker
    username: str  # the X user's current screen name
    name: str
    user_state: str  # ok | suspended | not_found | protected
    last_error: str | None
    last_snapshot: Snapshot | None  # the newest inside the tracker's life
    tag_ids: tuple[str, ...]
    profile: Profile | None = None
    first_bucket: int | None = None  # the oldest snapshot inside the tracker's life (Tweet Binder's firstStats)


def tracker_from_row(row: RowMapping) -> Tracker:
    return from_row(Tracker, row)


# --- slots -------------------------------------------------------------------------------------------------------


async def take_slots(conn: AsyncConnection, *, account_id: int, n: int) -> bool:
    """Take `n` slots, all or none, in one conditional UPDATE. False when fewer than `n` are free."""
    if n < 0:
        raise ValueError("n cannot be negative")
    result = await conn.execute(
        update(accounts)
        .where(accounts.c.id == account_id, accounts.c.tracker_slots_used + n <= accounts.c.tracker_slots_total)
        .values(tracker_slots_used=accounts.c.tracker_slots_used + n)
    )
    return result.rowcount == 1


async def take_up_to(conn: AsyncConnection, *, account_id: int, n: int) -> int:
    """Take as many of `n` slots as are free; returns how many were taken (0 for an unknown account).

    For a request that creates several trackers, each succeeding or failing on its own. The row is locked
    first (PostgreSQL `FOR UPDATE`; on SQLite the write transaction holds the database lock), so the count read
    is still true when the conditional UPDATE runs.
    """
    if n <= 0:
        return 0
    query = (
        select(accounts.c.tracker_slots_total, accounts.c.tracker_slots_used)
        .where(accounts.c.id == account_id)
        .with_for_update()
    )
    row = (await conn.execute(query)).first()
    if row is None:
        return 0
    want = min(n, int(row[0]) - int(row[1]))
    if want <= 0:
        return 0
    if not await take_slots(conn, account_id=account_id, n=want):
        raise RuntimeError("slot row changed under its lock: run take_up_to in a write transaction")
    return want


# --- trackers ----------------------------------------------------------------------------------------------------


async def create_trackers(
    conn: AsyncConnection,
    *,
    account_id: int,
    items: Sequence[tuple[str, int]],
    now: int,
    archive: Sequence[bool] | None = None,
) -> list[Tracker]:
    """Insert one active tracker per (alias, x_user_id), in order, each archiving posts as `archive` says (all
    by default); the x_users rows must exist and the slots must already be taken in the same transaction. An
    already active tracker of the same user raises IntegrityError (the partial unique index), which rolls the
    whole transaction back."""
    archives = list(archive) if archive is not None else [True] * len(items)
    made = [
        Tracker(
            id=str(uuid.uuid4()),
            account_id=account_id,
            x_user_id=x_user_id,
            alias=alias.removeprefix("@"),
            status="active",
            created_at=now,
            updated_at=now,
            stopped_at=None,
            archive=archives[index],
        )
        for index, (alias, x_user_id) in enumerate(items)
    ]
    if made:
        await conn.execute(insert(trackers), [{name: getattr(t, name) for name in Tracker.__slots__} for t in made])
        await queue.follow(conn, x_user_ids=[t.x_user_id for t in made])
    return made


_OWNED = f"SELECT {', '.join(Tracker.__slots__)} FROM trackers WHERE id = $1 AND account_id = $2"


async def set_archive(conn: AsyncConnection, *, tracker_id: str, archive: bool, now: int) -> None:
    """Switch a tracker's post archive on or off. Switched on for an account never read, the next timeline pass
    backfills it; switched on again after a pause, it reads from where the archive stopped."""
    await conn.execute(update(trackers).where(trackers.c.id == tracker_id).values(archive=archive, updated_at=now))


async def get_owned_tracker(conn: AsyncConnection, *, account_id: int, tracker_id: str) -> Tracker | None:
    """The tracker if it exists and belongs to the account; None for unknown and foreign ids alike. A plain
    statement: every route about one tracker checks it first."""
    rows = await plain_rows(conn, _OWNED, tracker_id, account_id)
    return Tracker(*rows[0]) if rows else None


async def get_owned_trackers(conn: AsyncConnection, *, account_id: int, ids: Sequence[str]) -> list[Tracker]:
    """The account's trackers among `ids` (unknown and foreign ids are left out), in no particular order."""
    if not ids:
        return []
    query = select(trackers).where(trackers.c.id.in_(set(ids)), trackers.c.account_id == account_id)
    return [tracker_from_row(r) for r in (await conn.execute(query)).mappings()]


async def active_tracker_user_ids(
    conn: AsyncConnection, *, account_id: int, among: Collection[int] | None = None
) -> set[int]:
    """X user ids the account actively tracks; only those `among` the given ones when asked (a create checks its
    own few users without reading an account's thousands of trackers)."""
    query = select(trackers.c.x_user_id).where(trackers.c.account_id == account_id, trackers.c.status == "active")
    if among is not None:
        query = query.where(trackers.c.x_user_id.in_(set(among)))
    return set((await conn.execute(query)).scalars())


async def active_aliases(conn: AsyncConnection, *, account_id: int, among: Collection[str] | None = None) -> set[str]:
    """Lowercased aliases (as asked) and current screen names of the account's active trackers: a cheap
    "already tracking" check before any upstream lookup. With `among` (lowercased screen names, which are
    ASCII, so SQL's lower() folds them as Python does), only the trackers answering to one of them are read."""
    query = (
        select(trackers.c.alias, x_users.c.username)
        .join(x_users, x_users.c.id == trackers.c.x_user_id)
        .where(trackers.c.account_id == account_id, trackers.c.status == "active")
    )
    if among is not None:
        names = set(among)
        query = query.where(or_(func.lower(trackers.c.alias).in_(names), func.lower(x_users.c.username).in_(names)))
    return {name.lower() for row in await conn.execute(query) for name in row}


async def stop_trackers(
    conn: AsyncConnection, *, account_id: int, ids: Sequence[str], now: int
) -> list[tuple[str, StopResult]]:
    """Stop the account's trackers among `ids`; one outcome per distinct id, in request order.

    Only the UPDATE that moves a tracker from active to stopped counts, so a tracker stopped twice (even by two
    concurrent requests) gives its slot back once. Unknown and foreign ids are both `not_found`.
    """
    wanted = list(dict.fromkeys(ids))
    if not wanted:
        return []
    rows = (
        await conn.execute(
            update(trackers)
            .where(trackers.c.id.in_(wanted), trackers.c.account_id == account_id, trackers.c.status == "active")
            .values(status="stopped", stopped_at=now, updated_at=now)
            .returning(trackers.c.id, trackers.c.x_user_id)
        )
    ).all()
    stopped = {row[0] for row in rows}
    if stopped:
        # A user nobody tracks any more leaves the collector's work at once.
        await queue.sync_collect_flags(conn, x_user_ids=[row[1] for row in rows])
        await conn.execute(
            update(accounts)
            .where(accounts.c.id == account_id)
            .values(tracker_slots_used=accounts.c.tracker_slots_used - len(stopped))
        )
    rest = [i for i in wanted if i not in stopped]
    owned = {t.id for t in await get_owned_trackers(conn, account_id=account_id, ids=rest)}
    return [(i, "ok" if i in stopped else "already_stopped" if i in owned else "not_found") for i in wanted]
