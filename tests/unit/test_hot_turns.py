"""The stats reads on PostgreSQL take the pool's connections in arrival order: at most HOT_CONNECTIONS at once, and
a read that arrives while others wait goes behind them, even when a connection comes free in the same loop turn
(asyncpg's own pool lets it pass them, which gave the 30-day timeline a p99 five times its p50 under load)."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy.ext.asyncio import create_async_engine

from roost.store import hot


class HeldPool:
    """Stands in for the asyncpg pool: records which read started, and holds each until the test lets it go."""

    def __init__(self) -> None:
        self.started: list[str] = []
        self.held: dict[str, asyncio.Future[list[Any]]] = {}

    async def fetch(self, sql: str, *args: Any) -> list[Any]:
        tracker_id = args[0]
        self.started.append(tracker_id)
        self.held[tracker_id] = asyncio.get_running_loop().create_future()
        return await self.held[tracker_id]

    async def close(self) -> None:
        pass


async def settle() -> None:
    for _ in range(5):
        await asyncio.sleep(0)


async def test_reads_take_the_connections_in_arrival_order() -> None:
    engine = create_async_engine("postgresql+asyncpg://nobody@127.0.0.1:9/none")  # never connected
    reads = hot.HotReads(engine)
    pool = HeldPool()
    reads._pg = pool  # type: ignore[assignment]

    def read(tracker_id: str) -> asyncio.Task[hot.StatsRows | None]:
        return asyncio.create_task(
            reads.owned_stats(
                names=("bucket",), account_id=1, tracker_id=tracker_id, start=0, end=1, interval=3600,
                timeline=True, now=0, max_age=0,
            )
        )  # fmt: skip

    first = [read(f"busy{i}") for i in range(hot.HOT_CONNECTIONS)]
    waiting = [read(f"wait{i}") for i in range(3)]
    await settle()
    assert pool.started == [f"busy{i}" for i in range(hot.HOT_CONNECTIONS)]  # the others wait for a connection

    pool.held["busy0"].set_result([])  # a connection comes free ...
    late = read("late")  # ... and a read arrives in the same turn: it must not pass the three that wait
    await settle()
    assert pool.started[hot.HOT_CONNECTIONS :] == ["wait0"]

    for name in [*(f"busy{i}" for i in range(1, hot.HOT_CONNECTIONS)), "wait0", "wait1", "wait2"]:
        pool.held[name].set_result([])
        await settle()
    assert pool.started[hot.HOT_CONNECTIONS :] == ["wait0", "wait1", "wait2", "late"]
    pool.held["late"].set_result([])
    assert await asyncio.gather(*first, *waiting, late) == [None] * (hot.HOT_CONNECTIONS + 4)
    await reads.aclose()
    await engine.dispose()
