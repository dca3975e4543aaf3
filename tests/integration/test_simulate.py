"""`roost simulate` against the emulator in virtual time: Roost's meter equals the emulator's bill to the cent, by
UTC day and by kind (users, posts, dollars); at the defaults an account posting 5 times a day costs no more than $2 a
month and $2 to start; and the issue's done-when runs (200 accounts over a month, faults on, two workers on
PostgreSQL; and the same under a budget of a few dollars), marked `month`: on a 2-core machine a simulated day of 200
accounts takes about a minute of real time, so `make test` leaves them out; run them with `pytest -m month`
(`ROOST_MONTH_DAYS=10` runs the same checks over 10 days)."""

from __future__ import annotations

import os
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from roost.config import Settings
from roost.core.metering import DAY
from roost.services.simulate import DEFAULT_START, Simulation, run
from roost.store.db import create_engine
from roost.store.schema import budget_decisions, snapshots

HOUR = 3600
# The month tests' span: 30 days by default; ROOST_MONTH_DAYS=7 runs the same checks over a shorter span.
MONTH_DAYS = int(os.environ.get("ROOST_MONTH_DAYS", "30"))


def defaults() -> Settings:
    return Settings(_env_file=None)


async def test_five_posts_a_day_cost_under_two_dollars_a_month_and_to_start() -> None:
    outcome = await run(Simulation(days=3, accounts=3, posts_per_day=5, settings=defaults()))
    assert outcome.matches, (outcome.bill, outcome.meter)
    assert [d.date for d in outcome.bill][:3] == ["2026-11-01", "2026-11-02", "2026-11-03"]
    assert all(abs(rate - 5) <= 5 * 0.15 for rate in outcome.rates)
    per_month = sum(outcome.monthly.values(), Decimal(0)) / 3
    per_start = (outcome.start_cost + outcome.tracker_lookups) / 3
    assert Decimal("1.00") < per_month <= Decimal("2.00"), outcome.monthly
    assert per_start == Decimal("1.01")  # 200 posts read back and the lookup that created the tracker
    assert outcome.monthly["snapshots"] == Decimal("0.90")  # one user read a UTC day each, 30 days, 3 accounts


async def test_bad_simulations_are_refused_before_anything_runs() -> None:
    from roost.services.errors import Invalid

    for bad, field in (
        ({"days": 0}, "days"), ({"accounts": 0}, "accounts"), ({"posts_per_day": 100.0}, "posts-per-day"),
        ({"budget": -1.0}, "budget"), ({"workers": 2, "database_url": "sqlite+aiosqlite:///x.db"}, "workers"),
    ):  # fmt: skip
        sim = Simulation(**{"days": 1, "accounts": 1, **bad})  # type: ignore[arg-type]
        with pytest.raises(Invalid) as caught:
            await run(sim)
        assert caught.value.field == field


@pytest.mark.month
@pytest.mark.postgres
@pytest.mark.timeout(6 * 3600)  # hours of real time, not the suite's per-test limit
async def test_a_month_of_200_accounts_meters_the_bill_to_the_cent(postgres_url: str) -> None:
    sim = Simulation(
        days=MONTH_DAYS, accounts=200, workers=2, faults=True, database_url=postgres_url, settings=defaults()
    )
    outcome = await run(sim)
    assert len(outcome.bill) >= MONTH_DAYS
    assert outcome.matches  # by UTC day: users, posts and dollars


@pytest.mark.month
@pytest.mark.postgres
@pytest.mark.timeout(6 * 3600)
async def test_a_month_of_200_accounts_under_a_budget_of_a_few_dollars(postgres_url: str) -> None:
    budget = Decimal("75.00")  # the snapshots of 200 accounts cost $60 a month: room for little else
    sim = Simulation(
        days=MONTH_DAYS, accounts=200, workers=2, faults=True, database_url=postgres_url, budget=float(budget),
        settings=defaults(),
    )  # fmt: skip
    outcome = await run(sim)
    assert outcome.matches
    months: dict[str, Decimal] = {}
    for day in outcome.bill:  # the budget is a billing month's (30 days from 1 November end in December)
        months[day.date[:7]] = months.get(day.date[:7], Decimal(0)) + day.dollars
    assert all(spent <= budget for spent in months.values()), months
    engine = create_engine(postgres_url)
    try:
        async with engine.connect() as conn:
            per_bucket: dict[int, int] = dict(
                (await conn.execute(select(snapshots.c.bucket, func.count()).group_by(snapshots.c.bucket))).all()
            )
            decisions = set((await conn.execute(select(budget_decisions.c.purpose, budget_decisions.c.decision))).all())
    finally:
        await engine.dispose()
    first = DEFAULT_START - DEFAULT_START % HOUR
    buckets = range(first, first + MONTH_DAYS * DAY, HOUR)
    assert {b: per_bucket.get(b, 0) for b in buckets} == dict.fromkeys(buckets, 200)  # hourly coverage kept
    assert ("backfills", "cut") in decisions and ("snapshots", "cut") not in decisions


async def test_plan_agrees_with_simulate_within_5_percent() -> None:
    from roost.core.planner import PlanInput, plan

    outcome = await run(Simulation(days=4, accounts=5, posts_per_day=10, settings=defaults()))
    assert outcome.matches
    rate = sum(outcome.rates) / len(outcome.rates)  # the accounts' own posting rates, as the emulator's world has them
    planned = plan(PlanInput(accounts=5, posts_per_day=rate))
    simulated = sum(outcome.monthly.values(), Decimal(0))
    assert abs(simulated - planned.usd_per_month) <= planned.usd_per_month * Decimal("0.05"), (simulated, planned)
    assert outcome.monthly["snapshots"] == next(m.usd_per_month for m in planned.monthly if m.kind == "snapshots")
