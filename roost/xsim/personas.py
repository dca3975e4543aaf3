"""An account's fixed character, drawn once from (seed, id): creation, fate, posting habits and count dynamics.

Shares, per account, from one uniform draw `u` of (seed, id); the bands are exclusive, so an account has at
most one of these fates (names of 13-15 characters never rename; their band is ordinary):

| band of u        | share | fate                                                                        |
|------------------|-------|-----------------------------------------------------------------------------|
| [0, 0.03)        | 3 %   | never existed: every lookup of the name or id answers "not found"           |
| [0.03, 0.04)     | 1 %   | suspended for good, from its creation                                       |
| [0.04, 0.045)    | 0.5 % | suspended once for 1-60 days starting in 2025-01-01 .. 2027-12-01, then back |
| [0.045, 0.055)   | 1 %   | protected from an instant in 2025-01-01 .. 2027-12-31 on                    |
| [0.055, 0.06)    | 0.5 % | deleted at an instant in 2025-01-01 .. 2027-12-31 (gone from then on)       |
| [0.06, 0.065)    | 0.5 % | renamed at an instant in 2025-01-01 .. 2027-12-31 to `<old>_<2 chars>`      |
| [0.065, 1)       | 93.5 %| ordinary ("plain"): the only accounts posts mention, reply to or repost     |

A name that is the rename target of another account never exists on its own. Independently of the bands:
followers trend growing 55 % (+6 % to +66 % a year), shrinking 15 % (-6 % to -36 % a year), flat 30 %.
created_at is uniform in 2007-01-01 .. 2025-06-01 (whole seconds). Posting rate: 10 % quiet accounts post
0.02-0.1 times a day, the others 0.1-60 a day, heavy-tailed (median about 0.8). The count dynamics (turnover,
daily rhythm, bursts, upstream glitches) draw their parameters last, after the account's key: see counts.py.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from roost.xsim import names
from roost.xsim.hashing import Draws, mix, unit

DAY = 86400
YEAR = 365.25 * DAY
T_2007 = 1167609600  # 2007-01-01
T_2010_11_06 = 1289001600  # X's timeline history starts here; snowflake ids begin 2010-11-04
T_2024 = 1704067200
T_2025 = 1735689600
T_2025_06 = 1748736000
T_2026 = 1767225600
T_2027_12 = 1827705600  # 2027-12-01
T_2028 = 1830297600  # 2028-01-01 (event windows end just before)
RATE_ONE = 1 << 20  # posting rates are fixed-point integers: posts per day * RATE_ONE
POPULAR = 1 << 12  # catalogue indices below this are "popular": mention, reply and repost targets

Trend = Literal["growing", "shrinking", "flat"]

_SALT_FATE = 0xFA7E
_SALT_CORE = 0xC0DE
# Posts per hour of the day, in the account's local time: quiet nights, busy evenings. max/mean is 1.67, below
# the 2.5 the spacing argument in posts.py relies on. An account's day is this shape shifted by its time zone
# and chronotype, so there are only 24 distinct profiles, shared by all accounts (memory stays small).
_LOCAL_SHAPE = (0.35, 0.22, 0.15, 0.12, 0.12, 0.18, 0.4, 0.75, 1.05, 1.2, 1.25, 1.3,
                1.35, 1.3, 1.25, 1.25, 1.3, 1.4, 1.5, 1.55, 1.5, 1.3, 0.95, 0.6)  # fmt: skip
_TZ = (-8, -7, -6, -5, -5, -4, -3, 0, 0, 1, 1, 1, 2, 3, 5, 7, 8, 9, 10)
_CHRONOTYPE = (-2, -1, 0, 0, 0, 1, 2)  # early birds and night owls shift the day by up to two hours
LANGS = ("en",) * 16 + ("es", "es", "fr", "pt", "de")
SOURCES = ("Twitter Web App", "Twitter for iPhone", "Twitter for Android", "TweetDeck")


@dataclass(frozen=True, slots=True)
class AccountEvents:
    """What happens to an account (unix seconds), for tests and docs. Suspension ends may be `math.inf`."""

    user_id: int
    exists: bool
    created_at: float
    posts_per_day: float
    trend: Trend
    suspensions: tuple[tuple[float, float], ...]  # [start, end) intervals
    protected_from: float | None
    deleted_at: float | None
    rename: tuple[float, str, str] | None  # (at, old lowercase name, new lowercase name)


@dataclass(slots=True)
class Core:
    """Everything the hot paths need about one account; cached per (seed, id), so treat it as read-only.

    (Not frozen: a frozen dataclass pays object.__setattr__ per field, and this one is built 100,000s of times.)
    """

    id: int
    seed: int
    name: str | None  # lowercase screen name before any rename; None for long names (see the registry)
    case: int  # capitalisation style (names.apply_case)
    key: int  # per-account 64-bit key: draws for posts are mix1(key, ...)
    catalogue: int  # catalogue index, or -1
    low22: int  # the 22 low bits of the account's post ids
    exists: bool
    created_at: float
    trend: Trend
    suspensions: tuple[tuple[float, float], ...]
    protected_from: float | None
    deleted_at: float | None
    rename: tuple[float, str, str] | None
    rate: int  # fixed-point posts per day (RATE_ONE = 1 post a day)
    first_day: int  # unix day number of the first day that may hold posts
    hour_cdf: tuple[float, ...]  # 25 cumulative weights over the UTC hours of a day, 0.0 .. 1.0
    kind_cuts: tuple[float, float, float]  # cumulative shares: reply, +retweet, +quote (the rest original)
    self_reply: float  # share of replies that continue the author's own thread
    lang: str
    source: str
    pins: bool
    # count dynamics (see counts.py)
    followers_base: float  # the trend level at 2026-01-01
    growth: float  # log-growth per year
    ramp: float  # seconds for the first followers to arrive
    rhythm: float  # daily rhythm: follows come (1 +- rhythm) times as fast by the audience's day as on average
    phase: float  # fraction of a UTC day: the rhythm peaks at -phase (the account's local afternoon)
    turnover: float  # follow and unfollow events per follower per hour, besides the trend
    flow: float  # all follow and unfollow events per follower per hour: turnover + the trend's own
    burst_chance: float  # chance that a 28-day block holds a burst (a popular post)
    burst_scale: float  # a burst's size as a share of followers, before its heavy-tailed draw
    glitch_chance: float  # chance that a 6-hour window holds an upstream glitch
    offset: float  # seconds: where this account's 28-day blocks start
    following_base: float
    following_drift: float
    listed_ratio: float
    likes_per_day: float

    def events(self) -> AccountEvents:
        return AccountEvents(
            user_id=self.id,
            exists=self.exists,
            created_at=self.created_at,
            posts_per_day=self.rate / RATE_ONE,
            trend=self.trend,
            suspensions=self.suspensions,
            protected_from=self.protected_from,
            deleted_at=self.deleted_at,
            rename=self.rename,
        )


@lru_cache(maxsize=24)
def hour_cdf(shift: int) -> tuple[float, ...]:
    """Cumulative share of a day's posts by UTC hour for local time = UTC + shift: 25 values from 0.0 to 1.0."""
    weights = [_LOCAL_SHAPE[(h + shift) % 24] for h in range(24)]
    total = sum(weights)
    cdf = [0.0]
    for w in weights:
        cdf.append(cdf[-1] + w / total)
    cdf[-1] = 1.0
    return tuple(cdf)


def fate(seed: int, user_id: int) -> float:
    """The draw that decides an account's band (see the table above)."""
    return unit(seed, _SALT_FATE, user_id)


def is_plain(seed: int, user_id: int) -> bool:
    """Cheap check that an account exists and has no fate (used to pick mention and repost targets)."""
    return fate(seed, user_id) >= 0.065


def _rename_of(seed: int, user_id: int, name: str | None, u: float | None = None) -> str | None:
    """The new name if this (short-named) account renames, else None (`u`: its fate draw, if known)."""
    if name is None or len(name) > names.SHORT_LEN or not 0.06 <= (fate(seed, user_id) if u is None else u) < 0.065:
        return None
    return names.rename_target(seed, user_id, name)


def is_reserved(seed: int, name: str) -> bool:
    """Whether a lowercase name is the rename target of another account (it then never exists on its own)."""
    old = names.rename_source(name)
    return old is not None and _rename_of(seed, names.encode(old), old) == name


def _event_time(d: Draws, created_at: float, lo: float = T_2025, hi: float = T_2028 - DAY) -> float:
    return float(int(d.between(max(lo, created_at + DAY), hi)))


def _retired_draws(d: Draws, v: list[float], created: float) -> None:
    """Advance the stream as the retired follower glitches and jumps did, so that every later draw (the
    account's key, hence all its posts) stays what it was: the same seed keeps the same timelines."""
    if v[1] < 0.02:
        _event_time(d, created)
    if v[5] < 0.2:
        for _ in range(1 if v[5] < 0.15 else 2):
            d.between(max(T_2024, created + DAY), T_2028)


def compute_core(seed: int, user_id: int) -> Core:
    """Draw an account's character. Pure in (seed, id); ids above SHORT_MAX are long names (never catalogue)."""
    name = names.decode(user_id)
    index = names.catalogue_index(seed, name) if name is not None else None
    catalogue = -1 if index is None else index
    u = fate(seed, user_id)
    exists = u >= 0.03 and not (name is not None and is_reserved(seed, name))
    d = Draws(mix(seed, _SALT_CORE, user_id))
    v = d.coarse_many(28)  # the account's 16-bit parameters, in a fixed order
    created = float(int(d.between(T_2007, T_2025_06)))
    suspensions: tuple[tuple[float, float], ...] = ()
    protected_from = deleted_at = None
    rename = None
    if 0.03 <= u < 0.04:
        suspensions = ((created, math.inf),)
    elif 0.04 <= u < 0.045:
        start = _event_time(d, created, hi=T_2027_12)
        suspensions = ((start, start + int(1 + 59 * v[0]) * DAY),)
    elif 0.045 <= u < 0.055:
        protected_from = _event_time(d, created)
    elif 0.055 <= u < 0.06:
        deleted_at = _event_time(d, created)
    new_name = _rename_of(seed, user_id, name, u)
    if new_name is not None and name is not None:
        rename = (_event_time(d, created), name, new_name)
    trend: Trend = "growing" if v[3] < 0.55 else "shrinking" if v[3] < 0.70 else "flat"
    growth = (
        0.06 + 0.6 * v[4] ** 1.5 if trend == "growing" else -(0.06 + 0.3 * v[4] ** 1.5) if trend == "shrinking" else 0.0
    )
    _retired_draws(d, v, created)
    rate_f = 0.02 + 0.08 * v[9] if v[8] < 0.1 else 0.1 * 600 ** (v[9] ** 1.6)
    rate = max(1, round(rate_f * RATE_ONE))
    first_day = max(int(created // DAY) + 1, T_2010_11_06 // DAY)
    shift = (_TZ[int(v[10] * len(_TZ))] + _CHRONOTYPE[int(v[11] * len(_CHRONOTYPE))]) % 24
    reply = 0.08 + 0.24 * v[12]
    retweet = 0.05 + 0.3 * v[13]
    quote = 0.01 + 0.08 * v[14]
    key = d.bits()
    w = d.coarse_many(8)  # the count dynamics' parameters: drawn last, so nothing drawn before them moved
    turnover = 10 ** (-5.3 + w[1])
    base = 20 * 10 ** (5 * v[15] ** 1.6)
    if 0 <= catalogue < POPULAR:
        base = 10 ** (4 + 2.7 * v[15])  # the accounts others mention and repost are big
    low22 = catalogue if catalogue >= 0 else (1 << 21) | names.low21(seed, user_id)
    return Core(
        id=user_id,
        seed=seed,
        name=name,
        case=names.case_style(seed, user_id),
        key=key,
        catalogue=catalogue,
        low22=low22,
        exists=exists,
        created_at=created,
        trend=trend,
        suspensions=suspensions,
        protected_from=protected_from,
        deleted_at=deleted_at,
        rename=rename,
        rate=rate,
        first_day=first_day,
        hour_cdf=hour_cdf(shift),
        kind_cuts=(reply, reply + retweet, reply + retweet + quote),
        self_reply=0.1 + 0.4 * v[16],
        lang=LANGS[int(v[17] * len(LANGS))],
        source=SOURCES[int(v[18] * len(SOURCES))],
        pins=v[19] < 0.2,
        followers_base=base,
        growth=growth,
        ramp=(30 + 90 * v[20]) * DAY,
        rhythm=0.3 + 0.5 * w[0],
        phase=-((16 - shift) % 24) / 24,
        turnover=turnover,
        flow=turnover + abs(growth) / (YEAR / 3600),
        burst_chance=0.0 if rate_f < 0.2 else 0.3 * w[2] ** 2,
        burst_scale=0.002 + 0.008 * w[3],
        glitch_chance=0.0015 * 20 ** (2 * w[4] - 1),
        offset=float(int(w[5] * 28 * DAY)),
        following_base=10 ** (1.3 + 2.3 * v[24]),
        following_drift=-0.05 + 0.17 * v[25],
        listed_ratio=0.0005 + 0.0095 * v[26],
        likes_per_day=10 ** (-1 + 2.7 * v[27]),
    )


@lru_cache(maxsize=1 << 16)
def core(seed: int, user_id: int) -> Core:
    """`compute_core`, cached (bounded)."""
    return compute_core(seed, user_id)
