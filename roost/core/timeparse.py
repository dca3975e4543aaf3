"""Dates as people type them on a command line, turned into unix seconds.

Accepted: unix seconds (`1795000000`), a calendar date (`2026-11-01`, midnight in the given zone; as the end of a
range it means the end of that day, so `--from 2026-11-01 --to 2026-11-07` holds all seven days), RFC 3339
(`2026-11-01T10:00:00Z`, `2026-11-01T10:00+01:00`; without an offset it is read in the given zone), and relative
times before now: `now`, `90s`, `30m`, `24h`, `7d`, `2w`.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

DAY = 86400
DEFAULT_DAYS = 7
_RELATIVE = re.compile(r"^(\d{1,7})\s*([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": DAY, "w": 7 * DAY}
_MAX_UNIX = 10**11  # year 5138: a larger "unix time" is almost surely milliseconds


def parse_when(text: str, *, now: int, tz: ZoneInfo | None = None, end: bool = False) -> int:
    """Unix seconds for `text` (see the module doc). `end` makes a bare date mean its last second.

    Raises ValueError with a message that says what forms are accepted."""
    value = text.strip().lower()
    zone = tz or ZoneInfo("UTC")
    if not value:
        raise ValueError("empty date")
    if value == "now":
        return now
    if value.isdigit():
        seconds = int(value)
        if seconds >= _MAX_UNIX:
            raise ValueError(f"'{text}' is too large for unix seconds (milliseconds?)")
        return seconds
    relative = _RELATIVE.fullmatch(value)
    if relative:
        return now - int(relative.group(1)) * _UNITS[relative.group(2)]
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        try:
            day = date.fromisoformat(value)
        except ValueError:
            raise ValueError(f"'{text}' is not a calendar date") from None
        if end:
            day += timedelta(days=1)
        start = datetime(day.year, day.month, day.day, tzinfo=zone)
        return int(start.timestamp()) - (1 if end else 0)
    try:
        moment = datetime.fromisoformat(text.strip().replace("z", "Z"))
    except ValueError:
        raise ValueError(f"'{text}' is not a date: use unix seconds, YYYY-MM-DD, RFC 3339 or 7d / 24h / now") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    return int(moment.astimezone(UTC).timestamp())


def parse_range(
    start: str | None,
    end: str | None,
    *,
    now: int,
    tz: ZoneInfo | None = None,
    default_days: int = DEFAULT_DAYS,
) -> tuple[int, int]:
    """[start, end] from `--from` and `--to` (default: the last `default_days` days up to now).

    ValueError names the option at fault, and refuses a start after the end."""
    try:
        hi = now if end is None else parse_when(end, now=now, tz=tz, end=True)
    except ValueError as exc:
        raise ValueError(f"--to: {exc}") from None
    try:
        lo = hi - default_days * DAY if start is None else parse_when(start, now=now, tz=tz)
    except ValueError as exc:
        raise ValueError(f"--from: {exc}") from None
    if lo > hi:
        raise ValueError(f"--from ({_iso(lo)}) is after --to ({_iso(hi)})")
    return lo, hi


def _iso(t: int) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
