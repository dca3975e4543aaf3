"""The alert outbox: one row per (event, channel), delivered at least once by whichever worker claims it.

The protocol is the collector queue's (roost.store.queue): a claim leases due rows to one owner in one short
transaction (PostgreSQL: `FOR UPDATE SKIP LOCKED`, so concurrent claimers pass over each other's rows; SQLite: the
write transaction serializes claimers), the owner sends outside any transaction, then records the attempt, which
ends its lease. A worker that dies after sending and before recording leaves its lease to run out; the row is
then sent again with the same id (the idempotency key, Standard Webhooks' `webhook-id`), so a receiver that
keeps the ids it has seen never acts twice. Every attempt is logged in `alert_attempts`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.store.alert_schema import alert_attempts, alert_channels, alert_deliveries, alert_events

# Seconds to wait after the n-th failed attempt (then the last value again), until a day after the first.
BACKOFF = (30, 120, 600, 1800, 3600, 7200, 14400, 28800)
GIVE_UP_AFTER = 86400


@dataclass(frozen=True, slots=True)
class Due:
    """A claimed delivery and everything needed to send it."""

    id: str  # the idempotency key
    event_id: str
    channel_kind: str
    url: str | None
    secret: str | None
    title: str
    payload: dict[str, Any]
    attempts: int
    first_at: int


@dataclass(frozen=True, slots=True)
class Attempt:
    at: int
    worker: str
    ok: bool
    status_code: int | None
    error: str | None


@dataclass(frozen=True, slots=True)
class DeliveryRow:
    id: str
    event_id: str
    event_title: str
    event_at: int
    channel_id: str
    channel_name: str
    channel_kind: str
    status: str
    attempts: int
    next_at: int
    done_at: int | None
    last_error: str | None
    log: list[Attempt]


def next_attempt(*, attempts: int, first_at: int, now: int) -> int | None:
    """When to try again after `attempts` failed ones (None: a day has passed, give up)."""
    wait = BACKOFF[min(attempts, len(BACKOFF)) - 1]
    at = now + wait
    return at if at <= first_at + GIVE_UP_AFTER else None


async def next_claimable(conn: AsyncConnection) -> int | None:
    """The first moment `claim` can take a pending delivery: its next attempt's time, or the second after the
    lease of a worker still holding it runs out (one that died holding it); None when nothing is pending."""
    lease, due = alert_deliveries.c.lease_until, alert_deliveries.c.next_at
    when = case((lease >= due, lease + 1), else_=due)  # a NULL lease compares unknown: the attempt's time
    found = await conn.scalar(select(func.min(when)).where(alert_deliveries.c.status == "pending"))
    return None if found is None else int(found)


async def claim(conn: AsyncConnection, *, now: int, owner: str, lease_seconds: int, limit: int) -> list[Due]:
    """Lease up to `limit` due deliveries to `owner`."""
    free = or_(alert_deliveries.c.lease_until.is_(None), alert_deliveries.c.lease_until < now)
    picked = (
        select(alert_deliveries.c.id)
        .where(alert_deliveries.c.status == "pending", alert_deliveries.c.next_at <= now, free)
        .order_by(alert_deliveries.c.next_at, alert_deliveries.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL only; SQLite renders no locking clause
        .scalar_subquery()
    )
    stmt = (
        update(alert_deliveries)
        .where(alert_deliveries.c.id.in_(picked))
        .values(lease_owner=owner, lease_until=now + lease_seconds)
        .returning(alert_deliveries.c.id)
    )
    ids = [r for (r,) in await conn.execute(stmt)]
    if not ids:
        return []
    rows = await conn.execute(
        select(
            alert_deliveries,
            alert_channels.c.kind,
            alert_channels.c.url,
            alert_channels.c.secret,
            alert_events.c.title,
            alert_events.c.payload,
        )
        .join(alert_channels, alert_channels.c.id == alert_deliveries.c.channel_id)
        .join(alert_events, alert_events.c.id == alert_deliveries.c.event_id)
        .where(alert_deliveries.c.id.in_(ids))
        .order_by(alert_deliveries.c.next_at)
    )
    return [
        Due(r.id, r.event_id, r.kind, r.url, r.secret, r.title, json.loads(r.payload), r.attempts, r.first_at)
        for r in rows
    ]


async def record(
    conn: AsyncConnection,
    *,
    due: Due,
    owner: str,
    now: int,
    ok: bool,
    status_code: int | None = None,
    error: str | None = None,
) -> str:
    """Log an attempt and end the lease: delivered, retried later (backoff) or failed for good. The new status."""
    await conn.execute(
        alert_attempts.insert().values(
            delivery_id=due.id, at=now, worker=owner, ok=int(ok), status_code=status_code, error=error
        )
    )
    attempts = due.attempts + 1
    retry = None if ok else next_attempt(attempts=attempts, first_at=due.first_at, now=now)
    status = "delivered" if ok else ("pending" if retry is not None else "failed")
    await conn.execute(
        update(alert_deliveries)
        .where(alert_deliveries.c.id == due.id, alert_deliveries.c.lease_owner == owner)
        .values(
            status=status,
            attempts=attempts,
            next_at=retry if retry is not None else now,
            lease_owner=None,
            lease_until=None,
            done_at=None if status == "pending" else now,
            last_error=error,
        )
    )
    return status


async def list_deliveries(conn: AsyncConnection, *, account_id: int, limit: int = 100) -> list[DeliveryRow]:
    """The account's deliveries, newest first, each with its attempts."""
    rows = (
        await conn.execute(
            select(
                alert_deliveries, alert_channels.c.name, alert_channels.c.kind, alert_events.c.title, alert_events.c.at
            )
            .join(alert_channels, alert_channels.c.id == alert_deliveries.c.channel_id)
            .join(alert_events, alert_events.c.id == alert_deliveries.c.event_id)
            .where(alert_deliveries.c.account_id == account_id)
            .order_by(alert_deliveries.c.first_at.desc(), alert_deliveries.c.id)
            .limit(limit)
        )
    ).all()
    logs: dict[str, list[Attempt]] = {r.id: [] for r in rows}
    if logs:
        query = select(alert_attempts).where(alert_attempts.c.delivery_id.in_(logs)).order_by(alert_attempts.c.id)
        for a in await conn.execute(query):
            logs[a.delivery_id].append(Attempt(a.at, a.worker, bool(a.ok), a.status_code, a.error))
    return [
        DeliveryRow(
            r.id,
            r.event_id,
            r.title,
            r.at,
            r.channel_id,
            r.name,
            r.kind,
            r.status,
            r.attempts,
            r.next_at,
            r.done_at,
            r.last_error,
            logs[r.id],
        )
        for r in rows
    ]
