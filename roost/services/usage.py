"""The usage report every face shows (`roost usage`, `GET /usage`, the dashboard's usage page): what X charged in a
billing month by UTC day and spending kind, by endpoint and by tracker, the month's projection against the
budget, what is paused or cut and why, and, where X serves `GET /2/usage/tweets`, X's own post count beside the
meter's.

Two scopes: the operator's whole bill (`account=None`), and what one account's own trackers cost (a resource is
attributed to every account tracking its X user that day: X charged it once, so the accounts' shares can add up
to more than the bill).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal

from roost.collector.spending import SpendingGate
from roost.core.metering import DAY, billing_month, cost, day_start
from roost.schemas.usage import (
    CostDocument,
    DecisionDocument,
    PauseDocument,
    TrackerCostDocument,
    UsageDayDocument,
    UsageDocument,
    XUsageDocument,
)
from roost.services import spending
from roost.services.errors import Invalid, ServiceError
from roost.services.runtime import Runtime
from roost.store import usage_kinds
from roost.store.accounts import Account
from roost.xapi.usage import XPostUsage, post_usage

KINDS = ("snapshots", "new_posts", "refreshes", "backfills", "lookups")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class Forbidden(ServiceError):
    status = 403


def scope_for(rt: Runtime, account: Account, scope: str) -> Account | None:
    """The account whose trackers a report covers: its own (`account`), or none, i.e. the whole bill (`all`), for
    the operators `ROOST_OPERATORS` names."""
    if scope == "account":
        return account
    if scope != "all":
        raise Invalid("scope", f"scope: '{scope}' is not one of account, all.")
    operators = {e.strip().lower() for e in rt.settings.operators.split(",") if e.strip()}
    if account.email.lower() not in operators:
        raise Forbidden(
            "not_an_operator", "Only the operators ROOST_OPERATORS names see the whole X bill.", field="scope"
        )
    return None


@dataclass(frozen=True, slots=True)
class Cost:
    users: int = 0
    posts: int = 0
    dollars: Decimal = Decimal(0)

    def __add__(self, other: Cost) -> Cost:
        return Cost(self.users + other.users, self.posts + other.posts, self.dollars + other.dollars)


@dataclass
class UsageDay:
    day: date
    kinds: dict[str, Cost] = field(default_factory=dict)
    x_posts: int | None = None  # X's own count of the day's post reads (GET /2/usage/tweets), if served

    @property
    def total(self) -> Cost:
        return sum(self.kinds.values(), Cost())


@dataclass
class UsageReport:
    scope: str  # "all" (the operator's whole bill) or "account"
    start: int  # the billing month [start, end), unix seconds
    end: int
    now: int
    days: list[UsageDay]
    kinds: dict[str, Cost]
    endpoints: dict[str, Cost]
    trackers: list[tuple[str, str, Cost]]  # (tracker id, alias, cost), most expensive first
    spent: Decimal
    projected: Decimal  # the month's end at the current pace (spent, once the month is over)
    budget: Decimal | None
    status: spending.UpstreamStatus
    x_usage: XPostUsage | None

    @property
    def current(self) -> bool:
        return self.start <= self.now < self.end


def month_bounds(rt: Runtime, month: str | None) -> tuple[int, int]:
    """The billing month named `YYYY-MM` (it starts on `ROOST_X_BILLING_DAY` of that month), or the current one."""
    if month is None:
        return spending.month_of(rt)
    found = _MONTH.fullmatch(month.strip())
    if found is None or not 1 <= int(found.group(2)) <= 12 or int(found.group(1)) < 2006:
        raise Invalid("month", f"month: '{month}' is not a month like 2026-12.")
    first = datetime(int(found.group(1)), int(found.group(2)), 1, tzinfo=UTC).timestamp()
    start, end = billing_month(first + (rt.settings.x_billing_day - 1) * DAY, rt.settings.x_billing_day)
    return start, end


async def report(
    rt: Runtime, *, account: Account | None = None, month: str | None = None, ask_x: bool = True
) -> UsageReport:
    """The month's usage for the whole bill (`account` None) or one account's trackers. `ask_x`: also read X's
    own post count (the whole bill only: X counts the Project, not an account)."""
    start, end = month_bounds(rt, month)
    now = rt.now()
    prices = spending.prices(rt)
    account_id = None if account is None else account.id
    async with rt.engine.connect() as conn:
        rows = await usage_kinds.by_day_and_purpose(conn, start_day=start, end_day=end, account_id=account_id)
        names = await usage_kinds.tracker_aliases(conn, account_id=account_id)
    by_day: dict[int, UsageDay] = {}
    for row in rows:
        line = by_day.setdefault(row.day, UsageDay(datetime.fromtimestamp(row.day, UTC).date()))
        line.kinds[row.purpose] = Cost(row.users, row.posts, cost(prices, users=row.users, posts=row.posts))
    days = [by_day[d] for d in sorted(by_day)]
    kinds: dict[str, Cost] = {}
    for line in days:
        for kind, spent_on in line.kinds.items():
            kinds[kind] = kinds.get(kind, Cost()) + spent_on
    spent = sum((c.dollars for c in kinds.values()), Decimal(0))
    endpoints: dict[str, Cost] = {}
    if account is None:
        for e in await spending.usage_by(rt, start=start, end=end, by="endpoint"):
            endpoints[str(e.key)] = Cost(e.users, e.posts, e.dollars)
    per_tracker = await spending.usage_by(rt, start=start, end=end, by="tracker", account_id=account_id)
    trackers = sorted(
        ((str(t.key), names.get(str(t.key), "?"), Cost(t.users, t.posts, t.dollars)) for t in per_tracker),
        key=lambda item: (-item[2].dollars, item[1]),
    )
    status = await spending.upstream_status(rt)
    x_usage = None
    if ask_x and account is None and start <= now < end + DAY:
        x_usage = await post_usage(rt.xclient, days=max(1, min(90, (now - start) // DAY + 1)))
        if x_usage is not None:
            for line in days:
                line.x_posts = x_usage.daily.get(line.day, 0) if x_usage.daily else None
    return UsageReport(
        scope="all" if account is None else "account",
        start=start,
        end=end,
        now=now,
        days=days,
        kinds=kinds,
        endpoints=endpoints,
        trackers=trackers,
        spent=spent,
        projected=await _projection(rt, days, spent, start, end, whole=account is None),
        budget=status.budget,
        status=status,
        x_usage=x_usage,
    )


async def _projection(
    rt: Runtime, days: list[UsageDay], spent: Decimal, start: int, end: int, *, whole: bool
) -> Decimal:
    """The month's spend at its end. The whole bill: the budget's own outlook (snapshots of every tracked account
    for each day left, new posts and refreshes at last week's daily pace), so the page and the budget agree. One
    account: its daily spend over the last week's complete days (backfills left out: they happen once)."""
    now = rt.now()
    if now >= end:
        return spent
    if whole:
        gate = SpendingGate(
            engine=rt.engine,
            clock=rt.clock,
            prices=spending.prices(rt),
            budget=None,
            billing_day=rt.settings.x_billing_day,
        )
        outlook = await gate.outlook()
        return outlook.spent + sum(outlook.projected.values(), Decimal(0))
    today = day_start(now)
    recent = [d for d in days if today - 7 * DAY <= _ts(d.day) < today]
    steady = sum((c.dollars for d in recent for k, c in d.kinds.items() if k != "backfills"), Decimal(0))
    daily = (
        steady / max(1, len(recent))
        if recent
        else sum(
            (c.dollars for d in days if _ts(d.day) == today for k, c in d.kinds.items() if k != "backfills"), Decimal(0)
        )
    )
    today_spent = sum((d.total.dollars for d in days if _ts(d.day) == today), Decimal(0))
    days_left = max(0, (end - today) // DAY - 1)
    return spent + max(Decimal(0), daily - today_spent) + daily * days_left


def _ts(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def _usd(value: Decimal) -> float:
    """Dollars as a JSON number: every price is a multiple of a tenth of a cent, so 4 places are exact."""
    return round(float(value), 4)


def _cost(cost: Cost) -> CostDocument:
    return CostDocument(users=cost.users, posts=cost.posts, dollars=_usd(cost.dollars))


def _iso_day(when: int) -> str:
    return datetime.fromtimestamp(when, UTC).date().isoformat()


def document(r: UsageReport) -> UsageDocument:
    """The report as the API and `roost usage --json` answer it."""
    st, x = r.status, r.x_usage
    return UsageDocument(
        scope="all" if r.scope == "all" else "account",
        monthStart=_iso_day(r.start),
        monthEnd=_iso_day(r.end),
        dollars=_usd(r.spent),
        projected=_usd(r.projected),
        budget=None if r.budget is None else _usd(r.budget),
        kinds={k: _cost(c) for k, c in r.kinds.items()},
        endpoints={k: _cost(c) for k, c in r.endpoints.items()},
        days=[
            UsageDayDocument(
                date=d.day.isoformat(),
                dollars=_usd(d.total.dollars),
                kinds={k: _cost(c) for k, c in d.kinds.items()},
                xPosts=d.x_posts,
            )
            for d in r.days
        ],
        trackers=[
            TrackerCostDocument(resourceId=i, alias=a, users=c.users, posts=c.posts, dollars=_usd(c.dollars))
            for i, a, c in r.trackers
        ],
        paused=[
            PauseDocument(kind=p.kind, reason=p.reason, detail=p.detail, since=p.since, until=p.until)
            for p in st.paused
        ],
        budgetCut=list(st.cut),
        snapshotsHeld="snapshots" in st.cut,
        decisions=[
            DecisionDocument(at=d.at, purpose=d.purpose, decision=d.decision, detail=d.detail) for d in st.decisions
        ],
        xUsage=None
        if x is None
        else XUsageDocument(
            capResetDay=x.cap_reset_day,
            projectCap=x.project_cap,
            projectUsage=x.project_usage,
            meterPosts=sum(c.posts for c in r.kinds.values()),
        ),
    )
