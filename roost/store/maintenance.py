"""What Roost does to its own database once at start and then daily (the collector runs it: no cron needed).

- PostgreSQL: partitions for the current month and the next ones exist, and rows that fell into the DEFAULT
  partition get a month of their own (`partitions.ensure`);
- PostgreSQL: each month of snapshots, a day after it ends, is rewritten once in reading order (`compact`): a
  user's month becomes a few contiguous pages instead of one row on each of 720 pages, so a timeline reads a
  handful of pages, and its index is packed (the live month's grows by page splits to about half full);
- with `ROOST_RETENTION_HOURLY_MONTHS` set, both databases: months past the hourly window thinned to daily
  closes (store/retention.py).

Each step is one transaction of its own (the SQLite thinning one per batch of users), taken in turns by the
processes that run it (PostgreSQL's advisory lock; SQLite's write lock), and each is idempotent, so a second
collector, a crash or a stop midway leaves nothing half done that the next run does not finish.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roost.store import locks, partitions, retention
from roost.store.db import transaction
from roost.store.schema import maintenance
from roost.store.sql import dialect_insert

log = logging.getLogger("roost.maintenance")
DAY = 86400
COMPACT_AFTER = DAY  # a month is left alone this long after it ends (late and retried writes land first)


@dataclass
class Report:
    partitions_made: list[str] = field(default_factory=list)
    compacted: list[str] = field(default_factory=list)
    thinned_months: list[int] = field(default_factory=list)
    snapshots_removed: int = 0


async def _turn(conn: AsyncConnection) -> None:
    if conn.dialect.name == "postgresql":
        await conn.execute(select(func.pg_advisory_xact_lock(locks.MAINTENANCE)))


def _compact_next(conn: Connection, now: int) -> str | None:
    """Compact the oldest closed month of snapshots not compacted yet; its name, or None when none is left."""
    done = {
        name.removeprefix("compacted.")
        for name in conn.execute(select(maintenance.c.name).where(maintenance.c.name.like("compacted.%"))).scalars()
    }
    for month in partitions.months(conn, "snapshots"):
        if month.end + COMPACT_AFTER <= now and month.name not in done:
            partitions.rewrite_month(conn, "snapshots", month)
            conn.execute(dialect_insert(conn, maintenance).values(name=f"compacted.{month.name}", value=now))  # type: ignore[arg-type]
            return month.name
    return None


async def run(engine: AsyncEngine, *, now: int, hourly_months: int | None = None) -> Report:
    """One maintenance round (see the module docstring)."""
    report = Report()
    async with transaction(engine) as conn:
        await _turn(conn)
        report.partitions_made = await conn.run_sync(lambda c: partitions.ensure(c, now=now))
    if hourly_months:
        await _retention(engine, now=now, hourly_months=hourly_months, report=report)
    if engine.dialect.name == "postgresql":
        while True:
            async with transaction(engine) as conn:
                await _turn(conn)
                if not await conn.run_sync(lambda c: partitions.is_partitioned(c, "snapshots")):
                    break
                name = await conn.run_sync(lambda c: _compact_next(c, now))
            if name is None:
                break
            report.compacted.append(name)
    if report.partitions_made or report.compacted or report.thinned_months:
        log.info(
            "maintenance: %d partitions made, %d months compacted, %d months thinned (%d snapshots removed)",
            len(report.partitions_made), len(report.compacted), len(report.thinned_months), report.snapshots_removed,
        )  # fmt: skip
    return report


async def _retention(engine: AsyncEngine, *, now: int, hourly_months: int, report: Report) -> None:
    while True:
        async with transaction(engine) as conn:
            await _turn(conn)
            due = await conn.run_sync(lambda c: retention.due_months(c, now=now, hourly_months=hourly_months))
            if not due:
                return
            if await conn.run_sync(partitions.is_partitioned, "snapshots"):
                report.snapshots_removed += await conn.run_sync(retention.thin_partition, due[0])
                await conn.run_sync(retention.done, due[0])
                report.thinned_months.append(due[0])
                continue
            users = await conn.run_sync(retention.kept_in, due[0])
        report.snapshots_removed += await _thin_in_batches(engine, due[0], users)
        report.thinned_months.append(due[0])


async def _thin_in_batches(engine: AsyncEngine, start: int, users: list[tuple[int, list[int]]]) -> int:
    """SQLite: the month's deletes, a transaction per batch of users, so the collector's writes get turns."""
    removed = 0
    for lo in range(0, len(users), retention.USERS_PER_BATCH):
        async with transaction(engine) as conn:
            removed += await conn.run_sync(retention.delete_unkept, start, users[lo : lo + retention.USERS_PER_BATCH])
    async with transaction(engine) as conn:
        await conn.run_sync(retention.done, start)
    return removed
