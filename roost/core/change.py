"""The one change rule: how much a count moved over a period. Pure; written once so every surface can share it.

The change of a count over [start, end] runs from its value as of `start` to its value as of `end`:

- the value as of `start` is the last good snapshot at or before `start`; when tracking began later (no good
  snapshot at or before it), the first good snapshot after it, and the result says so (`began_later`);
- the value as of `end` is the last good snapshot at or before `end`;
- "good" means not a glitched value (roost.core.analytics.flag_glitches): glitched values are left out.

Alerts (roost.core.alerts) use it for "change over a window"; issue 21 adopts or replaces it here, in one place.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Collection, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Change:
    start_bucket: int
    start_value: int
    end_bucket: int
    end_value: int
    began_later: bool  # no good value at or before the period's start: measured from the first one after it

    @property
    def absolute(self) -> int:
        return self.end_value - self.start_value

    @property
    def percent(self) -> float | None:
        """The change as a percentage of the start value; None when the start value is 0."""
        return None if self.start_value == 0 else 100.0 * self.absolute / self.start_value


def change_over(
    buckets: Sequence[int], values: Sequence[int], *, start: int, end: int, glitched: Collection[int] = ()
) -> Change | None:
    """The change over [start, end] of one count (`buckets` ascending, `values[k]` read at `buckets[k]`), leaving
    out the buckets in `glitched`; None when there is no good value to measure from and to (none at or before
    `end`, or the first one after `start` lies past `end`)."""
    if glitched:
        keep = [k for k, b in enumerate(buckets) if b not in glitched]
        buckets, values = [buckets[k] for k in keep], [values[k] for k in keep]
    last = bisect_right(buckets, end) - 1  # the last good value at or before end
    if last < 0:
        return None
    at_or_before = bisect_right(buckets, start) - 1
    began_later = at_or_before < 0
    first = bisect_left(buckets, start) if began_later else at_or_before
    if first > last:
        return None
    return Change(buckets[first], values[first], buckets[last], values[last], began_later)


__all__ = ["Change", "change_over"]
