"""Upstream pauses shared by every process: a reached post cap pauses 'posts', spent credits pause 'all'.

A row exists while its kind is paused. `start_pause` says whether it was new (so the transition is logged once,
whichever process saw the refusal first); `claim_probe` lets one request through at most every `every` seconds
across all processes (an UPDATE guarded by the last probe's time: only one claimer wins).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.store.rows import stamp_if_due
from roost.store.schema import upstream_pauses
from roost.store.sql import dialect_insert


@dataclass(frozen=True, slots=True)
class Pause:
    kind: str  # 'posts' | 'all'
    reason: str  # 'cap' | 'credits'
    detail: str
    since: int
    until: int | None  # lifts by itself then (a cap's reset); None: an operator's resume or a successful probe
    probe_at: int | None


def _pause(row: Sequence[object]) -> Pause:
    return Pause(*row)  # type: ignore[arg-type]


_COLUMNS = (
    upstream_pauses.c.kind,
    upstream_pauses.c.reason,
    upstream_pauses.c.detail,
    upstream_pauses.c.since,
    upstream_pauses.c.until,
    upstream_pauses.c.probe_at,
)


async def list_pauses(conn: AsyncConnection) -> list[Pause]:
    rows = await conn.execute(select(*_COLUMNS).order_by(upstream_pauses.c.kind))
    return [_pause(row) for row in rows]


async def start_pause(
    conn: AsyncConnection, *, kind: str, reason: str, detail: str, now: int, until: int | None
) -> bool:
    """Pause `kind` (True: it was not paused before). A refusal while already paused counts as that kind's
    latest probe, and refreshes why and until when."""
    stmt = dialect_insert(conn, upstream_pauses).values(
        kind=kind, reason=reason, detail=detail, since=now, until=until, probe_at=now
    )
    inserted = await conn.execute(stmt.on_conflict_do_nothing().returning(upstream_pauses.c.kind))
    if inserted.first() is not None:
        return True
    await conn.execute(
        update(upstream_pauses)
        .where(upstream_pauses.c.kind == kind)
        .values(reason=reason, detail=detail, until=until, probe_at=now)
    )
    return False


async def end_pauses(conn: AsyncConnection, *, kinds: Sequence[str]) -> list[Pause]:
    """Lift these pauses; returns those that were on."""
    rows = await conn.execute(
        delete(upstream_pauses).where(upstream_pauses.c.kind.in_(list(kinds))).returning(*_COLUMNS)
    )
    return [_pause(row) for row in rows]


async def end_expired(conn: AsyncConnection, *, now: int) -> list[Pause]:
    """Lift the pauses whose `until` has come (a cap's reset day)."""
    query = delete(upstream_pauses).where(upstream_pauses.c.until.is_not(None), upstream_pauses.c.until <= now)
    return [_pause(row) for row in await conn.execute(query.returning(*_COLUMNS))]


async def claim_probe(conn: AsyncConnection, *, kind: str, now: int, every: int) -> bool:
    """True for the one caller (of any process) that may send a probe of `kind` now: the last was `every`
    seconds ago or more."""
    return await stamp_if_due(conn, upstream_pauses.c.probe_at, upstream_pauses.c.kind == kind, now=now, every=every)
