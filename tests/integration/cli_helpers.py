"""A database with history for the CLI tests, produced by the real collector against the emulator in virtual
time (no hand-made rows), and a way to run `roost ...` against it.

Two accounts, so account selection matters:
- RECENT (`recent@example.com`): `steady` tracked for the last DAYS days up to the real now (the CLI's default
  range is the last 7 days), and `stopped`, tracked at the same time and stopped after STOP_AFTER.
- PAST (`past@example.com`): `glitchy`, an account whose follower count collapses and recovers for a few hours,
  tracked in the past around that glitch and stopped, so growth has a glitch to flag.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass

from roost.collector.runner import Collector
from roost.config import XSIM_DEFAULT_TOKEN
from roost.core import auth, domain
from roost.core.clock import VirtualClock
from roost.services import trackers as tracking
from roost.store import accounts as account_store
from roost.store import trackers as tracker_store
from roost.store.db import create_engine, transaction
from roost.xapi import XClient
from roost.xsim.app import create_app as create_xsim
from roost.xsim.config import XsimConfig
from roost.xsim.transport import XsimTransport
from roost.xsim.world import World
from tests.integration.collector_helpers import quiet_names

HOUR = 3600
DAY = 86400
SEED = 2024  # the default ROOST_XSIM_SEED, which `roost track` uses
DAYS = 2
STOP_AFTER = DAY
RECENT = "recent@example.com"
PAST = "past@example.com"
PASSWORD = "correct horse"


@dataclass(frozen=True)
class History:
    url: str
    now: int  # when the collector stopped (real time)
    steady: str
    steady_id: str
    stopped: str
    stopped_id: str
    stopped_at: int
    glitchy: str
    glitchy_id: str
    glitch: tuple[float, float]  # [start, end) of the collapse


def find_glitchy(world: World, before: float) -> tuple[str, tuple[float, float]]:
    """A plain account of the catalogue whose followers collapse and recover, a while before `before`, with no
    other glitch within a day of it and no follower burst in its 28-day block."""
    for index in range(world.CATALOGUE_SIZE):
        user_id = world.catalogue_id(index)
        e = world.events(user_id)
        if e is None or not e.exists or e.created_at > before - 430 * DAY:
            continue
        if e.suspensions or e.protected_from or e.deleted_at or e.rename:
            continue
        for g in world.glitches(user_id, before - 400 * DAY, before - 10 * DAY):
            if g.metric != "followers" or len(world.glitches(user_id, g.start - DAY, g.end + DAY)) != 1:
                continue
            if world.bursts(user_id, g.start - 28 * DAY, g.end + DAY):
                continue
            state = world.user(user_id, g.start - DAY)
            if state is not None and state.status == "active" and state.followers_count >= 1000:
                return state.username, (g.start, g.end)
    raise LookupError("no glitchy account in the catalogue")


async def _collect(
    url: str, *, email: str, names: list[str], start: float, until: float, stop_at: dict[str, float]
) -> list[str]:
    """Make an account, track `names` at `start`, run the collector until `until`, stopping trackers on the way."""
    clock = VirtualClock(start)
    world = World(SEED)
    transport = XsimTransport(create_xsim(XsimConfig(seed=SEED), clock=clock, world=world))
    engine = create_engine(url)
    xclient = XClient(base_url="http://xsim.local", tokens=[XSIM_DEFAULT_TOKEN], clock=clock, transport=transport)
    try:
        async with transaction(engine) as conn:
            account = await account_store.create_account(
                conn, email=email, name=email, password_hash=auth.hash_password(PASSWORD), tracker_slots=5,
                now=int(start),
            )  # fmt: skip
        outcome = await tracking.create_trackers(
            engine, xclient, account_id=account.id, aliases=names, now=start, interval=HOUR
        )
        assert not outcome.errors, outcome.errors
        ids = [item["resourceId"] for item in outcome.ok]
        collector = Collector(
            engine=engine, xclient=xclient, clock=clock, interval=HOUR, worker_id="w", timeline=True,
            backfill_depth=20,
        )  # fmt: skip
        for name, at in sorted(stop_at.items(), key=lambda kv: kv[1]):
            await collector.run(until=at)
            async with transaction(engine) as conn:
                await tracker_store.stop_trackers(
                    conn, account_id=account.id, ids=[ids[names.index(name)]], now=int(clock.now())
                )
        await collector.run(until=until)
        return ids
    finally:
        await xclient.aclose()
        await engine.dispose()


async def build_history(url: str) -> History:
    now = int(time.time())
    world = World(SEED)
    glitchy, glitch = find_glitchy(world, now)
    past_start = domain.bucket_of(glitch[0] - 14 * HOUR, HOUR) + 120
    past_end = glitch[1] + 14 * HOUR
    (glitchy_id,) = await _collect(
        url, email=PAST, names=[glitchy], start=past_start, until=past_end, stop_at={glitchy: past_end}
    )
    start = domain.bucket_of(now - DAYS * DAY, HOUR) + 120
    steady, stopped = quiet_names(world, 2, start, now)
    steady_id, stopped_id = await _collect(
        url, email=RECENT, names=[steady, stopped], start=start, until=now, stop_at={stopped: start + STOP_AFTER}
    )
    return History(
        url=url,
        now=now,
        steady=steady,
        steady_id=steady_id,
        stopped=stopped,
        stopped_id=stopped_id,
        stopped_at=int(start + STOP_AFTER),
        glitchy=glitchy,
        glitchy_id=glitchy_id,
        glitch=glitch,
    )


def build(url: str) -> History:
    return asyncio.run(build_history(url))
