"""Collector heartbeats, so /healthz can tell whether collection is alive and which worker beat last."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.store.schema import collector_heartbeats
from roost.store.sql import dialect_insert


@dataclass(frozen=True, slots=True)
class Heartbeat:
    worker_id: str
    beat_at: int
    info: str  # JSON text, whatever the worker reported


async def beat(conn: AsyncConnection, *, worker_id: str, now: int, info: str = "{}") -> None:
    """Record that `worker_id` is alive at `now`, with a JSON text of whatever it wants to report."""
    stmt = dialect_insert(conn, collector_heartbeats).values(worker_id=worker_id, beat_at=now, info=info)
    await conn.execute(
        stmt.on_conflict_do_update(
            index_elements=[collector_heartbeats.c.worker_id], set_={"beat_at": now, "info": info}
        )
    )


async def latest_heartbeat(conn: AsyncConnection, *, exclude: tuple[str, ...] = ()) -> Heartbeat | None:
    """The most recent beat of any worker but those in `exclude`, or None when no such collector ever ran."""
    query = select(collector_heartbeats).order_by(collector_heartbeats.c.beat_at.desc()).limit(1)
    if exclude:
        query = query.where(collector_heartbeats.c.worker_id.not_in(exclude))
    row = (await conn.execute(query)).mappings().first()
    if row is None:
        return None
    return Heartbeat(worker_id=row["worker_id"], beat_at=row["beat_at"], info=row["info"])
