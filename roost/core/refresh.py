"""The metrics refresh schedule: the ages of a post at which its metrics are read again.

X bills a post each UTC day it is read, so every stage after the day a post was archived costs one post read
($0.005). The default `1h,24h` costs one read a post beyond the one that archived it (the 1 h stage almost always
falls on the archiving day, which X does not charge again): fresh numbers within the hour, and the day's
engagement, which is most of a post's, at 24 h. `1h,24h,7d` adds a third read; the old "every 6 h for a week"
was about seven. Written `1h,24h,7d` (units s, m, h, d, w), ascending; `none` for no refresh at all.
"""

from __future__ import annotations

import re

DEFAULT_SCHEDULE = "1h,24h"
_STAGE = re.compile(r"^(\d{1,6})([smhdw])$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
MAX_AGE = 90 * 86400  # X's post lookups serve any age; a schedule past a quarter is a typo


def parse_refresh_schedule(text: str) -> tuple[int, ...]:
    """Seconds of age for each stage, strictly ascending; an empty text (or `none`) is no refresh at all.

    Raises ValueError naming the stage that is wrong."""
    value = text.strip().lower()
    if value in ("", "none", "off"):
        return ()
    stages: list[int] = []
    for raw in value.split(","):
        part = raw.strip()
        found = _STAGE.fullmatch(part)
        if found is None:
            raise ValueError(f"'{part}' is not an age like 1h, 24h or 7d (units s, m, h, d, w)")
        seconds = int(found.group(1)) * _UNITS[found.group(2)]
        if not 60 <= seconds <= MAX_AGE:
            raise ValueError(f"'{part}' is outside 1m..90d")
        if stages and seconds <= stages[-1]:
            raise ValueError(f"'{part}' is not later than the stage before it: list the ages in ascending order")
        stages.append(seconds)
    return tuple(stages)
