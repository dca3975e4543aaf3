"""`roost plan`'s arithmetic against the real collector's bill: for three mixes of accounts and posting rates,
the planner's dollars a month agree with `roost simulate`'s (the emulator billing like X, over virtual days) within
5 %, and so does the start-up cost of a tracker. The world is seeded, so the runs are the same every time."""

from __future__ import annotations

from decimal import Decimal

import pytest

from roost.config import Settings
from roost.core.billing import parse_refresh_schedule
from roost.core.planner import PlanInput, backfill_refresh_reads, plan
from roost.services import simulate

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("accounts", "posts_per_day"), [(10, 1.0), (10, 5.0), (5, 20.0)])
async def test_the_plan_agrees_with_the_simulation(accounts: int, posts_per_day: float) -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    outcome = await simulate.run(simulate.Simulation(days=5, accounts=accounts, posts_per_day=posts_per_day))
    assert outcome.matches  # the meter equals the emulator's bill, day by day
    rate = sum(outcome.rates) / len(outcome.rates)  # the tracked accounts' posting rates (within 15 % of asked)
    planned = plan(
        PlanInput(
            accounts=accounts,
            posts_per_day=rate,
            backfill=settings.backfill_depth,
            refresh=parse_refresh_schedule(settings.refresh_schedule),
            snapshot_interval=settings.snapshot_interval,
        )
    )
    simulated = sum(outcome.monthly.values(), Decimal(0))
    assert abs(planned.usd_per_month / simulated - 1) <= Decimal("0.05"), (planned.usd_per_month, outcome.monthly)
    by_kind = {m.kind: m.usd_per_month for m in planned.monthly}
    assert abs(by_kind["snapshots"] - outcome.monthly["snapshots"]) < Decimal("0.01")  # one user read a day
    # The simulation books the backfilled posts' pending refreshes as refreshes (on later days); the plan counts
    # them in the start-up. Without them the two start-ups agree.
    started = (outcome.start_cost + outcome.tracker_lookups) / accounts
    pending = Decimal("0.005") * backfill_refresh_reads(planned.input.refresh, planned.input.backfill, rate)
    assert abs(planned.startup_usd_per_account - pending - started) <= started / 20
