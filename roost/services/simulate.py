"""`roost simulate`: the real collector (snapshots, timeline, refreshes, the meter, the budget) over D days of
virtual time against the in-process emulator, and the emulator's exact bill (`GET /xsim/admin/bill`) beside
Roost's meter, by UTC day and by kind, with dollars a month by spending kind.

The emulator's world decides how often each account posts (roost.xsim.personas: 0.02 to 60 posts a day, heavy
tailed). With `posts_per_day` the simulation tracks catalogue accounts whose rate is within 15 % of it;
without, the catalogue's accounts in order (the world's natural mix). Accounts with a suspension, protection,
deletion or rename during the run are passed over, so every tracked account costs what its rate says.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from roost.config import Settings
from roost.core import auth
from roost.core.clock import VirtualClock
from roost.core.metering import DAY, cost
from roost.services import spending
from roost.services import trackers as tracker_service
from roost.services.errors import Invalid
from roost.services.runtime import Runtime, open_runtime
from roost.services.upstream import emulator
from roost.store import accounts as account_store
from roost.store import usage_kinds
from roost.store.db import transaction
from roost.store.schema import x_usage
from roost.xsim.config import Faults, XsimConfig
from roost.xsim.world import World

RATE_TOLERANCE = 0.15
MONTH_DAYS = 30  # "a month" in dollars a month, as the planner and the README say it
# A month that starts at 00:02 UTC on the 1st: the billing month and the UTC days line up with the run.
DEFAULT_START = int(datetime(2026, 11, 1, 0, 2, tzinfo=UTC).timestamp())
FAULTS = {"error_rate": 0.02, "hidden_429_rate": 0.01, "drop_rate": 0.01, "slow_rate": 0.02, "slow_seconds": 3.0}


@dataclass
class Simulation:
    days: int
    accounts: int
    posts_per_day: float | None = None
    budget: float | None = None
    workers: int = 1
    database_url: str | None = None
    faults: bool = False
    seed: int = 2024
    start: int = DEFAULT_START
    settings: Settings = field(default_factory=Settings)
    progress: Callable[[int], None] | None = None  # told each simulated day as it ends

    def validate(self) -> None:
        if not 1 <= self.days <= 366:
            raise Invalid("days", "days: simulate 1 to 366 days.")
        if not 1 <= self.accounts <= 5000:
            raise Invalid("accounts", "accounts: simulate 1 to 5000 accounts.")
        if self.posts_per_day is not None and not 0.02 <= self.posts_per_day <= 60:
            raise Invalid("posts-per-day", "posts-per-day: the emulator's accounts post 0.02 to 60 times a day.")
        if self.budget is not None and self.budget <= 0:
            raise Invalid("budget", "budget: give a positive amount of US dollars a month.")
        if not 1 <= self.workers <= 8:
            raise Invalid("workers", "workers: run 1 to 8 collector workers.")
        if self.workers > 1 and self.database_url is not None and self.database_url.startswith("sqlite"):
            raise Invalid("workers", "workers: several collector workers need PostgreSQL (--database-url).")


def pick_accounts(world: World, n: int, *, start: float, end: float, rate: float | None) -> list[tuple[str, float]]:
    """(screen name, posts a day) of `n` catalogue accounts that stay ordinary from a day before `start` to `end`
    and, with `rate`, post within RATE_TOLERANCE of it."""
    found: list[tuple[str, float]] = []
    index = 0
    while len(found) < n:
        try:
            user_id = world.catalogue_id(index)
        except IndexError:
            raise Invalid(
                "posts-per-day", f"the emulator has fewer than {n} accounts posting about {rate} a day"
            ) from None
        index += 1
        e = world.events(user_id)
        if e is None or not e.exists or e.created_at > start - DAY:
            continue
        if rate is not None and abs(e.posts_per_day - rate) > rate * RATE_TOLERANCE:
            continue
        if e.suspensions or e.protected_from or e.deleted_at or e.rename or world.glitches(user_id, start, end):
            continue
        state = world.user(user_id, start)
        if state is None or state.status != "active":
            continue
        found.append((state.username, e.posts_per_day))
    return found


@dataclass
class DayLine:
    date: str
    users: int
    posts: int
    dollars: Decimal
    kinds: dict[str, Decimal] = field(default_factory=dict)


@dataclass
class Outcome:
    sim: Simulation
    rates: list[float]  # posts a day of the tracked accounts
    bill: list[DayLine]  # the emulator's
    meter: list[DayLine]  # Roost's
    monthly: dict[str, Decimal]  # dollars a month by kind, from the steady days
    steady_days: int
    start_cost: Decimal  # the backfills: what starting the trackers cost, once
    tracker_lookups: Decimal  # the lookups that created the trackers

    @property
    def matches(self) -> bool:
        strip = [(d.date, d.users, d.posts, d.dollars) for d in self.bill]
        return strip == [(d.date, d.users, d.posts, d.dollars) for d in self.meter]


async def run(sim: Simulation) -> Outcome:
    sim.validate()
    with tempfile.TemporaryDirectory(prefix="roost-simulate-") as scratch:
        url = sim.database_url or f"sqlite+aiosqlite:///{Path(scratch) / 'simulate.db'}"
        settings = sim.settings.model_copy(
            update={
                "database_url": url,
                "x_bearer_token": "",
                "x_api_base": "",
                "x_monthly_budget": sim.budget,
                "timeline": True,
                "demo": False,
                "xsim_seed": sim.seed,
            }
        )
        return await _run(sim, settings)


async def _run(sim: Simulation, settings: Settings) -> Outcome:
    clock = VirtualClock(sim.start)
    world = World(sim.seed)
    end = sim.start + sim.days * DAY
    faults = Faults(**FAULTS, seed=sim.seed) if sim.faults else Faults()
    transport = emulator(XsimConfig(seed=sim.seed, faults=faults), clock, world)
    picked = pick_accounts(world, sim.accounts, start=sim.start, end=end, rate=sim.posts_per_day)
    async with open_runtime(settings, clock=clock, transport=transport) as rt:
        await _track(rt, [name for name, _ in picked])
        collectors = [rt.collector(f"simulate-{k + 1}") for k in range(sim.workers)]
        for collector in collectors:
            # No alert rule or channel exists here, so there is nothing to deliver; and a delivery loop polling an
            # autojumping virtual clock would move time on by its poll interval at every turn (the passes would see
            # their buckets end early) and cost a transaction each time.
            collector.deliver = False
        day_end = sim.start
        while day_end < end:
            day_end = min(end, day_end + DAY)
            await asyncio.gather(*(c.run(until=day_end) for c in collectors))
            if sim.progress is not None:
                sim.progress((day_end - sim.start) // DAY)
        async with httpx.AsyncClient(transport=transport, base_url="http://xsim.local") as http:
            bill = (await http.get("/xsim/admin/bill")).json()
        return await _outcome(rt, sim, [rate for _, rate in picked], bill, end)


async def _track(rt: Runtime, names: list[str]) -> None:
    async with transaction(rt.engine) as conn:
        account = await account_store.create_account(
            conn, email="simulate@roost.invalid", name="simulate", password_hash=auth.hash_password("simulate"),
            tracker_slots=len(names), now=rt.now(),
        )  # fmt: skip
    outcome = await tracker_service.create_many(rt, account, names)
    if outcome.errors:
        first = outcome.errors[0]
        raise Invalid("accounts", f"could not track @{first['alias']}: {first['message']}")


async def _outcome(rt: Runtime, sim: Simulation, rates: list[float], bill: dict[str, Any], end: int) -> Outcome:
    prices = spending.prices(rt)
    billed: dict[str, DayLine] = {}
    for project in bill["projects"].values():
        for day in project["days"]:
            line = billed.setdefault(day["date"], DayLine(day["date"], 0, 0, Decimal(0)))
            line.users += int(day["user"])
            line.posts += int(day["post"])
            line.dollars += Decimal(day["usd"])
    async with rt.engine.connect() as conn:
        rows = await usage_kinds.by_day_and_purpose(conn, start_day=0, end_day=end + DAY)
        ledger_days = {int(d) for (d,) in (await conn.execute(select(x_usage.c.day).distinct())).all()}
    metered: dict[int, DayLine] = {}
    for row in rows:
        date = datetime.fromtimestamp(row.day, UTC).date().isoformat()
        line = metered.setdefault(row.day, DayLine(date, 0, 0, Decimal(0)))
        dollars = cost(prices, users=row.users, posts=row.posts)
        line.users += row.users
        line.posts += row.posts
        line.dollars += dollars
        line.kinds[row.purpose] = line.kinds.get(row.purpose, Decimal(0)) + dollars
    assert ledger_days == set(metered)
    meter = [metered[d] for d in sorted(metered)]
    # Steady days: whole UTC days after the first (its backfills), inside the run.
    first_day = sim.start - sim.start % DAY
    steady = [metered[d] for d in sorted(metered) if first_day < d and d + DAY <= end]
    monthly: dict[str, Decimal] = {}
    for line in steady:
        for kind, dollars in line.kinds.items():
            if kind not in ("backfills", "lookups"):
                monthly[kind] = monthly.get(kind, Decimal(0)) + dollars
    for kind in monthly:
        monthly[kind] = monthly[kind] / len(steady) * MONTH_DAYS
    return Outcome(
        sim=sim,
        rates=rates,
        bill=[billed[d] for d in sorted(billed)],
        meter=meter,
        monthly=monthly,
        steady_days=len(steady),
        start_cost=sum((line.kinds.get("backfills", Decimal(0)) for line in meter), Decimal(0)),
        tracker_lookups=sum((line.kinds.get("lookups", Decimal(0)) for line in meter), Decimal(0)),
    )
