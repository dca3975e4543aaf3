"""Wire models of what X costs: the archive switch, the usage answers, the cost preview (a module of its own
so it can move into the schemas package as a whole)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from roost.schemas.base import Input, Wire


class ArchiveBody(Input):
    archive: StrictBool = Field(
        description="Archive the account's posts (true) or keep hourly snapshots only (false, the cheapest)"
    )


class CostDocument(Wire):
    users: int = Field(description="User reads X charged (each user once per UTC day)")
    posts: int = Field(description="Post reads X charged (each post once per UTC day)")
    dollars: float = Field(description="Their price in US dollars (ROOST_X_PRICE_USER, ROOST_X_PRICE_POST)")


class UsageDayDocument(Wire):
    date: str = Field(description="The UTC day, YYYY-MM-DD")
    dollars: float
    kinds: dict[str, CostDocument] = Field(description="By kind: snapshots, new_posts, refreshes, backfills, lookups")
    xPosts: int | None = Field(description="X's own count of the day's post reads (GET /2/usage/tweets), if served")


class TrackerCostDocument(Wire):
    resourceId: str
    alias: str
    users: int
    posts: int
    dollars: float


class PauseDocument(Wire):
    kind: str = Field(description="posts (a reached post cap) or all (spent credits)")
    reason: str = Field(description="cap or credits")
    detail: str
    since: int
    until: int | None = Field(description="When it lifts by itself (a cap's reset day); null: a probe or resume")


class DecisionDocument(Wire):
    at: int
    purpose: str
    decision: str = Field(description="cut or resumed")
    detail: str


class XUsageDocument(Wire):
    capResetDay: int | None
    projectCap: int | None
    projectUsage: int | None = Field(description="Post reads this cap period as X counts them")
    meterPosts: int = Field(description="Post reads this billing month as Roost's meter counts them")


class UsageDocument(Wire):
    scope: Literal["all", "account"] = Field(description="all: the operator's whole bill; account: its own trackers")
    monthStart: str = Field(description="The billing month's first UTC day (ROOST_X_BILLING_DAY)")
    monthEnd: str = Field(description="The next billing month's first UTC day")
    dollars: float = Field(description="Charged so far this billing month")
    projected: float = Field(description="The month's end at the current pace (the charge itself once it is over)")
    budget: float | None = Field(description="ROOST_X_MONTHLY_BUDGET, or null")
    kinds: dict[str, CostDocument]
    endpoints: dict[str, CostDocument] = Field(description="By X endpoint (the whole bill only)")
    days: list[UsageDayDocument]
    trackers: list[TrackerCostDocument] = Field(description="By tracker, most expensive first")
    paused: list[PauseDocument]
    budgetCut: list[str] = Field(description="Kinds of work the budget holds back now")
    snapshotsHeld: bool = Field(description="The budget no longer holds even the hourly snapshots")
    decisions: list[DecisionDocument] = Field(description="The budget's latest decisions this month, newest first")
    xUsage: XUsageDocument | None = Field(description="X's own post count, where X serves GET /2/usage/tweets")
