"""Budget rules (roost.core.alerts, kind `budget`): after each snapshot pass, the billing month's X spend against
`ROOST_X_MONTHLY_BUDGET` and its charged post reads against `ROOST_X_POST_CAP`, from the cost meter's ledger
(roost.store.usage, the same figures `roost usage` and the budget gate read).

A budget rule watches the installation's whole bill (only operators may set one: services.alerts). Its subject is
the billing month ("m<start>"): it fires once, when the share is first passed in that month, and a new billing
month is a new subject, i.e. the rule re-arms when the billing period starts again. The firing transition is
claimed in the database (`claim_transition`), so two workers on PostgreSQL send it once. Without a budget (or a
cap, for `limit` cap) set, there is nothing to pass and the rule stays quiet.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from roost.collector.spending import SpendingGate
from roost.core import alerts as rules
from roost.core.metering import DAY, billing_month, cost, day_start
from roost.store import alerts as store
from roost.store import usage


async def check(conn: AsyncConnection, *, now: int, gate: SpendingGate | None) -> int:
    """Evaluate every budget rule; how many fired."""
    if gate is None:
        return 0
    found = await store.rules_of_kind(conn, kind="budget")
    if not found:
        return 0
    start, _ = billing_month(now, gate.billing_day)
    month = await usage.totals(conn, start_day=start, end_day=day_start(now) + DAY)
    users, posts = (month[0].users, month[0].posts) if month else (0, 0)
    spent = cost(gate.prices, users=users, posts=posts)
    fired = 0
    for row in found:
        rule = rules.Rule.from_params("budget", row.params)
        if rule.limit == "budget":
            verdict = rules.evaluate_budget(rule, float(spent), None if gate.budget is None else float(gate.budget))
        else:
            verdict = rules.evaluate_budget(rule, float(posts), None if gate.post_cap is None else float(gate.post_cap))
        if not verdict.holds:
            continue
        if not await store.claim_transition(conn, rule_id=row.id, subject=f"m{start}", now=now):
            continue  # already fired this billing month
        title = f"X budget: {verdict.summary}"
        stamp = datetime.fromtimestamp(now, UTC).isoformat().replace("+00:00", "Z")
        data = {"title": title, "summary": verdict.summary, "at": now,
                "rule": {"id": row.id, "kind": "budget", "params": row.params},
                "detail": {**verdict.detail, "billingMonthStart": start}}  # fmt: skip
        await store.add_event(
            conn, account_id=row.account_id, rule_id=row.id, kind="budget", x_user_id=None, tracker_id=None, at=now,
            title=title, payload={"type": "alert.budget", "timestamp": stamp, "data": data}, now=now,
        )  # fmt: skip
        fired += 1
    return fired
