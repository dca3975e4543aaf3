"""The budget the collector spends within: before each unit of work below snapshots it asks whether the unit fits.

Priority order: snapshots, new posts, metric refreshes, backfills. A unit of `purpose` fits when

    month spent so far + the projected spend of every higher priority for the rest of the billing month
    + this unit's worst case  <=  the monthly budget

so the lowest priorities are cut first and the budget is never passed. The projection: snapshots cost one user
read a tracked account a UTC day (those not yet charged today, then every day left); new posts and refreshes cost
what the meter saw them cost a day over the last week (whatever billing month those days were in), and never less
than the archived accounts' posting rates say (their `tweet_count` over their age, times the reads a post costs
under the refresh schedule): on the first day nothing has a history yet, and a backfill must not spend what the
month's new posts will need. A backfill's own unit also carries what archiving that account costs for the rest of
the month (its new posts and their refreshes), since reading it back commits to following it. A unit's worst
case: every result it may return (pages of 100 posts) at the price, minus what was already charged today (reading
it again is free), which the ledger knows.

Every change of a purpose's state (cut, resumed) is logged once and kept in `budget_decisions` for the usage page.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from roost.config import Settings
from roost.core.billing import PriceTable, parse_refresh_schedule
from roost.core.clock import Clock
from roost.core.metering import DAY, Purpose, billing_month, cost, day_start
from roost.core.planner import reads_per_post
from roost.store import spending as decision_store
from roost.store import usage
from roost.store.db import transaction
from roost.store.schema import snapshots, trackers, x_users

log = logging.getLogger("roost.budget")

PRIORITY: tuple[Purpose, ...] = ("snapshots", "new_posts", "refreshes", "backfills")
LOOKBACK_DAYS = 7
DEFAULT_STAGES = parse_refresh_schedule("1h,24h")  # ROOST_REFRESH_SCHEDULE's default


@dataclass(frozen=True, slots=True)
class Outlook:
    """The month as the budget sees it, in US dollars."""

    spent: Decimal
    posts: int  # post reads charged this billing month (a legacy plan's cap counts them)
    projected: dict[str, Decimal]  # rest of the month, by purpose (snapshots, new_posts, refreshes)


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit of work's worst case: its price and the post reads it may cost."""

    cost: Decimal
    posts: int = 0


@dataclass
class SpendingGate:
    engine: AsyncEngine
    clock: Clock
    prices: PriceTable
    budget: Decimal | None  # US dollars a billing month (None: no dollar budget)
    billing_day: int = 1
    post_cap: int | None = None  # a legacy plan's monthly post cap (None: none)
    refresh_stages: tuple[int, ...] = DEFAULT_STAGES  # what a new post costs in reads over its life
    archive: bool = True  # the collector archives posts (ROOST_TIMELINE): new posts and refreshes cost money
    _state: dict[str, str] = field(default_factory=dict)  # purpose -> 'cut' | 'resumed', as this process last saw

    async def outlook(self) -> Outlook:
        now = self.clock.now()
        start, end = billing_month(now, self.billing_day)
        today = day_start(now)
        days_left = max(0, (end - today) // DAY - 1)  # whole days after today
        async with self.engine.connect() as conn:
            month = await usage.totals(conn, start_day=start, end_day=today + DAY)
            spent = cost(self.prices, users=month[0].users, posts=month[0].posts) if month else Decimal(0)
            tracked = int(await conn.scalar(select(func.count()).where(x_users.c.collect.is_(True))) or 0)
            snapped_today = await usage.totals(conn, start_day=today, end_day=today + DAY, by="purpose")
            lookback = today - LOOKBACK_DAYS * DAY
            week = await usage.totals(conn, start_day=lookback, end_day=today, by="purpose")
            first = await usage.first_day(conn, start_day=lookback, end_day=today)
            rate = await self._archived_rate(conn, now) if self.archive else 0.0
        today_by = {row.key: cost(self.prices, users=row.users, posts=row.posts) for row in snapped_today}
        users_today = next((row.users for row in snapped_today if row.key == "snapshots"), 0)
        days_seen = (today - first) // DAY if first is not None else 0
        projected = {"snapshots": cost(self.prices, users=max(0, tracked - users_today) + tracked * days_left)}
        by_rate = self._post_costs(rate)
        for purpose in ("new_posts", "refreshes"):
            row = next((r for r in week if r.key == purpose), None)
            seen = cost(self.prices, users=row.users, posts=row.posts) / days_seen if row and days_seen else Decimal(0)
            daily = max(seen, by_rate[purpose])
            projected[purpose] = max(Decimal(0), daily - today_by.get(purpose, Decimal(0))) + daily * days_left
        return Outlook(spent, month[0].posts if month else 0, projected)

    def _post_costs(self, posts_a_day: float) -> dict[str, Decimal]:
        """Dollars a day that posting at this rate costs: each post's first read, then its refreshes."""
        posts = Decimal(str(round(posts_a_day, 4)))
        first = self.prices.post * posts
        return {"new_posts": first, "refreshes": first * (reads_per_post(self.refresh_stages) - 1)}

    async def _archived_rate(self, conn: AsyncConnection, now: float) -> float:
        """Posts a day the accounts being archived (followed, archived by an active tracker, read at least once)
        publish, from each one's latest `tweet_count` over its age."""
        age = int(now) - x_users.c.account_created_at
        per_day = snapshots.c.tweets * float(DAY) / case((age < DAY, DAY), else_=age)
        query = (
            select(func.sum(per_day))
            .select_from(
                x_users.join(
                    snapshots, and_(snapshots.c.x_user_id == x_users.c.id, snapshots.c.bucket == x_users.c.last_bucket)
                )
            )
            .where(
                x_users.c.collect.is_(True),
                x_users.c.state == "ok",
                x_users.c.tweet_count_seen.is_not(None),
                exists().where(
                    trackers.c.x_user_id == x_users.c.id, trackers.c.status == "active", trackers.c.archive.is_(True)
                ),
            )
        )
        return float(await conn.scalar(query) or 0.0)

    async def archive_month(self, *, tweet_count: int, created_at: int | None) -> Decimal:
        """What archiving one more account costs for the rest of the billing month: its new posts (at its
        lifetime posting rate) and their refreshes, today and every day left. Added to a backfill's unit."""
        if not self.archive or created_at is None:
            return Decimal(0)
        now = self.clock.now()
        _, end = billing_month(now, self.billing_day)
        days = max(1, (end - day_start(now)) // DAY)
        daily = self._post_costs(tweet_count * DAY / max(DAY, int(now) - created_at))
        return (daily["new_posts"] + daily["refreshes"]) * days

    async def worst_case(self, *, users: Sequence[int] = (), posts: Sequence[int] = (), more_posts: int = 0,
                         more_users: int = 0) -> Unit:  # fmt: skip
        """The most a unit can cost: these ids (minus those charged today) plus `more_*` unknown resources."""
        today = day_start(self.clock.now())
        async with self.engine.connect() as conn:
            seen_users = await usage.charged_ids(conn, day=today, resource="user", ids=users) if users else set()
            seen_posts = await usage.charged_ids(conn, day=today, resource="post", ids=posts) if posts else set()
        new_posts = len(set(posts) - seen_posts) + more_posts
        return Unit(cost(self.prices, users=len(set(users) - seen_users) + more_users, posts=new_posts), new_posts)

    async def fits(self, purpose: Purpose, unit: Unit, *, record: bool = True) -> bool:
        """Whether a unit of `purpose` costing at most `cost` fits the budget after the higher priorities
        (`record`: a change of the purpose's state is a decision to log and keep; a what-if check is not)."""
        outlook = await self.outlook()
        higher = PRIORITY[: PRIORITY.index(purpose)] if purpose in PRIORITY else PRIORITY
        need = outlook.spent + sum((outlook.projected.get(p, Decimal(0)) for p in higher), Decimal(0)) + unit.cost
        ok = self.budget is None or need <= self.budget
        if self.post_cap is not None and unit.posts and outlook.posts + unit.posts > self.post_cap:
            ok = False
        if record:
            await self._decide(purpose, ok, outlook, need)
        return ok

    async def _decide(self, purpose: Purpose, ok: bool, outlook: Outlook, need: Decimal) -> None:
        decision = "resumed" if ok else "cut"
        if purpose not in self._state:  # a process starting up takes the state the last decision left
            async with self.engine.connect() as conn:
                self._state[purpose] = await decision_store.latest_decision(conn, purpose=purpose) or "resumed"
        if self._state[purpose] == decision:
            return
        self._state[purpose] = decision
        limits = [f"the ${self.budget:.2f} budget"] if self.budget is not None else []
        if self.post_cap is not None:
            limits.append(f"the {self.post_cap} post cap ({outlook.posts} read)")
        detail = (
            f"month spent ${outlook.spent:.2f} + projected higher priorities and this unit "
            f"${need - outlook.spent:.2f} {'within' if ok else 'would pass'} {' and '.join(limits)}"
        )
        async with transaction(self.engine) as conn:
            recorded = await decision_store.record_decision(
                conn, purpose=purpose, decision=decision, detail=detail, now=int(self.clock.now())
            )
        if recorded:
            log.warning("budget: %s %s (%s)", purpose, decision, detail)


def prices_for(settings: Settings) -> PriceTable:
    """The price table: X's published rates unless the settings name others."""
    return PriceTable(user=Decimal(str(settings.x_price_user)), post=Decimal(str(settings.x_price_post)))


def spending_gate(settings: Settings, *, engine: AsyncEngine, clock: Clock) -> SpendingGate | None:
    """The budget `ROOST_X_MONTHLY_BUDGET` and the cap `ROOST_X_POST_CAP` set (None: neither)."""
    budget = settings.x_monthly_budget
    if budget is None and settings.x_post_cap is None:
        return None
    return SpendingGate(
        engine=engine,
        clock=clock,
        prices=prices_for(settings),
        budget=None if budget is None else Decimal(str(budget)),
        billing_day=settings.x_billing_day,
        post_cap=settings.x_post_cap,
        refresh_stages=parse_refresh_schedule(settings.refresh_schedule),
        archive=settings.timeline,
    )
