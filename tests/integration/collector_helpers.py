"""A collector over a real database, the emulator in-process as upstream, everything on one virtual clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from roost.collector.runner import Collector
from roost.config import XSIM_DEFAULT_TOKEN
from roost.core import auth
from roost.core.clock import VirtualClock
from roost.services import trackers as tracking
from roost.store import accounts as account_store
from roost.store.db import create_engine, transaction
from roost.store.schema import snapshots
from roost.xapi import XClient
from roost.xsim.app import create_app as create_xsim
from roost.xsim.config import XsimConfig
from roost.xsim.transport import XsimTransport
from roost.xsim.world import World

HOUR = 3600
DAY = 86400
START = 1_795_000_000 - 1_795_000_000 % HOUR + 120  # two minutes into an hour
SEED = 2024


def quiet_names(world: World, n: int, start: float, end: float, offset: int = 0) -> list[str]:
    """Catalogue accounts with nothing unusual happening between start and end."""
    found: list[str] = []
    i = offset
    while len(found) < n:
        user_id = world.catalogue_id(i)
        i += 1
        e = world.events(user_id)
        if e is None or not e.exists or e.created_at > start - DAY:
            continue
        if e.suspensions or e.protected_from or e.deleted_at or e.rename or world.glitches(user_id, start, end):
            continue
        state = world.user(user_id, start)
        if state is None or state.status != "active":
            continue
        found.append(state.username)
    return found


@dataclass
class Rig:
    engine: AsyncEngine
    clock: VirtualClock
    world: World
    xsim_config: XsimConfig
    xclient: XClient
    transport: XsimTransport
    account_id: int

    def collector(self, worker_id: str = "w1", **kwargs: object) -> Collector:
        return Collector(
            engine=self.engine, xclient=self.xclient, clock=self.clock, interval=HOUR, worker_id=worker_id, **kwargs
        )  # type: ignore[arg-type]

    async def track(self, names: list[str]) -> list[str]:
        ids: list[str] = []
        for start in range(0, len(names), 100):
            outcome = await tracking.create_trackers(
                self.engine,
                self.xclient,
                account_id=self.account_id,
                aliases=names[start : start + 100],
                now=self.clock.now(),
                interval=HOUR,
            )
            assert not outcome.errors, outcome.errors[:3]
            ids.extend(item["resourceId"] for item in outcome.ok)
        return ids

    async def snapshot_rows(self) -> list[tuple[int, int, int, int, int, int, int]]:
        async with self.engine.connect() as conn:
            rows = await conn.execute(
                select(
                    snapshots.c.x_user_id,
                    snapshots.c.bucket,
                    snapshots.c.tweets,
                    snapshots.c.followers,
                    snapshots.c.following,
                    snapshots.c.lists,
                    snapshots.c.created_at,
                ).order_by(snapshots.c.x_user_id, snapshots.c.bucket)
            )
            return [tuple(r) for r in rows]  # type: ignore[misc]

    async def snapshot_count(self) -> int:
        async with self.engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(snapshots))).scalar_one())


@asynccontextmanager
async def rig(
    database_url: str, *, slots: int = 2000, config: XsimConfig | None = None, start: float = START
) -> AsyncIterator[Rig]:
    clock = VirtualClock(start)
    world = World(SEED)
    xsim_config = config or XsimConfig(seed=SEED)
    transport = XsimTransport(create_xsim(xsim_config, clock=clock, world=world))
    engine = create_engine(database_url)
    xclient = XClient(base_url="http://xsim.local", tokens=[XSIM_DEFAULT_TOKEN], clock=clock, transport=transport)
    async with transaction(engine) as conn:
        account = await account_store.create_account(
            conn,
            email="collector@example.com",
            name="collector",
            password_hash=auth.hash_password("x"),
            tracker_slots=slots,
            now=int(start),
        )
    try:
        yield Rig(engine, clock, world, xsim_config, xclient, transport, account.id)
    finally:
        await xclient.aclose()
        await engine.dispose()
