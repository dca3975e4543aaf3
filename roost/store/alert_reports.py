"""Scheduled report definitions and the record of each period sent (tables in roost.store.report_schema)."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.store.alert_schema import alert_events
from roost.store.report_schema import alert_report_runs, alert_reports
from roost.store.schema import trackers
from roost.store.sql import dialect_insert


@dataclass(frozen=True, slots=True)
class ReportRow:
    id: str
    account_id: int
    every: str
    at: str
    tz: str
    weekday: int
    day: int
    tracker_ids: list[str]
    channel_id: str
    created_at: int


def _row(r: Any) -> ReportRow:
    return ReportRow(r.id, r.account_id, r.every, r.at, r.tz, r.weekday, r.day, json.loads(r.tracker_ids),
                     r.channel_id, r.created_at)  # fmt: skip


async def add(
    conn: AsyncConnection, *, account_id: int, every: str, at: str, tz: str, weekday: int, day: int,
    tracker_ids: list[str], channel_id: str, now: int,
) -> ReportRow:  # fmt: skip
    row = ReportRow(str(uuid.uuid4()), account_id, every, at, tz, weekday, day, tracker_ids, channel_id, now)
    await conn.execute(alert_reports.insert().values(
        id=row.id, account_id=account_id, every=every, at=at, tz=tz, weekday=weekday, day=day,
        tracker_ids=json.dumps(tracker_ids), channel_id=channel_id, created_at=now,
    ))  # fmt: skip
    return row


async def list_for(conn: AsyncConnection, *, account_id: int | None) -> list[ReportRow]:
    """The account's reports (None: every account's), oldest first."""
    query = select(alert_reports).order_by(alert_reports.c.created_at, alert_reports.c.id)
    if account_id is not None:
        query = query.where(alert_reports.c.account_id == account_id)
    return [_row(r) for r in await conn.execute(query)]


async def get(conn: AsyncConnection, *, report_id: str, account_id: int) -> ReportRow | None:
    query = select(alert_reports).where(alert_reports.c.id == report_id, alert_reports.c.account_id == account_id)
    row = (await conn.execute(query)).first()
    return _row(row) if row else None


async def remove(conn: AsyncConnection, *, report_id: str, account_id: int) -> bool:
    stmt = delete(alert_reports).where(alert_reports.c.id == report_id, alert_reports.c.account_id == account_id)
    return (await conn.execute(stmt)).rowcount > 0


async def active_aliases(conn: AsyncConnection, *, account_id: int) -> list[str]:
    """The aliases of the account's active trackers as they are written, sorted case-blind (what a report picks)."""
    query = select(trackers.c.alias).where(trackers.c.account_id == account_id, trackers.c.status == "active")
    return sorted((a for (a,) in await conn.execute(query)), key=str.lower)


async def was_sent(conn: AsyncConnection, *, report_id: str, period_start: int) -> bool:
    query = select(alert_report_runs.c.report_id).where(
        alert_report_runs.c.report_id == report_id, alert_report_runs.c.period_start == period_start
    )
    return (await conn.execute(query)).first() is not None


async def claim_period(
    conn: AsyncConnection, *, report_id: str, period_start: int, period_end: int, event_id: str, now: int
) -> bool:
    """Record that this period goes out with this event; False when it already did (another worker, a rerun).
    On PostgreSQL a concurrent claim of the same period waits for the first to commit, then writes nothing."""
    stmt = dialect_insert(conn, alert_report_runs).values(
        report_id=report_id, period_start=period_start, period_end=period_end, event_id=event_id, at=now
    )
    stmt = stmt.on_conflict_do_nothing(index_elements=[alert_report_runs.c.report_id, alert_report_runs.c.period_start])
    return (await conn.execute(stmt.returning(alert_report_runs.c.report_id))).first() is not None


@dataclass(frozen=True, slots=True)
class Run:
    period_start: int
    period_end: int
    event_id: str
    at: int


async def runs(conn: AsyncConnection, *, report_id: str, limit: int = 20) -> list[Run]:
    query = (
        select(alert_report_runs)
        .where(alert_report_runs.c.report_id == report_id)
        .order_by(alert_report_runs.c.period_start.desc())
        .limit(limit)
    )
    return [Run(r.period_start, r.period_end, r.event_id, r.at) for r in await conn.execute(query)]


async def run_payload(
    conn: AsyncConnection, *, report_id: str, period_start: int, account_id: int
) -> dict[str, Any] | None:
    """The payload of the event that carried this report's period (None: no such period sent)."""
    query = (
        select(alert_events.c.payload)
        .join(alert_report_runs, alert_report_runs.c.event_id == alert_events.c.id)
        .where(
            alert_report_runs.c.report_id == report_id,
            alert_report_runs.c.period_start == period_start,
            alert_events.c.account_id == account_id,
        )
    )
    found = (await conn.execute(query)).scalar_one_or_none()
    return None if found is None else json.loads(found)
