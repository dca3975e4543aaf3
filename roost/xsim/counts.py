"""Follower, following, listed and like counts as O(1) pure functions of (seed, account, time).

Calibrated on hourly series recorded from Tweet Binder's service (November 2024): an account of 37,500
followers moved 0 followers in the median hour, at most 7 in a day, 0.008 % of its size at the 90th percentile
of the hourly change; its `following` changed once in 24 hours (2572 to 2571) and never flickered; a
47-follower account did not move at all for 24 hours; `lists` read 0 twice in a day and recovered an hour later
each time (an upstream glitch). So counts here are integers that move by discrete events:

    followers(t) = floor( trend(w(t))                          base * exp(growth * years) * (1 - exp(-age / ramp))
                        + burst(t)                             a popular post's followers, drifting away again
                        + sqrt(trend * flow) * noise(w(t))     follow/unfollow events, Poisson-sized
                        ), or a glitch value inside a glitch

- trend: growing (+6 % .. +66 % a year), shrinking (-6 % .. -36 %) or flat, as drawn in personas.py; `growth`
  is a log-rate, so the change per day is proportional to size (a 37,500 account growing 10 % a year gains
  about 10 a day). Frozen before 2019 and after 2030.
- w(t) = t + rhythm * DAY / 2 pi * sin(2 pi (t / DAY + phase)): the daily rhythm is a warp of time, so follows
  arrive (1 + rhythm) times as fast in the account's local afternoon as on average and (1 - rhythm) times as
  fast at night, with no wave in the level itself (rhythm 0.3 .. 0.8).
- noise: an account of N followers sees N * flow follow and unfollow events an hour, flow = turnover (5e-6 ..
  5e-5 per follower-hour) + |growth| per hour (the trend's own follows), and the noise has that Poisson scale:
  sqrt(events) followers, from two octaves of value noise (hourly knots, and 16-hour knots three times larger)
  linearly interpolated in warped time, so the count changes at scattered instants within an hour. A 47-follower
  account has a few hundredths of a follower of noise and stays put for days; a flat 37,500 one changes by 0-2
  in most hours; a flat million-follower one by a few (growing or shrinking ones add their trend).
- burst: time is cut into 28-day blocks (per-account offset); with the account's burst chance (0 for accounts
  posting less than 0.2 times a day, else 0-30 %, 10 % on average) a block holds one popular post: the
  account's first original post after a hashed instant in the block's first 60 %. Its followers rise by 0.2 % ..
  16 % (heavy tailed, mostly below 1 %) of the trend over 1-6 hours, then drift back (quadratically) to the
  trend by the block's end, so a burst never has to be remembered later (O(1)); world.py makes that post's
  metrics viral.
- glitch: time is cut into 6-hour windows; with the account's glitch chance (0.0075 % .. 3 % a window,
  log-uniform: about 0.02 glitches a day on average, up to about one a week for the most affected) a window
  holds one upstream glitch of 1-3 hours in which `followers` (45 %) or `listed` (55 %) reads 0 (60 %) or
  2-20 % of its value (a lagging shard), then recovers: the collapse-and-recover shape analytics.flag_glitches
  flags (when the count is at least 20). tweet_count never glitches: it always agrees with the timeline.
- following(t) = floor(base * exp(drift * years) * ramp(age, ramp/2) * (1 + 0.006 * wobble(t))), the wobble
  linearly interpolated between hashed knots at the 28-day block edges: monotone within a block (it changes a
  few times a day at most, never back and forth), and it may turn around at a block edge.
- listed(t) = floor(trend(t) * listed_ratio), likes(t) = days since creation * likes per day: monotone stretches.

Every value is a pure function of (seed, id, t): a few hashes, one sine, two exponentials, and at most one
cached burst per (account, block) (bounded cache); no count is ever negative. Measured on 385 accounts of seed
2024 over 72 hours (tests/unit/test_xsim_dynamics.py): hourly follower change 0 in the median hour (61 % of
hours), 0.0057 % of size at the 90th percentile; no back-and-forth `following`; 0.015 flagged glitches per
account-day.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from roost.xsim import personas
from roost.xsim.hashing import GOLDEN, MASK, mix1, to_unit
from roost.xsim.personas import DAY, T_2026, YEAR, Core
from roost.xsim.posts import count_at_ms, is_original, post_ms

HOUR = 3600
BLOCK = 28 * DAY  # bursts and following's wobble
GLITCH_WINDOW = 6 * HOUR
GlitchMetric = Literal["followers", "listed"]

_TREND_LO = 1546300800  # 2019-01-01: before it, trends are frozen (no 2000x shrinking accounts in 2008)
_TREND_HI = 1893456000  # 2030-01-01
_SALT_NOISE = 0x7015E
_SALT_COARSE = 0xC0A75E
_SALT_GLITCH = 0x611C
_SALT_BURST = 0xB0257
_SALT_FOLLOWING = 0xF011
_TWO_PI = 2 * math.pi
_WARP = DAY / _TWO_PI
_COARSE_KNOT = 16 * HOUR
_COARSE_AMP = 3.0
_WOBBLE = 0.006
_M1 = 0xBF58476D1CE4E5B9
_UNIT2 = 2.0 / float(1 << 64)


@dataclass(frozen=True, slots=True)
class Burst:
    """A popular post and the followers it brings: `share` of the trend at the peak, gone again by `end`."""

    at: float  # the post's creation (unix seconds)
    post_ms: int
    share: float
    rise: float  # seconds
    end: float  # the block's end


@dataclass(frozen=True, slots=True)
class Glitch:
    """An upstream glitch: in [start, end) `metric` reads `factor` times its value (0.0: it reads 0)."""

    start: float
    end: float
    metric: GlitchMetric
    factor: float


def _years(t: float) -> float:
    return ((t if _TREND_LO < t < _TREND_HI else _TREND_LO if t <= _TREND_LO else _TREND_HI) - T_2026) / YEAR


def smooth_followers(c: Core, t: float) -> float:
    """The trend level alone, no rhythm, noise, bursts or glitches (also scales post metrics and listed_count)."""
    if t <= c.created_at:
        return 0.0
    return c.followers_base * math.exp(c.growth * _years(t)) * -math.expm1(-(t - c.created_at) / c.ramp)


def _knot(key: int, k: int) -> float:
    """A uniform value in [-1, 1) for knot k of a key: one multiply-xorshift round (half the cost of splitmix64,
    which matters on the hot path of every lookup; plenty for noise: no visible correlation between knots)."""
    z = (key + k * GOLDEN) & MASK
    z = ((z ^ (z >> 32)) * _M1) & MASK
    return (z ^ (z >> 29)) * _UNIT2 - 1.0


def _glitch_in(c: Core, window: int) -> Glitch | None:
    if _knot(c.key ^ _SALT_GLITCH, window) >= 2.0 * c.glitch_chance - 1.0:  # the test followers() inlines
        return None
    h = mix1(c.key ^ _SALT_GLITCH, window)  # the glitch's shape
    length = float(int(HOUR + 2 * HOUR * (h & 0xFFFF) / 65536))
    start = float(window * GLITCH_WINDOW + int((GLITCH_WINDOW - length) * ((h >> 16) & 0xFFFF) / 65536))
    metric: GlitchMetric = "listed" if (h >> 32) & 0xFF < 141 else "followers"
    factor = 0.0 if (h >> 40) & 0xFF < 154 else 0.02 + 0.18 * ((h >> 48) & 0xFFFF) / 65536
    return Glitch(start, start + length, metric, factor)


def glitch_at(c: Core, t: float, metric: GlitchMetric) -> float | None:
    """The factor `metric` reads at t if a glitch is under way, else None."""
    g = _glitch_in(c, int(t // GLITCH_WINDOW))
    if g is None or g.metric != metric or not g.start <= t < g.end:
        return None
    return g.factor


def glitches(c: Core, start: float, end: float) -> list[Glitch]:
    """The glitches that overlap [start, end), oldest first (for tests and docs: O(span))."""
    found = []
    for window in range(int(start // GLITCH_WINDOW), int(end // GLITCH_WINDOW) + 1):
        g = _glitch_in(c, window)
        if g is not None and g.end > start and g.start < end and g.end > c.created_at:
            found.append(g)
    return found


def _burst_after(c: Core, block: int, h: int) -> float:
    """The instant after which a block's burst post is searched (h: the block's burst hash)."""
    return block * BLOCK + c.offset + 0.6 * BLOCK * (h & 0xFFFF) / 65536


@lru_cache(maxsize=1 << 16)
def _burst(seed: int, user_id: int, block: int) -> Burst | None:
    """The burst of an account's block, if any: tied to its first original post after a hashed instant."""
    c = personas.core(seed, user_id)
    h = mix1(c.key ^ _SALT_BURST, block)
    if to_unit(h) >= c.burst_chance:
        return None
    block_start = block * BLOCK + c.offset
    after = _burst_after(c, block, h)
    limit_ms = (block_start + 0.75 * BLOCK) * 1000
    k = count_at_ms(c, int(after * 1000))  # post k is the first one after that instant
    for index in range(k, k + 8):
        ms = post_ms(c, index)
        if ms > limit_ms:
            return None
        if is_original(c, index):
            share = c.burst_scale * 10 ** (1.2 * (((h >> 16) & 0xFFFF) / 65536) ** 3)
            rise = HOUR * (1 + 5 * ((h >> 32) & 0xFFFF) / 65536)
            return Burst(ms / 1000, ms, share, rise, block_start + BLOCK)
    return None


def burst_of(c: Core, t: float) -> Burst | None:
    """The burst of the block holding t, if that block has one (whether it has happened by t or not)."""
    if not c.burst_chance:
        return None
    return _burst(c.seed, c.id, int((t - c.offset) // BLOCK))


def bursts(c: Core, start: float, end: float) -> list[Burst]:
    """The bursts whose popular post falls in [start, end), oldest first (for tests and docs)."""
    if not c.burst_chance:
        return []
    first, last = int((start - c.offset) // BLOCK), int((end - c.offset) // BLOCK)
    found = (_burst(c.seed, c.id, b) for b in range(first, last + 1))
    return [b for b in found if b is not None and start <= b.at < end]


def followers(c: Core, t: float) -> int:
    if t <= c.created_at:
        return 0
    x = t + c.rhythm * _WARP * math.sin(_TWO_PI * (t / DAY + c.phase))
    years = ((x if _TREND_LO < x < _TREND_HI else _TREND_LO if x <= _TREND_LO else _TREND_HI) - T_2026) / YEAR
    level = c.followers_base * math.exp(c.growth * years) * -math.expm1((c.created_at - x) / c.ramp)
    if level <= 0.0:
        return 0
    if c.burst_chance:
        block = int((t - c.offset) // BLOCK)
        h = mix1(c.key ^ _SALT_BURST, block)
        # the burst's post comes after a hashed instant: before it, no need to find the post (the cold path)
        b = _burst(c.seed, c.id, block) if to_unit(h) < c.burst_chance and t > _burst_after(c, block, h) else None
        if b is not None and t > b.at:
            fade = (b.end - t) / (b.end - b.at)
            level += level * b.share * -math.expm1((b.at - t) / b.rise) * fade * fade
    # Two octaves of linearly interpolated value noise at warped time x (hourly knots and 16-hour ones), inline:
    # this runs for every user of every lookup
    key = c.key ^ _SALT_NOISE
    y = x / HOUR
    k = int(y)
    a = _knot(key, k)
    noise = a + (_knot(key, k + 1) - a) * (y - k)
    y /= 16
    k = int(y)
    key ^= _SALT_COARSE
    a = _knot(key, k)
    noise += _COARSE_AMP * (a + (_knot(key, k + 1) - a) * (y - k))
    level += math.sqrt(level * c.flow) * noise
    if _knot(c.key ^ _SALT_GLITCH, int(t // GLITCH_WINDOW)) < 2.0 * c.glitch_chance - 1.0:  # a glitch in this window?
        factor = glitch_at(c, t, "followers")
        if factor is not None:
            level *= factor
    return int(level) if level > 0.0 else 0


def following(c: Core, t: float) -> int:
    if t <= c.created_at:
        return 0
    level = c.following_base * math.exp(c.following_drift * _years(t))
    level *= -math.expm1(-(t - c.created_at) / (c.ramp / 2))
    y = (t - c.offset) / BLOCK
    k = math.floor(y)
    key = c.key ^ _SALT_FOLLOWING
    a = _knot(key, k)
    level *= 1.0 + _WOBBLE * (a + (_knot(key, k + 1) - a) * (y - k))
    return int(level)


def listed(c: Core, t: float) -> int:
    level = smooth_followers(c, t) * c.listed_ratio
    if _knot(c.key ^ _SALT_GLITCH, int(t // GLITCH_WINDOW)) < 2.0 * c.glitch_chance - 1.0:
        factor = glitch_at(c, t, "listed")
        if factor is not None:
            level *= factor
    return int(level)


def likes(c: Core, t: float) -> int:
    """Posts the account has liked: steady accumulation since creation."""
    return int(max(0.0, t - c.created_at) / DAY * c.likes_per_day)
