"""What X charges, as pure arithmetic shared by the emulator's bill, Roost's meter and the planner.

X's pay-per-use model (spec/x-api.md, "Billing") prices every resource a successful request returns (a user
$0.010, a post $0.005) and charges each resource id once per UTC day. A Project's post cap is monthly and resets on
a day of the month. Everything here is a value or a function of values, so the three users agree to the cent:
money is `Decimal`, never float, and a day is a UTC calendar date.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum


class Resource(StrEnum):
    """A billable kind of resource; the value is the name used in bills, metrics and JSON."""

    USER = "user"
    POST = "post"


PAY_PER_USE_POST_CAP = 2_000_000
"""Pay-per-use's monthly cap on post reads per Project (legacy plans have their own, smaller caps)."""


@dataclass(frozen=True, slots=True)
class PriceTable:
    """US dollars per resource read. The defaults are X's published pay-per-use rates; a negotiated or future
    price is a different table, not a code change."""

    user: Decimal = Decimal("0.010")
    post: Decimal = Decimal("0.005")

    def __post_init__(self) -> None:
        for resource in Resource:
            value = getattr(self, resource.value)
            if not isinstance(value, Decimal):
                raise TypeError(f"the {resource} price must be a Decimal, not {type(value).__name__}")
            if not value.is_finite() or value < 0:
                raise ValueError(f"the {resource} price must be a finite amount >= 0, not {value}")

    def price(self, resource: Resource | str) -> Decimal:
        """Dollars for one read of `resource` (a `Resource` or its value)."""
        kind: Decimal = getattr(self, Resource(resource).value)
        return kind

    def cost(self, resource: Resource | str, count: int) -> Decimal:
        """Dollars for `count` charged reads of `resource`."""
        if count < 0:
            raise ValueError(f"a count of resources cannot be negative ({count})")
        return self.price(resource) * count


DEFAULT_PRICES = PriceTable()


def dollars(counts: Mapping[Resource, int] | Mapping[str, int], prices: PriceTable = DEFAULT_PRICES) -> Decimal:
    """Dollars for charged reads counted by kind, e.g. `{Resource.USER: 3, Resource.POST: 200}` -> 1.03.

    Keys are `Resource` members or their values; a missing kind counts zero, an unknown one is a ValueError."""
    total = Decimal(0)
    for resource, count in counts.items():
        total += prices.cost(resource, count)
    return total


def utc_day(ts: float) -> date:
    """The UTC calendar day of unix time `ts`: the unit of X's deduplication."""
    return datetime.fromtimestamp(ts, UTC).date()


def _reset_date(year: int, month: int, reset_day: int) -> date:
    """The day a period starts in that month: `reset_day`, or the month's last day if the month is shorter."""
    return date(year, month, min(reset_day, calendar.monthrange(year, month)[1]))


def _shift_month(year: int, month: int, by: int) -> tuple[int, int]:
    index = year * 12 + (month - 1) + by
    return index // 12, index % 12 + 1


def billing_period(day: date, reset_day: int) -> tuple[date, date]:
    """The billing month [start, end) that contains `day`, for a cap that resets on `reset_day` (1..31).

    A reset day past a month's end falls on that month's last day (31 -> 28 February), as X's monthly caps do."""
    if not 1 <= reset_day <= 31:
        raise ValueError(f"the reset day must be a day of the month 1..31, not {reset_day}")
    this_month = _reset_date(day.year, day.month, reset_day)
    if day >= this_month:
        start_year, start_month = day.year, day.month
    else:
        start_year, start_month = _shift_month(day.year, day.month, -1)
    start = _reset_date(start_year, start_month, reset_day)
    end_year, end_month = _shift_month(start_year, start_month, 1)
    return start, _reset_date(end_year, end_month, reset_day)


_AGE = re.compile(r"(\d{1,6})([smhdw])")
_AGE_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_refresh_schedule(text: str) -> tuple[int, ...]:
    """The post ages, in seconds, at which a post's metrics are read again: `"1h,24h,7d"` -> (3600, 86400, 604800).

    Each age is a whole number and a unit (s, m, h, d, w); ages are strictly increasing. `"none"` means no
    refreshes: a post's metrics are what its first read saw. ValueError names the part at fault."""
    value = text.strip().lower()
    if value == "none":
        return ()
    if not value:
        raise ValueError("the refresh schedule is empty: give post ages like '1h,24h,7d', or 'none'")
    ages: list[int] = []
    for part in value.split(","):
        item = part.strip()
        match = _AGE.fullmatch(item)
        if match is None:
            raise ValueError(
                f"'{part.strip()}' in the refresh schedule is not a post age: use a whole number and s, m, h, d or w"
                " (e.g. '1h,24h,7d')"
            )
        seconds = int(match.group(1)) * _AGE_UNITS[match.group(2)]
        if seconds == 0:
            raise ValueError(f"'{item}' in the refresh schedule is zero: a refresh happens after the first read")
        if ages and seconds <= ages[-1]:
            raise ValueError(f"the refresh schedule must be increasing: '{item}' does not come after the age before it")
        ages.append(seconds)
    return tuple(ages)


def format_refresh_schedule(ages: tuple[int, ...]) -> str:
    """The inverse of `parse_refresh_schedule`, in the largest whole unit per age (`(3600, 86400)` -> "1h,1d")."""
    if not ages:
        return "none"
    parts = []
    for seconds in ages:
        unit = next(u for u in "wdhms" if seconds % _AGE_UNITS[u] == 0)
        parts.append(f"{seconds // _AGE_UNITS[unit]}{unit}")
    return ",".join(parts)
