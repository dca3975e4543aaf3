"""The demo account of a first run: a login, a few tracked accounts and 30 days of history, so a new user has
charts in front of them at once.

Only with the embedded emulator as upstream (no X token): the history is *produced*, not invented, by the real
collector running over the last 30 days in virtual time against the emulator's world, which is the same world
the live collector then keeps reading. All of it is simulated data, and the dashboard says so.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roost.collector.runner import Collector
from roost.config import Settings
from roost.core import alerts as alert_rules
from roost.core import auth, domain
from roost.core.clock import VirtualClock
from roost.services import trackers as tracking
from roost.services.runtime import open_runtime
from roost.services.upstream import emulator_xclient
from roost.store import accounts as account_store
from roost.store import alerts as alert_store
from roost.store import tags as tag_store
from roost.store.db import transaction
from roost.xapi import XClient
from roost.xsim.world import World

log = logging.getLogger("roost.services.demo")

DEMO_EMAIL = "demo@roost.local"
DEMO_PASSWORD = "roost-demo"  # printed on every first run and in the README: this account holds simulated data only
DEMO_DAYS = 30
# The collector that builds the demo's past beats in simulated time (a month ago): not the live collector's health.
HISTORY_WORKER = "demo-history"
DEMO_SLOTS = 10
DAY = 86400


@dataclass(frozen=True)
class DemoLogin:
    email: str
    password: str
    aliases: list[str]


# Four lively accounts of the default world (seed 2024): growing, shrinking, flat and growing, each a few years
# old, posting a few times a day, with no suspension, rename or deletion ever, and between them an upstream glitch
# at least every 29 days, so any first run's 30 days show one flagged (tests/unit/test_demo_accounts.py).
DEMO_ACCOUNTS = ["tole68", "Jen1929", "muc43", "GAB521"]


@dataclass
class DemoBuild:
    """A demo account just made, whose history is still to be collected (see `history`)."""

    login: DemoLogin
    engine: AsyncEngine
    settings: Settings
    clock: VirtualClock
    xclient: XClient
    start: float
    now: float
    days: int

    async def history(self, on_progress: Callable[[int, int], None] | None = None) -> None:
        """Run the real collector over the demo's days in virtual time, day by day (`on_progress(done, days)`
        after each), against the emulator's world; the client is closed at the end, whatever happens."""
        history = Collector(
            engine=self.engine,
            xclient=self.xclient,
            clock=self.clock,
            interval=self.settings.snapshot_interval,
            worker_id=HISTORY_WORKER,
            timeline=self.settings.timeline,
            backfill_depth=min(self.settings.backfill_depth, 200),  # a short archive keeps the first run quick
            # One worker per pass: four users fit one claim, so more workers would only add empty claims (three
            # write transactions a pass each for snapshots and timelines, ~25 % of the build); the rows written
            # are the same (tests/integration/test_demo_history.py).
            concurrency=1,
        )
        try:
            day_end, told = self.start, 0
            while day_end < self.now:
                day_end = min(self.now, day_end + DAY)
                await history.run(until=day_end)
                done = min(self.days, round((day_end - self.start) / DAY))
                if on_progress is not None and done != told:  # the last minutes past whole days: no second 30/30
                    on_progress(done, self.days)
                told = done
        finally:
            await self.xclient.aclose()


async def create_demo(
    settings: Settings, engine: AsyncEngine, *, now: float, days: int = DEMO_DAYS
) -> DemoBuild | None:
    """On a database with no account yet: the demo account, its trackers and tag, as of `days` ago (fast); the
    history comes from `DemoBuild.history`. None when an account exists."""
    async with engine.connect() as conn:
        if await account_store.count_accounts(conn):
            return None
    interval = settings.snapshot_interval
    start = domain.bucket_of(now - days * DAY, interval) + 60
    clock = VirtualClock(start)
    world = World(settings.xsim_seed)
    xclient = emulator_xclient(world, clock)
    aliases = list(DEMO_ACCOUNTS)
    log.warning("First run: creating the demo account with %d days of simulated history for %s", days, aliases)
    try:
        password_hash = await asyncio.to_thread(auth.hash_password, DEMO_PASSWORD)
        async with transaction(engine) as conn:
            account = await account_store.create_account(
                conn,
                email=DEMO_EMAIL,
                name="Demo (simulated data)",
                password_hash=password_hash,
                tracker_slots=DEMO_SLOTS,
                now=int(start),
            )
        outcome = await tracking.create_trackers(
            engine, xclient, account_id=account.id, aliases=aliases, now=start, interval=interval
        )
        async with transaction(engine) as conn:
            tag_id = await tag_store.create_tag(conn, account_id=account.id, name="demo", now=int(start))
            if tag_id is not None:
                tracker_ids = [item["resourceId"] for item in outcome.ok]
                await tag_store.assign(
                    conn, account_id=account.id, add=[tag_id], remove=[], tracker_ids=tracker_ids, now=int(start)
                )
            await _example_alerts(conn, world, account_id=account.id, outcome=outcome, start=start, now=now)
    except BaseException:
        await xclient.aclose()
        raise
    login = DemoLogin(email=DEMO_EMAIL, password=DEMO_PASSWORD, aliases=aliases)
    return DemoBuild(login, engine, settings, clock, xclient, start, now, days)


def milestone(world: World, aliases: list[str], *, start: float, now: float) -> tuple[str, int] | None:
    """The follower milestone (the next multiple of 1,000) that one of the demo's accounts reaches first in the
    demo's days, so its example threshold rule fires early in the history build; None if none reaches one."""
    best: tuple[float, str, int] | None = None
    for alias in aliases:
        then = world.user_by_username(alias, start)
        if then is None:
            continue
        mark = (then.followers_count // 1000 + 1) * 1000
        t = start + 3 * 3600  # a few snapshots below the mark first: the rule sees a crossing, not a level
        while t < now and (best is None or t < best[0]):
            seen = world.user_by_username(alias, t)
            if seen is not None and seen.followers_count >= mark:
                best = (t, alias, mark)
                break
            t += 3600
    return None if best is None else (best[1], best[2])


async def _example_alerts(
    conn: AsyncConnection, world: World, *, account_id: int, outcome: tracking.CreateOutcome, start: float, now: float
) -> None:
    """The demo's in-dashboard channel and two example rules: unusual hourly follower moves on every tracker (a
    burst, a mass unfollow), and a follower milestone on the account that grows most. Both fire while the history
    is built, so a first run has notifications within its first minute."""
    await alert_store.add_channel(
        conn, account_id=account_id, kind="dashboard", name="Dashboard", url=None, secret=None, now=int(start)
    )
    unusual = alert_rules.Rule(kind="unusual", metric="followers", z=5.0, granularity="hour")
    await alert_store.add_rule(conn, account_id=account_id, kind="unusual", tracker_id=None, tag_id=None,
                               params=unusual.params(), now=int(start))  # fmt: skip
    found = milestone(world, [item["alias"] for item in outcome.ok], start=start, now=now)
    if found is None:
        return
    alias, mark = found
    tracker_id = next(item["resourceId"] for item in outcome.ok if item["alias"] == alias)
    level = alert_rules.Rule(kind="threshold", metric="followers", value=float(mark), direction="above")
    await alert_store.add_rule(conn, account_id=account_id, kind="threshold", tracker_id=tracker_id, tag_id=None,
                               params=level.params(), now=int(start))  # fmt: skip


async def ensure_demo(
    settings: Settings,
    engine: AsyncEngine,
    *,
    now: float,
    days: int = DEMO_DAYS,
    on_progress: Callable[[int, int], None] | None = None,
) -> DemoLogin | None:
    """Create the demo account with `days` of history when the database has no account yet; None otherwise."""
    build = await create_demo(settings, engine, now=now, days=days)
    if build is None:
        return None
    await build.history(on_progress)
    return build.login


def banner(login: DemoLogin, *, host: str, port: int) -> str:
    """How a new user logs in, printed when the demo was just made."""
    base = f"http://{host}:{port}"
    return (
        f"\n  Roost is ready with a demo account (simulated data from the built-in X API emulator).\n"
        f"  Dashboard: {base}/dashboard   email: {login.email}   password: {login.password}\n"
        f"  API:       curl -s {base}/authorize/email/login -H 'Content-Type: application/json' "
        f"""-d '{{"email": "{login.email}", "password": "{login.password}"}}'\n"""
    )


async def demo_still_default(engine: AsyncEngine) -> DemoLogin | None:
    """The demo login while the demo account still has its published password (so every start reprints it)."""
    async with engine.connect() as conn:
        account = await account_store.get_account_by_email(conn, email=DEMO_EMAIL)
    if account is None or not auth.verify_password(account.password_hash, DEMO_PASSWORD):
        return None
    return DemoLogin(email=DEMO_EMAIL, password=DEMO_PASSWORD, aliases=list(DEMO_ACCOUNTS))


def print_progress(done: int, days: int) -> None:
    """One line per few days on stdout: `roost serve` shows how far the demo's history got."""
    if done == days or done % 5 == 0:
        print(f"  Building the demo's simulated history: {done}/{days} days", flush=True)


def building_status(done: int, days: int, reached: float) -> str:
    """What `/healthz`'s `demo` field and the dashboard's build banner say while the history is collected."""
    day = datetime.fromtimestamp(reached, UTC).strftime("%d %b")
    return f"building {done}/{days} days (collected up to {day}, simulated time)"


async def build_in_background(
    build: DemoBuild, status: dict[str, str], on_progress: Callable[[int, int], None] | None = print_progress
) -> None:
    """The history of a demo just made, its progress kept in `status["demo"]` (the runtime's background status:
    `building`, `building 12/30 days (...)`, then `ready`) while the dashboard already answers."""
    status["demo"] = "building"

    def progress(done: int, days: int) -> None:
        status["demo"] = building_status(done, days, build.clock.now())
        if on_progress is not None:
            on_progress(done, days)

    await build.history(progress)
    status["demo"] = "ready"


async def prepare(settings: Settings, *, demo: bool = True) -> None:
    """Before serving: migrate, and (with `demo`, on the emulator) build the demo on a first run, showing
    progress, and print its login on every start while the demo account keeps its default password."""
    async with open_runtime(settings) as rt:
        if not (demo and settings.demo and settings.uses_embedded_emulator):
            return
        login = await ensure_demo(settings, rt.engine, now=rt.clock.now(), on_progress=print_progress)
        if login is None:
            login = await demo_still_default(rt.engine)
    if login is not None:
        print(banner(login, host=settings.host, port=settings.port), flush=True)
