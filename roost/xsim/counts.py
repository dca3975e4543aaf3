"""Follower, following, listed and like counts as O(1) pure functions of (account, time).

followers(t) = base * exp(growth * years from 2026, clamped to 2019..2030)   trend: growing/shrinking/flat
             * (1 - exp(-age / ramp))                                      the first followers arrive
             * product of jump factors passed                               rare steps
             * (1 + rhythm * sin(2 pi (day fraction + phase)) + noise)      daily rhythm, 10-minute noise
             * glitch factor inside a glitch window                         collapse, then recovery
Rhythm and noise are each below 0.5 %, so the multiplier stays positive and counts never go negative.
Following, listed and likes follow milder versions (no jumps, no glitches).
"""

from __future__ import annotations

import math

from roost.xsim.accounts import DAY, T_2026, YEAR, Core
from roost.xsim.hashing import mix1, to_unit

_TREND_LO = 1546300800  # 2019-01-01: before it, trends are frozen (no 2000x shrinking accounts in 2008)
_TREND_HI = 1893456000  # 2030-01-01
_SALT_NOISE = 0x7015E
_SALT_GLITCH = 0x611C
_SALT_FOLLOWING = 0xF011
_TWO_PI = 2 * math.pi


def _years(t: float) -> float:
    return (min(max(t, _TREND_LO), _TREND_HI) - T_2026) / YEAR


def smooth_followers(c: Core, t: float) -> float:
    """The follower level without rhythm, noise and glitches (also scales post metrics and listed_count)."""
    if t <= c.created_at:
        return 0.0
    level = c.followers_base * math.exp(c.growth * _years(t)) * -math.expm1(-(t - c.created_at) / c.ramp)
    for at, factor in c.jumps:
        if t >= at:
            level *= factor
    return level


def followers(c: Core, t: float) -> int:
    level = smooth_followers(c, t)
    if level <= 0.0:
        return 0
    wave = c.rhythm * math.sin(_TWO_PI * (t / DAY + c.phase))
    noise = c.noise * (2.0 * to_unit(mix1(c.key ^ _SALT_NOISE, int(t // 600))) - 1.0)
    level *= 1.0 + wave + noise
    for start, end in c.glitches:
        if start <= t < end:
            level *= 0.02 + 0.18 * to_unit(mix1(c.key ^ _SALT_GLITCH, int(start)))
    return int(level)


def following(c: Core, t: float) -> int:
    if t <= c.created_at:
        return 0
    level = c.following_base * math.exp(c.following_drift * _years(t))
    level *= -math.expm1(-(t - c.created_at) / (c.ramp / 2))
    level *= 1.0 + 0.002 * (2.0 * to_unit(mix1(c.key ^ _SALT_FOLLOWING, int(t // 3600))) - 1.0)
    return int(level)


def listed(c: Core, t: float) -> int:
    return int(smooth_followers(c, t) * c.listed_ratio)


def likes(c: Core, t: float) -> int:
    """Posts the account has liked: steady accumulation since creation."""
    return int(max(0.0, t - c.created_at) / DAY * c.likes_per_day)
