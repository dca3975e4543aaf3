"""What X charges and what is held back, for every face: the meter's sums priced (per day and billing month, per
endpoint, purpose, tracker and account), the upstream's state (`upstream_status`: what is paused, why, until
when, and whether the budget still holds snapshots), the operator's resume, and the budget check a new tracker
passes (its monthly cost is named when it does not fit).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, Literal

from roost.collector.spending import SpendingGate, Unit, prices_for, spending_gate
from roost.core.billing import PriceTable
from roost.core.metering import DAY, billing_month, cost, day_start
from roost.metrics import UPSTREAM_PAUSES
from roost.services.errors import Invalid, ServiceError
from roost.services.runtime import Runtime
from roost.store import pauses as pause_store
from roost.store import spending as decision_store
from roost.store import usage
from roost.store.db import transaction
from roost.store.pauses import Pause
from roost.store.spending import Decision

log = logging.getLogger("roost.upstream")

ResumeKind = Literal["posts", "all"]


class OverBudget(ServiceError):
    """The monthly X budget cannot pay for this (a new tracker's snapshots)."""

    status = 403


@dataclass(frozen=True, slots=True)
class UsageLine:
    """Resources X charged under one key, and their price."""

    key: str | int
    users: int
    posts: int
    dollars: Decimal


@dataclass(frozen=True, slots=True)
class UpstreamStatus:
    paused: list[Pause]  # what X refused and Roost holds back
    budget: Decimal | None  # the monthly budget (None: none set)
    month_spent: Decimal  # what the meter priced this billing month
    cut: list[str]  # purposes the budget holds back now ('snapshots' among them: the budget no longer holds them)
    decisions: list[Decision]  # the budget's latest decisions, newest first

    @property
    def ok(self) -> bool:
        return not self.paused and "snapshots" not in self.cut


def prices(rt: Runtime) -> PriceTable:
    return prices_for(rt.settings)


def month_of(rt: Runtime, when: float | None = None) -> tuple[int, int]:
    """The billing month holding `when` (default now): [start, end) in unix seconds."""
    return billing_month(rt.now() if when is None else when, rt.settings.x_billing_day)


def _priced(rt: Runtime, rows: list[usage.UsageRow]) -> list[UsageLine]:
    table = prices(rt)
    return [UsageLine(r.key, r.users, r.posts, cost(table, users=r.users, posts=r.posts)) for r in rows]


async def usage_by(
    rt: Runtime,
    *,
    start: int,
    end: int,
    by: Literal["total", "day", "endpoint", "purpose", "x_user", "tracker", "account"],
    account_id: int | None = None,
) -> list[UsageLine]:
    """What X charged from the UTC day of `start` up to (not including) the day of `end`, grouped `by` a key;
    with `account_id`, only what that account's trackers cost (tracker and account groupings)."""
    start_day, end_day = day_start(start), day_start(end - 1) + DAY if end > start else day_start(start)
    async with rt.engine.connect() as conn:
        if by == "tracker":
            rows = await usage.totals_by_tracker(conn, start_day=start_day, end_day=end_day, account_id=account_id)
        elif by == "account":
            rows = await usage.totals_by_account(conn, start_day=start_day, end_day=end_day, account_id=account_id)
        else:
            grouping = None if by == "total" else by
            rows = await usage.totals(conn, start_day=start_day, end_day=end_day, by=grouping)
    return _priced(rt, rows)


def gate(rt: Runtime) -> SpendingGate | None:
    return spending_gate(rt.settings, engine=rt.engine, clock=rt.clock)


async def upstream_status(rt: Runtime) -> UpstreamStatus:
    """What is paused upstream and what the budget holds back (for /healthz, the dashboard's banner, the CLI)."""
    start, end = month_of(rt)
    async with rt.engine.connect() as conn:
        paused = await pause_store.list_pauses(conn)
        cut = await decision_store.cut_purposes(conn)
        decisions = await decision_store.list_decisions(conn, since=start, limit=20)
        month = await usage.totals(conn, start_day=start, end_day=end)
    spent = cost(prices(rt), users=month[0].users, posts=month[0].posts) if month else Decimal(0)
    budget = rt.settings.x_monthly_budget
    return UpstreamStatus(
        paused=[p for p in paused if p.until is None or p.until > rt.now()],
        budget=None if budget is None else Decimal(str(budget)),
        month_spent=spent,
        cut=cut if budget is not None else [],
        decisions=decisions,
    )


async def resume(rt: Runtime, kind: str = "all") -> list[Pause]:
    """The operator's resume: lift the posts pause ('posts') or every pause ('all'); returns what was lifted."""
    if kind not in ("posts", "all"):
        raise Invalid("kind", f"kind: '{kind}' is not one of posts, all.")
    kinds = ["posts"] if kind == "posts" else ["posts", "all"]
    async with transaction(rt.engine) as conn:
        lifted = await pause_store.end_pauses(conn, kinds=kinds)
    for pause in lifted:
        UPSTREAM_PAUSES.labels(pause.kind, "resumed").inc()
        log.warning("upstream: %s requests resumed by an operator (were paused: %s)", pause.kind, pause.detail)
    return lifted


async def check_new_trackers(rt: Runtime, count: int) -> None:
    """Refuse new trackers the budget cannot hold: their snapshots for the rest of the month (one user read a
    UTC day each) must fit after what is spent and projected. OverBudget names the monthly cost."""
    spending = gate(rt)
    if spending is None or count <= 0:
        return
    start, end = month_of(rt)
    days = max(1, (end - day_start(rt.now())) // DAY)
    rest = cost(prices(rt), users=count * days)
    if await spending.fits("snapshots", Unit(rest), record=False):
        return
    monthly = cost(prices(rt), users=count * (end - start) // DAY)
    raise OverBudget(
        "x_budget_exceeded",
        f"The X API budget of ${spending.budget or 0:.2f} a month cannot pay for {count} more tracked "
        f"account{'s' if count != 1 else ''}: their hourly snapshots cost ${monthly:.2f} a month "
        f"(${rest:.2f} for the rest of this billing month) and the month's spending and projection leave no room.",
        field="alias",
    )


def _iso(when: int | None) -> str | None:
    return None if when is None else datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def upstream_document(state: UpstreamStatus) -> dict[str, Any]:
    """The upstream state as /healthz and `roost upstream status --json` show it (one declaration of its fields)."""
    return {
        "paused": [
            {
                "kind": p.kind,
                "reason": p.reason,
                "detail": p.detail,
                "since": _iso(p.since),
                "until": _iso(p.until),
                "lastProbe": _iso(p.probe_at),
            }
            for p in state.paused
        ],
        "budget": None if state.budget is None else float(state.budget),
        "monthSpent": float(state.month_spent),
        "budgetCut": state.cut,
        "snapshotsHeld": "snapshots" in state.cut,
    }


def describe(state: UpstreamStatus) -> list[str]:
    """The same state as sentences (the CLI, the dashboard's banner)."""
    lines = []
    for p in state.paused:
        what = "post reads (timelines, post lookups)" if p.kind == "posts" else "every X request"
        why = "the monthly post cap is reached" if p.reason == "cap" else "the X credits are spent (402)"
        until = f"until {_iso(p.until)}" if p.until is not None else "until a probe succeeds (every 10 min) or resume"
        lines.append(f"Paused: {what}, because {why} ({p.detail}), {until}.")
    if "snapshots" in state.cut:
        lines.append(f"The monthly X budget (${state.budget:.2f}) no longer holds even the hourly snapshots.")
    elif state.cut:
        lines.append(f"The monthly X budget holds back: {', '.join(state.cut)}.")
    return lines
