"""Pure rules shared by the API, the collector and the CLI: aliases, buckets, ratios, the stats document."""

from __future__ import annotations

import re
from dataclasses import dataclass

ALIAS_RE = re.compile(r"^[A-Za-z0-9_]{1,15}$")


class AliasError(ValueError):
    """An alias that can never be an X screen name."""


def normalize_alias(raw: str) -> str:
    """Drop one leading '@' and surrounding spaces; reject anything X would not accept as a screen name."""
    alias = raw.strip()
    if alias.startswith("@"):
        alias = alias[1:]
    if not ALIAS_RE.fullmatch(alias):
        raise AliasError(f"'{raw}' is not a valid X screen name (1 to 15 letters, digits or underscores)")
    return alias


def bucket_of(t: float, interval: int) -> int:
    """The start of the snapshot period that instant `t` falls in (unix seconds)."""
    return int(t // interval) * interval


_EXACT_HUNDREDTHS = 2.0**40  # below it a float's rounding error is under 1e-6 of a unit


def followers_following(followers: int, following: int) -> float:
    """Tweet Binder's ratio: followers / max(following, 1), two decimals: exactly `round(ratio, 2)`, which formats
    the float as decimal digits and parses them back, a microsecond a call (a quarter of a 30-day timeline's
    encoding). Rounding the hundredfold ratio to an integer gives the same digits unless that product lies within
    its own rounding error of a half (or is too large to hold the hundredths): only then the slow way."""
    ratio = followers / (following if following > 1 else 1)
    scaled = ratio * 100.0
    if 0.0 <= scaled < _EXACT_HUNDREDTHS:
        hundredths = round(scaled)
        if abs(abs(scaled - hundredths) - 0.5) > 1e-6:
            return hundredths / 100
    return round(ratio, 2)


@dataclass(frozen=True, slots=True)
class Snapshot:
    x_user_id: int
    bucket: int
    tweets: int
    followers: int
    following: int
    lists: int
    created_at: int
    updated_at: int
