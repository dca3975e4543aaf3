"""The meter's ledger (`x_usage`, roost.store.usage) summed by UTC day and spending kind at once: the usage
page's chart, `roost usage` and `roost simulate` set it beside the emulator's bill. For the whole bill, or only
what one account's trackers cost (a read belongs to a tracker on the days it followed the read's X user; the
same resource is counted once for the account even when two of its trackers follow that user)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.core.metering import DAY
from roost.store.schema import trackers, x_usage


@dataclass(frozen=True, slots=True)
class DayKind:
    day: int  # unix seconds of the UTC midnight
    purpose: str  # snapshots | new_posts | refreshes | backfills | lookups
    users: int
    posts: int


async def by_day_and_purpose(
    conn: AsyncConnection, *, start_day: int, end_day: int, account_id: int | None = None
) -> list[DayKind]:
    """Resources charged per (day, purpose) from `start_day` up to (not including) `end_day`, in day order."""
    in_span = and_(x_usage.c.day >= start_day, x_usage.c.day < end_day)
    if account_id is None:
        source = select(x_usage.c.day, x_usage.c.purpose, x_usage.c.resource).where(in_span).subquery()
    else:
        tracked = and_(
            x_usage.c.x_user_id == trackers.c.x_user_id,
            x_usage.c.day >= trackers.c.created_at - trackers.c.created_at % DAY,
            or_(trackers.c.stopped_at.is_(None), x_usage.c.day <= trackers.c.stopped_at),
        )
        source = (
            select(x_usage.c.day, x_usage.c.purpose, x_usage.c.resource, x_usage.c.resource_id)
            .select_from(trackers.join(x_usage, tracked))
            .where(in_span, trackers.c.account_id == account_id)
            .distinct()
            .subquery()
        )
    query = (
        select(
            source.c.day,
            source.c.purpose,
            func.count().filter(source.c.resource == "user").label("users"),
            func.count().filter(source.c.resource == "post").label("posts"),
        )
        .group_by(source.c.day, source.c.purpose)
        .order_by(source.c.day, source.c.purpose)
    )
    rows = await conn.execute(query)
    return [DayKind(int(r.day), str(r.purpose), int(r.users), int(r.posts)) for r in rows]


async def tracker_aliases(conn: AsyncConnection, *, account_id: int | None = None) -> dict[str, str]:
    """Tracker id -> alias, of one account or of all (to name the per-tracker lines)."""
    query = select(trackers.c.id, trackers.c.alias)
    if account_id is not None:
        query = query.where(trackers.c.account_id == account_id)
    return {str(i): str(a) for i, a in (await conn.execute(query)).all()}
