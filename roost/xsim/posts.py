"""When an account posts: O(1) prefix counts over days, stratified times within a day.

An account posts from `first_day` (the first UTC midnight after its creation, and never before
2010-11-06, where X's timeline history and snowflake ids begin). With the fixed-point rate R (posts a day times
2**20) and u(i) = floor(R * U(i) / 2**32) for a 32-bit hash U(i), so that 0 <= u(i) < R, the number of posts
before posting day i is

    C(0) = 0,    C(i) = floor((R * i + u(i)) / 2**20)  for i >= 1.

C never decreases: R * i + u(i) < R * i + R <= R * (i + 1) + u(i + 1), and floor keeps the order; C(1) >= 0.
It is all integer arithmetic, so no float rounding can break it, and the day of post k is one of two
candidates (see `locate`): O(1) however old the account.

Day i holds n = C(i+1) - C(i) posts (at most about r + 1). Post j of the day sits at quantile
q_j = (j + v_j) / n, v_j in [0.1, 0.9], of the account's hour-of-day distribution (inverse CDF, piecewise linear
over 24 hours). Consecutive quantiles differ by at least 0.2 / n, and the density is at most 2.5 times its mean,
so consecutive posts are at least 0.2 * 86400 / (2.5 * 62) > 100 seconds apart: times strictly increase with
the index and no two posts of an author share a millisecond (their ids, same low bits, never collide).
"""

from __future__ import annotations

from bisect import bisect_right

from roost.xsim.hashing import Draws, mix1
from roost.xsim.personas import Core

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
_SALT_DAY = 0xDA70000000000000
_SALT_SLOT = 0x5107000000000000
SALT_POST = 0x9057000000000000  # a post's own draws (world.py builds it from them)


def before_day(c: Core, i: int) -> int:
    """C(i): the number of posts the account made before its posting day i."""
    if i <= 0:
        return 0
    rate = c.rate
    return (rate * i + ((rate * (mix1(c.key ^ _SALT_DAY, i) >> 32)) >> 32)) >> 20


def locate(c: Core, k: int) -> tuple[int, int, int]:
    """(day i, C(i), n) for post k >= 0: the posting day holding it, the posts before that day, the day's count.

    With j = floor((k + 1) * 2**20 / R): R * (j + 1) > (k + 1) * 2**20, so C(j + 1) > k; and
    R * (j - 1) + u < R * j <= (k + 1) * 2**20, so C(j - 1) <= k. The day is j - 1 if C(j) > k, else j: two
    evaluations of C, however old or quiet the account.
    """
    j = ((k + 1) << 20) // c.rate
    c_j = before_day(c, j)
    if c_j > k:
        c_prev = before_day(c, j - 1)
        return j - 1, c_prev, c_j - c_prev
    return j, c_j, before_day(c, j + 1) - c_j


def slot_ms(c: Core, i: int, j: int, n: int) -> int:
    """Creation time (ms) of post j of the n posts of posting day i."""
    v = 0.1 + 0.8 * ((mix1(c.key ^ _SALT_SLOT, (i << 8) | j) >> 11) * (1.0 / (1 << 53)))
    q = (j + v) / n
    cdf = c.hour_cdf
    h = bisect_right(cdf, q) - 1
    frac = (q - cdf[h]) / (cdf[h + 1] - cdf[h])
    return (c.first_day + i) * DAY_MS + h * HOUR_MS + int(frac * HOUR_MS)


def post_ms(c: Core, k: int) -> int:
    """Creation time (ms) of the account's post k (0-based)."""
    i, c0, n = locate(c, k)
    return slot_ms(c, i, k - c0, n)


def count_at_ms(c: Core, m: int) -> int:
    """The number of the account's posts created at or before millisecond m."""
    i = m // DAY_MS - c.first_day
    if i < 0:
        return 0
    c0 = before_day(c, i)
    n = before_day(c, i + 1) - c0
    if n == 0:
        return c0
    s = m - (c.first_day + i) * DAY_MS
    h = s // HOUR_MS
    cdf = c.hour_cdf
    q = cdf[h] + (cdf[h + 1] - cdf[h]) * ((s - h * HOUR_MS) / HOUR_MS)
    # Every post j <= q*n - 2 has quantile <= q - 1.1/n, well before s: start the exact walk just below.
    j = max(0, int(q * n) - 1)
    while j < n and slot_ms(c, i, j, n) <= m:
        j += 1
    return c0 + j


def is_original(c: Core, k: int) -> bool:
    """Whether post k is an original: its first draw is past the reply/retweet/quote cuts (world.py decides the
    kind with the same draw; a failed reply or quote may also end up original, but never the other way)."""
    return Draws(mix1(c.key ^ SALT_POST, k)).unit() >= c.kind_cuts[2]
