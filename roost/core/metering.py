"""What X bills and how it says stop, as plain data: the billable resources of an answer (users and posts,
`includes` too), X's cap and credit refusals told from the body, and which pause holds which endpoint.

Pure: the X client produces these (roost.xapi.metering), the collector's meter keeps them (roost.collector.meter),
the store sums them (roost.store.usage).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Literal

from roost.core.billing import PriceTable, Resource, billing_period, dollars, utc_day

Purpose = Literal["snapshots", "new_posts", "refreshes", "backfills", "lookups"]
ResourceKind = Literal["user", "post"]
PauseKind = Literal["posts", "all"]  # what a refusal stops: post-returning endpoints, or every billable request
RefusalReason = Literal["cap", "credits"]

# Endpoints whose answers are posts: the ones a reached post cap refuses.
POST_ENDPOINTS = frozenset({"GET /2/users/:id/tweets", "GET /2/tweets"})


def pause_kind_of(endpoint: str) -> PauseKind:
    """The narrowest pause that stops this endpoint: posts for post-returning endpoints, else everything."""
    return "posts" if endpoint in POST_ENDPOINTS else "all"


@dataclass(frozen=True, slots=True)
class Billable:
    kind: ResourceKind
    id: int
    x_user: int | None  # whose resource: a user itself, a post's author


@dataclass(frozen=True, slots=True)
class Receipt:
    """One successful answer's billable resources (an answer with nothing billable still says a probe worked)."""

    endpoint: str
    purpose: Purpose
    at: float
    items: tuple[Billable, ...]


@dataclass(frozen=True, slots=True)
class Refusal:
    """X said stop for a reason waiting out a rate-limit window cannot fix."""

    endpoint: str
    reason: RefusalReason
    detail: str
    at: float

    @property
    def pauses(self) -> PauseKind:
        return "posts" if self.reason == "cap" else "all"


def _int(value: Any) -> int | None:
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def billables(endpoint: str, body: dict[str, Any]) -> tuple[Billable, ...]:
    """Every resource an answer returned, as X bills it: `data` (users or posts by endpoint) and `includes`."""
    found: list[Billable] = []
    data = body.get("data") or []
    if isinstance(data, dict):
        data = [data]
    kind: ResourceKind = "post" if endpoint in POST_ENDPOINTS else "user"
    includes = body.get("includes") or {}
    for resource, items in ((kind, data), ("user", includes.get("users")), ("post", includes.get("tweets"))):
        for item in items or []:
            if not isinstance(item, dict):
                continue
            rid = _int(item.get("id"))
            if rid is None:
                continue
            owner = rid if resource == "user" else _int(item.get("author_id"))
            found.append(Billable(resource, rid, owner))  # type: ignore[arg-type]
    return tuple(found)


def refusal_of(status: int, body: Any, endpoint: str, at: float) -> Refusal | None:
    """X's cap and credit refusals, told from the body (a cap's 429 still shows quota left in its headers)."""
    if status == 402:
        detail = _detail(body) or "payment required: the project's credits are spent"
        return Refusal(endpoint, "credits", detail, at)
    if status == 429 and isinstance(body, dict):
        title, kind = str(body.get("title", "")), str(body.get("type", ""))
        if title == "UsageCapExceeded" or kind.endswith("/usage-capped"):
            return Refusal(endpoint, "cap", _detail(body) or "Usage cap exceeded", at)
    return None


def _detail(body: Any) -> str:
    if not isinstance(body, dict):
        return ""
    return str(body.get("detail") or body.get("title") or "")


def cost(prices: PriceTable, *, users: int = 0, posts: int = 0) -> Decimal:
    """Dollars for `users` user reads and `posts` post reads at `prices`."""
    return dollars({Resource.USER: users, Resource.POST: posts}, prices)


DAY = 86400


def day_start(when: float) -> int:
    """The UTC day (unix seconds of its midnight) a read at `when` is billed in."""
    return int(when) // DAY * DAY


def _unix(day: date) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def billing_month(when: float, start_day: int) -> tuple[int, int]:
    """The billing month holding `when` when months start on `start_day` (X's `cap_reset_day`): [start, end) in
    unix seconds (core.billing.billing_period, in the store's unit)."""
    first, after = billing_period(utc_day(when), start_day)
    return _unix(first), _unix(after)
