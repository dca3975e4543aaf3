"""The budget's decisions (a kind of work cut or resumed), one row per change of state, for the log and the usage
page; the latest row of a purpose is its state."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import insert, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.store.schema import budget_decisions


@dataclass(frozen=True, slots=True)
class Decision:
    at: int
    purpose: str
    decision: str  # 'cut' | 'resumed'
    detail: str


async def latest_decision(conn: AsyncConnection, *, purpose: str) -> str | None:
    """`purpose`'s state as its latest decision left it ('cut', 'resumed'; None: never decided)."""
    latest = await conn.scalar(
        select(budget_decisions.c.decision)
        .where(budget_decisions.c.purpose == purpose)
        .order_by(budget_decisions.c.id.desc())
        .limit(1)
    )
    return None if latest is None else str(latest)


async def record_decision(conn: AsyncConnection, *, purpose: str, decision: str, detail: str, now: int) -> bool:
    """Record a change of `purpose`'s state; False (nothing written) when it is already in that state (another
    process decided the same first)."""
    latest = await latest_decision(conn, purpose=purpose)
    if (latest or "resumed") == decision:
        return False
    await conn.execute(insert(budget_decisions).values(at=now, purpose=purpose, decision=decision, detail=detail))
    return True


async def list_decisions(conn: AsyncConnection, *, since: int = 0, limit: int = 100) -> list[Decision]:
    """The latest decisions, newest first."""
    query = (
        select(
            budget_decisions.c.at, budget_decisions.c.purpose, budget_decisions.c.decision, budget_decisions.c.detail
        )
        .where(budget_decisions.c.at >= since)
        .order_by(budget_decisions.c.id.desc())
        .limit(limit)
    )
    return [Decision(*row) for row in await conn.execute(query)]


async def cut_purposes(conn: AsyncConnection) -> list[str]:
    """The purposes whose latest decision is a cut."""
    query = select(budget_decisions.c.purpose, budget_decisions.c.decision).order_by(budget_decisions.c.id)
    state = {purpose: decision for purpose, decision in await conn.execute(query)}
    return sorted(p for p, d in state.items() if d == "cut")
