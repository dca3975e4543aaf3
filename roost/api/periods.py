"""Query checks shared by the per-period reads (growth, compare, activity): 400s that name the parameter."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from roost import analytics
from roost.api.errors import bad_request

MAX_PERIODS = 20_000  # a year of hours is 8,760; more rows than this is a mistake, not a report


def parse_period(interval: str, tz: str | None) -> tuple[analytics.Interval, ZoneInfo]:
    """The interval and the time zone of the periods, or a 400 naming the one that is wrong."""
    try:
        period = analytics.parse_interval(interval)
    except ValueError as exc:
        raise bad_request("interval", f"{exc}.") from exc
    try:
        zone = analytics.parse_tz(tz)
    except ValueError as exc:
        raise bad_request("tz", f"tz: {exc}.") from exc
    return period, zone


def check_period_count(start: int, end: int, period: analytics.Interval) -> None:
    if analytics.count_periods(start, end, period) > MAX_PERIODS:
        raise bad_request("interval", f"That range holds more than {MAX_PERIODS} {period}s; use a longer interval.")
