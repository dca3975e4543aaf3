"""The emulator's bill: what X would charge for the answers it gave, and when it would stop answering.

X bills pay-per-use per resource returned (spec/x-api.md, "Billing"): every user and post in a successful
answer's `data` and `includes`, each id once per UTC day per Project. The day is the emulator's own clock, so a
virtual month bills like a real one. Bearer tokens stand for X's apps: each belongs to a Project (by default all
to one), and a Project's post reads count toward its monthly post cap.

Decisions where X says nothing exact (also in the README):
- An answer the client never received in full (the dropped-connection fault) costs nothing, like a failed request:
  a client's meter can only count what arrived, and the emulator's bill must be checkable against it.
- The post cap counts charged (deduplicated) post reads of the billing period. A request is refused once the
  usage has reached the cap; the request that reaches it is served in full, so usage may pass the cap by at most
  one answer's posts.
- Credits are refused the same way: a billable request is answered 402 once the bill has reached the credits
  bought; the request that crosses that line is served and charged, so the bill may pass the credits by at most
  one answer. "Billable" is the endpoint, not the answer: once spent, even a request whose resources were already
  charged today is refused, as X blocks requests "until credits are added".

All state sits behind one lock: the app serves from one event loop, but tests and benchmarks also read the bill
from other threads.
"""

from __future__ import annotations

import hashlib
import threading
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from roost.core.billing import DEFAULT_PRICES, PAY_PER_USE_POST_CAP, PriceTable, Resource, billing_period, utc_day

DEFAULT_PROJECT = "default"
_KEEP_SEEN_DAYS = 2  # dedup sets of older days are dropped: the clock never goes back


@dataclass(slots=True)
class Receipt:
    """The ids of the users and posts one answer returns (filled by the handlers)."""

    users: set[int] = field(default_factory=set)
    posts: set[int] = field(default_factory=set)


def numeric_id(name: str, digits: int) -> str:
    """X's project and app ids are digit strings: a name that is one stays itself, any other is hashed (stable,
    so a restart keeps the ids; a token is never echoed)."""
    if name.isdigit():
        return name
    value = int.from_bytes(hashlib.blake2b(name.encode(), digest_size=8).digest(), "big")
    return str(10 ** (digits - 1) + value % (9 * 10 ** (digits - 1)))


def _dollars_text(amount: Decimal) -> str:
    return f"{amount:f}"


@dataclass
class BillingSettings:
    """Projects, the post cap and the credits; changed in place by the admin API (all or nothing)."""

    projects: dict[str, str] = field(default_factory=dict)  # bearer token -> Project name; others: DEFAULT_PROJECT
    post_cap: int | None = None  # monthly post reads per Project; None: pay-per-use's 2,000,000 (never reached)
    cap_reset_day: int = 1
    credits: Decimal | None = None  # US dollars bought; None: unlimited
    prices: PriceTable = DEFAULT_PRICES

    def validate(self) -> None:
        if self.post_cap is not None and self.post_cap < 0:
            raise ValueError("post_cap cannot be negative")
        if not 1 <= self.cap_reset_day <= 31:
            raise ValueError(f"cap_reset_day must be a day of the month 1..31, not {self.cap_reset_day}")
        if self.credits is not None and (not self.credits.is_finite() or self.credits < 0):
            raise ValueError("credits must be an amount of US dollars >= 0")
        for token, name in self.projects.items():
            if not token or not name or not isinstance(token, str) or not isinstance(name, str):
                raise ValueError("projects maps bearer tokens to non-empty Project names")

    def as_dict(self) -> dict[str, Any]:
        return {
            "projects": dict(self.projects),
            "post_cap": self.post_cap,
            "cap_reset_day": self.cap_reset_day,
            "credits": None if self.credits is None else _dollars_text(self.credits),
            "prices": {r.value: _dollars_text(self.prices.price(r)) for r in Resource},
        }

    def update(self, changes: dict[str, Any]) -> None:
        """Apply `changes` (keys of `as_dict` but prices); unknown keys or bad values raise ValueError."""
        unknown = set(changes) - {"projects", "post_cap", "cap_reset_day", "credits"}
        if unknown:
            raise ValueError(f"unknown billing settings: {', '.join(sorted(unknown))}")
        candidate = BillingSettings(self.projects, self.post_cap, self.cap_reset_day, self.credits, self.prices)
        try:
            if "projects" in changes:
                projects = changes["projects"]
                if not isinstance(projects, dict):
                    raise ValueError('projects must be an object {"<token>": "<project>"}')
                candidate.projects = {str(k): v for k, v in projects.items()}
            if "post_cap" in changes:
                candidate.post_cap = None if changes["post_cap"] is None else _whole(changes["post_cap"], "post_cap")
            if "cap_reset_day" in changes:
                candidate.cap_reset_day = _whole(changes["cap_reset_day"], "cap_reset_day")
            if "credits" in changes:
                candidate.credits = None if changes["credits"] is None else parse_dollars(changes["credits"])
        except (TypeError, ValueError) as exc:
            raise ValueError(f"bad billing setting: {exc}") from None
        candidate.validate()
        self.projects, self.post_cap = candidate.projects, candidate.post_cap
        self.cap_reset_day, self.credits = candidate.cap_reset_day, candidate.credits


def _whole(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{name} must be a whole number")
    return int(value)


def parse_dollars(value: Any) -> Decimal:
    """US dollars from a JSON number or string, or a command-line value ("5", "2.50")."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError("an amount of dollars must be a number")
    try:
        amount = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not an amount of dollars") from None
    if not amount.is_finite() or amount < 0:
        raise ValueError(f"{value!r} is not an amount of dollars >= 0")
    return amount


class Ledger:
    """Charged reads by (Project, UTC day, kind), with the day's dedup sets, and the spend against the credits."""

    def __init__(self, settings: BillingSettings) -> None:
        self.settings = settings
        self._lock = threading.Lock()
        self._seen: dict[tuple[str, date], set[tuple[Resource, int]]] = {}
        self._counts: dict[str, dict[date, Counter[Resource]]] = {}
        self._app_posts: dict[tuple[str, str], Counter[date]] = {}  # (project, token) -> posts charged a day
        self._spent = Decimal(0)

    def project_of(self, token: str) -> str:
        return self.settings.projects.get(token, DEFAULT_PROJECT)

    def charge(self, token: str, ts: float, receipt: Receipt) -> Counter[Resource]:
        """Charge the resources of one delivered answer; returns what was charged (ids already charged today
        count zero)."""
        project, day = self.project_of(token), utc_day(ts)
        charged: Counter[Resource] = Counter()
        with self._lock:
            seen = self._seen.get((project, day))
            if seen is None:
                seen = self._seen[(project, day)] = set()
                horizon = day - timedelta(days=_KEEP_SEEN_DAYS)
                self._seen = {key: ids for key, ids in self._seen.items() if key[1] > horizon}
            for kind, ids in ((Resource.USER, receipt.users), (Resource.POST, receipt.posts)):
                for resource_id in ids:
                    if (kind, resource_id) not in seen:
                        seen.add((kind, resource_id))
                        charged[kind] += 1
            if charged:
                self._counts.setdefault(project, {}).setdefault(day, Counter()).update(charged)
                if charged[Resource.POST]:
                    self._app_posts.setdefault((project, token), Counter())[day] += charged[Resource.POST]
                for kind, count in charged.items():
                    self._spent += self.settings.prices.cost(kind, count)
        return charged

    # ---- limits ---------------------------------------------------------------------------------

    def post_cap(self) -> int:
        cap = self.settings.post_cap
        return PAY_PER_USE_POST_CAP if cap is None else cap

    def period_posts(self, project: str, today: date) -> int:
        """Post reads charged to `project` in the billing period that holds `today`."""
        start, end = billing_period(today, self.settings.cap_reset_day)
        with self._lock:
            days = self._counts.get(project, {})
            return sum(counter[Resource.POST] for day, counter in days.items() if start <= day < end)

    def capped(self, token: str, ts: float) -> bool:
        """True once the token's Project has used its monthly post cap."""
        if self.settings.post_cap is None:
            return False
        return self.period_posts(self.project_of(token), utc_day(ts)) >= self.settings.post_cap

    def out_of_credits(self) -> bool:
        credits = self.settings.credits
        with self._lock:
            return credits is not None and self._spent >= credits

    # ---- reports --------------------------------------------------------------------------------

    def daily_posts(self, project: str, days: list[date]) -> list[int]:
        with self._lock:
            counts = self._counts.get(project, {})
            return [counts[d][Resource.POST] if d in counts else 0 for d in days]

    def apps(self, project: str, days: list[date]) -> list[tuple[str, list[int]]]:
        """(token, posts charged a day) for each token of `project` that has been charged posts."""
        with self._lock:
            return [
                (token, [counter[d] for d in days])
                for (name, token), counter in sorted(self._app_posts.items())
                if name == project
            ]

    def bill(self) -> dict[str, Any]:
        """The exact bill: per Project, reads and dollars by UTC day and kind, with totals (dollars as strings)."""
        prices = self.settings.prices

        def line(counter: Counter[Resource]) -> dict[str, Any]:
            row: dict[str, Any] = {kind.value: counter[kind] for kind in Resource}
            usd = {kind: prices.cost(kind, counter[kind]) for kind in Resource}
            row.update({f"{kind.value}_usd": _dollars_text(usd[kind]) for kind in Resource})
            row["usd"] = _dollars_text(sum(usd.values(), Decimal(0)))
            return row

        with self._lock:
            snapshot = {name: {d: Counter(c) for d, c in days.items()} for name, days in self._counts.items()}
            spent = self._spent
        grand: Counter[Resource] = Counter()
        projects: dict[str, Any] = {}
        for name in sorted(snapshot):
            total: Counter[Resource] = Counter()
            days = []
            for day in sorted(snapshot[name]):
                total.update(snapshot[name][day])
                days.append({"date": day.isoformat(), **line(snapshot[name][day])})
            grand.update(total)
            projects[name] = {"project_id": numeric_id(name, 16), "days": days, "totals": line(total)}
        credits = self.settings.credits
        return {
            "currency": "USD",
            "prices": {r.value: _dollars_text(prices.price(r)) for r in Resource},
            "projects": projects,
            "totals": line(grand),
            "credits": None if credits is None else _dollars_text(credits),
            "credits_remaining": None if credits is None else _dollars_text(credits - spent),
        }

    def reset(self) -> None:
        with self._lock:
            self._seen.clear()
            self._counts.clear()
            self._app_posts.clear()
            self._spent = Decimal(0)
