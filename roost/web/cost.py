"""The cost preview under the trackers page's add box: what one more tracked account costs a month and to start
at the settings' prices and policies (the page's cost.js multiplies by the names typed). The figures are the
planner's (`roost plan --accounts 1 --posts-per-day 5`), so the page and the command never disagree."""

from __future__ import annotations

from roost.services.planning import make_plan
from roost.services.runtime import Runtime

POSTS_PER_DAY = 5  # the preview's assumption, said on the page


def add_cost(rt: Runtime) -> dict[str, str]:
    """One more account posting 5 times a day: a month of hourly snapshots, a month of its archive (new posts and
    their metric refreshes) and the backfill that starts it, in dollars."""
    plan = make_plan(rt.settings, accounts=1, posts_per_day=POSTS_PER_DAY)
    monthly = {money.kind: money.usd_per_month for money in plan.monthly}
    snapshots = monthly.pop("snapshots")
    return {
        "snapshots": f"{snapshots:.4f}",
        "archive": f"{sum(monthly.values()):.4f}",
        "start": f"{plan.startup_usd_per_account:.4f}",
    }
