"""The meter's ledger: one row per billable resource and UTC day (`x_usage`), written by the first read of the day
and never again that day, the way X charges; and the sums the usage surfaces show.

Deduplication lives in the primary key (day, resource, resource_id) with INSERT ... ON CONFLICT DO NOTHING, so it
holds across every worker process on both databases; RETURNING says which rows were new, i.e. what this read cost.
Sums are counts of resources (users, posts); pricing is the caller's (services), from the price table.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import ColumnElement, and_, func, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.core.metering import DAY, Billable, Receipt, day_start
from roost.store.schema import trackers, x_usage
from roost.store.sql import chunks, dialect_insert

Grouping = Literal["day", "endpoint", "purpose", "x_user"]


@dataclass(frozen=True, slots=True)
class UsageRow:
    """Billable resources charged under one key (a day, an endpoint, a purpose, an X user, a tracker, an
    account): `users` user reads and `posts` post reads."""

    key: str | int
    users: int
    posts: int


async def record_reads(conn: AsyncConnection, *, receipt: Receipt) -> list[Billable]:
    """Keep a successful answer's resources; returns those charged now (not yet read this UTC day)."""
    day = day_start(receipt.at)
    unique = {(item.kind, item.id): item for item in receipt.items}
    if not unique:
        return []
    # In key order: two workers charging overlapping resources lock them in the same order (no deadlock).
    rows = [
        {
            "day": day,
            "resource": kind,
            "resource_id": rid,
            "endpoint": receipt.endpoint,
            "purpose": receipt.purpose,
            "x_user_id": unique[(kind, rid)].x_user,
            "read_at": int(receipt.at),
        }
        for kind, rid in sorted(unique)
    ]
    stmt = _INSERTS.get(conn.dialect.name)
    if stmt is None:
        stmt = _INSERTS[conn.dialect.name] = _insert_statement(conn)
    # One statement built once and run with a list of rows: SQLAlchemy compiles it once and sends the rows as
    # multi-row VALUES pages ("insertmanyvalues"), with RETURNING; a `.values(rows)` statement was compiled anew
    # for every answer, which cost more than the database's own work.
    result = await conn.execute(stmt, rows)
    return [unique[(kind, rid)] for kind, rid in result]


def _insert_statement(conn: AsyncConnection) -> Any:
    stmt = dialect_insert(conn, x_usage).on_conflict_do_nothing()
    return stmt.returning(x_usage.c.resource, x_usage.c.resource_id)


_INSERTS: dict[str, Any] = {}


async def charged_ids(conn: AsyncConnection, *, day: int, resource: str, ids: Sequence[int]) -> set[int]:
    """Which of these resources were already charged on `day` (reading them again that day is free)."""
    found: set[int] = set()
    for batch in chunks(list(ids), 500):
        query = select(x_usage.c.resource_id).where(
            x_usage.c.day == day, x_usage.c.resource == resource, x_usage.c.resource_id.in_(batch)
        )
        found.update(int(rid) for rid in (await conn.execute(query)).scalars())
    return found


async def first_day(conn: AsyncConnection, *, start_day: int, end_day: int) -> int | None:
    """The earliest day from `start_day` up to (not including) `end_day` with anything charged (None: nothing)."""
    query = select(func.min(x_usage.c.day)).where(x_usage.c.day >= start_day, x_usage.c.day < end_day)
    found = await conn.scalar(query)
    return None if found is None else int(found)


def _counts() -> tuple[ColumnElement[int], ColumnElement[int]]:
    users = func.count().filter(x_usage.c.resource == "user")
    posts = func.count().filter(x_usage.c.resource == "post")
    return users.label("users"), posts.label("posts")


async def totals(
    conn: AsyncConnection,
    *,
    start_day: int,
    end_day: int,
    by: Grouping | None = None,
    x_user_ids: Sequence[int] | None = None,
) -> list[UsageRow]:
    """Resources charged from `start_day` up to (not including) `end_day`, grouped `by` one column (None: one
    row, key "total"), optionally only those of some X users."""
    where = [x_usage.c.day >= start_day, x_usage.c.day < end_day]
    if x_user_ids is not None:
        where.append(x_usage.c.x_user_id.in_(list(x_user_ids)))
    key = {
        None: literal("total"),
        "day": x_usage.c.day,
        "endpoint": x_usage.c.endpoint,
        "purpose": x_usage.c.purpose,
        "x_user": x_usage.c.x_user_id,
    }[by]
    query = select(key.label("key"), *_counts()).where(*where)
    if by is not None:
        query = query.group_by(key).order_by(key)
    rows = await conn.execute(query)
    return [UsageRow(row.key if row.key is not None else 0, int(row.users), int(row.posts)) for row in rows]


def _while_tracked() -> ColumnElement[bool]:
    """A read belongs to a tracker when it is of the tracker's X user, on a day the tracker was following it."""
    return and_(
        x_usage.c.x_user_id == trackers.c.x_user_id,
        x_usage.c.day >= trackers.c.created_at - trackers.c.created_at % DAY,
        or_(trackers.c.stopped_at.is_(None), x_usage.c.day <= trackers.c.stopped_at),
    )


async def totals_by_tracker(
    conn: AsyncConnection, *, start_day: int, end_day: int, account_id: int | None = None
) -> list[UsageRow]:
    """Resources charged per tracker (key: the tracker id), optionally only one account's trackers. Two trackers
    of one X user (two accounts) are each shown the reads of that user: X charged them once."""
    query = (
        select(trackers.c.id.label("key"), *_counts())
        .select_from(trackers.join(x_usage, _while_tracked()))
        .where(x_usage.c.day >= start_day, x_usage.c.day < end_day)
        .group_by(trackers.c.id)
        .order_by(trackers.c.id)
    )
    if account_id is not None:
        query = query.where(trackers.c.account_id == account_id)
    return [UsageRow(str(row.key), int(row.users), int(row.posts)) for row in await conn.execute(query)]


async def totals_by_account(
    conn: AsyncConnection, *, start_day: int, end_day: int, account_id: int | None = None
) -> list[UsageRow]:
    """Resources charged per account (key: the account id): each resource once even when two of the account's
    trackers (one stopped, one active) follow the same X user."""
    charged = (
        select(trackers.c.account_id, x_usage.c.day, x_usage.c.resource, x_usage.c.resource_id)
        .select_from(trackers.join(x_usage, _while_tracked()))
        .where(x_usage.c.day >= start_day, x_usage.c.day < end_day)
        .distinct()
    )
    if account_id is not None:
        charged = charged.where(trackers.c.account_id == account_id)
    sub = charged.subquery()
    query = (
        select(
            sub.c.account_id.label("key"),
            func.count().filter(sub.c.resource == "user").label("users"),
            func.count().filter(sub.c.resource == "post").label("posts"),
        )
        .group_by(sub.c.account_id)
        .order_by(sub.c.account_id)
    )
    return [UsageRow(int(row.key), int(row.users), int(row.posts)) for row in await conn.execute(query)]
