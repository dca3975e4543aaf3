"""When a scheduled report is due: pure calendar arithmetic in an IANA time zone (zoneinfo), no I/O.

A schedule is weekly (a weekday) or monthly (a day of the month) at a local wall-clock time HH:MM in a zone. Its
due times are those wall-clock moments, turned into Unix seconds with the zone's offset on that date, so a report
at 09:00 Europe/Madrid is at 08:00 UTC in winter and 07:00 UTC in summer (DST-correct). Two corner cases, both
from the zone's own rules:

- a local time that does not exist that day (the hour skipped when clocks go forward) is read with the offset
  before the change, i.e. it happens that many minutes later on the new clock (02:30 becomes 03:30);
- a local time that happens twice (the hour repeated when clocks go back) is its first occurrence.

A monthly day past a month's end (29, 30, 31) falls on that month's last day. A report covers the period from
the previous due time to this one (`period`), the same [start, end] a dashboard compare of that range reads.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cache
from typing import Literal, get_args
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

Every = Literal["week", "month"]
EVERY: tuple[Every, ...] = get_args(Every)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


class ScheduleError(ValueError):
    """A schedule that cannot be; `field` names the parameter at fault (every, at, tz, weekday, day)."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True, slots=True)
class Schedule:
    every: Every
    at: str  # "HH:MM", local wall-clock time
    tz: str  # an IANA zone name
    weekday: int = 0  # weekly: 0 = Monday ... 6 = Sunday
    day: int = 1  # monthly: 1..31 (past a month's end: its last day)

    def zone(self) -> ZoneInfo:
        return parse_zone(self.tz)

    def clock(self) -> time:
        return parse_at(self.at)

    def describe(self) -> str:
        when = f"every {WEEKDAYS[self.weekday].title()}" if self.every == "week" else f"monthly on day {self.day}"
        return f"{when} at {self.at} ({self.tz})"


@cache
def _zones() -> frozenset[str]:
    return frozenset(available_timezones())


def parse_zone(text: str) -> ZoneInfo:
    name = (text or "").strip()
    if not name or len(name) > 64 or name.startswith("/") or ".." in name:
        raise ScheduleError("tz", f"tz must be an IANA time zone such as Europe/Madrid, not {text!r}")
    if name not in _zones():
        raise ScheduleError("tz", f"tz must be an IANA time zone such as Europe/Madrid, not {text!r}")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleError("tz", f"tz must be an IANA time zone such as Europe/Madrid, not {text!r}") from None


def parse_at(text: str) -> time:
    raw = (text or "").strip()
    parts = raw.split(":")
    if len(parts) != 2 or not all(p.isdigit() and 1 <= len(p) <= 2 for p in parts):
        raise ScheduleError("at", f"at must be a local time HH:MM such as 09:00, not {text!r}")
    hour, minute = int(parts[0]), int(parts[1])
    if hour > 23 or minute > 59:
        raise ScheduleError("at", f"at must be a local time HH:MM between 00:00 and 23:59, not {text!r}")
    return time(hour, minute)


def parse_weekday(text: str | int) -> int:
    if isinstance(text, int):
        if 0 <= text <= 6:
            return text
    else:
        key = text.strip().lower()[:3]
        if key in WEEKDAYS:
            return WEEKDAYS.index(key)
    raise ScheduleError("weekday", f"weekday must be one of {', '.join(WEEKDAYS)}, not {text!r}")


def make(every: str, at: str, tz: str, *, weekday: str | int | None = None, day: int | None = None) -> Schedule:
    """A checked schedule; ScheduleError naming the field at fault."""
    if every not in EVERY:
        raise ScheduleError("every", f"every must be week or month, not {every!r}")
    parse_at(at)
    parse_zone(tz)
    if every == "week":
        if day is not None:
            raise ScheduleError("day", "day goes with a monthly report; a weekly one takes weekday")
        wd = parse_weekday(weekday if weekday is not None else "mon")
        return Schedule("week", f"{parse_at(at):%H:%M}", tz.strip(), weekday=wd)
    if weekday is not None:
        raise ScheduleError("weekday", "weekday goes with a weekly report; a monthly one takes day")
    d = 1 if day is None else day
    if not 1 <= d <= 31:
        raise ScheduleError("day", f"day must be between 1 and 31, not {d}")
    return Schedule("month", f"{parse_at(at):%H:%M}", tz.strip(), day=d)


def local_moment(day: date, at: time, zone: ZoneInfo) -> int:
    """Unix seconds of wall-clock `at` on `day` in `zone` (see the module docstring for gaps and folds)."""
    # fold=0: in a gap, the offset before the change (PEP 495); in a repeated hour, its first occurrence.
    return int(datetime.combine(day, at).replace(tzinfo=zone, fold=0).timestamp())


def _candidates(s: Schedule, around: int, *, forward: bool) -> list[int]:
    """Due times near `around` (a few periods on the chosen side), ascending."""
    zone, at = s.zone(), s.clock()
    today = datetime.fromtimestamp(around, zone).date()
    out: list[int] = []
    if s.every == "week":
        days = range(-1, 16) if forward else range(-15, 2)
        for k in days:
            d = today + timedelta(days=k)
            if d.weekday() == s.weekday:
                out.append(local_moment(d, at, zone))
    else:
        months = range(-1, 3) if forward else range(-2, 2)
        for k in months:
            y, m = divmod(today.year * 12 + today.month - 1 + k, 12)
            m += 1
            if not 1 <= y <= 9998:
                continue
            last = calendar.monthrange(y, m)[1]
            out.append(local_moment(date(y, m, min(s.day, last)), at, zone))
    return sorted(out)


def next_due(s: Schedule, after: int) -> int:
    """The first due time strictly after `after`."""
    return next(t for t in _candidates(s, after, forward=True) if t > after)


def last_due(s: Schedule, at_or_before: int) -> int:
    """The latest due time at or before `at_or_before`."""
    return max(t for t in _candidates(s, at_or_before, forward=False) if t <= at_or_before)


def period(s: Schedule, due: int) -> tuple[int, int]:
    """[start, end] a report due at `due` covers: from the previous due time to this one."""
    return last_due(s, due - 1), due


__all__ = ["EVERY", "WEEKDAYS", "Schedule", "ScheduleError", "last_due", "make", "next_due", "period"]
