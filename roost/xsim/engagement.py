"""How much engagement a post of the emulator's world draws: its eventual metrics and the time they take to grow,
a pure function of (seed, post id, author, kind). `World.metrics` reads them at an instant (see world.py)."""

from __future__ import annotations

import math

from roost.xsim import counts, personas
from roost.xsim.hashing import Draws, mix
from roost.xsim.model import snowflake_ms

_SALT_METRICS = 0x3E7C
_MEDIAN_RATE = 0.0004  # engagements per follower of the median post of a 10,000-follower account
_RATE_SIGMA = 1.0
_VIRAL_CHANCE = 0.02
_VIRAL_ALPHA = 1.2
_TWO_PI = 2.0 * math.pi


def _gauss(d: Draws) -> float:
    """A standard normal draw (Box-Muller from two uniforms)."""
    u1, u2 = d.unit(), d.unit()
    return math.sqrt(-2.0 * math.log(1.0 - u1)) * math.cos(_TWO_PI * u2)


def finals(seed: int, post_id: int, author_id: int, kind: str) -> tuple[float, ...]:
    """A post's eventual metrics and growth time, heavy-tailed and scaled by the audience when it was posted.

    Calibrated on public benchmarks for real accounts (approximate figures): the median engagement rate per
    post on X is about 0.03-0.05 % of followers (Rival IQ's yearly social media benchmark reports put it
    near 0.03-0.05 % across industries, 2022-2024; Hootsuite's and Sprout's guides quote 0.03-0.1 %), higher
    for small accounts and lower for big ones; likes make most of it, reposts are about 10-20 % of likes,
    replies fewer, quotes a few % of reposts; a post is seen by a few % to a few tens of % of the followers
    (impressions), and engagement per impression is about 0.2-1 %. So: engagement rate = median(size) *
    lognormal(sigma 1.0), the median 0.04 % at 10,000 followers and scaling as followers ** -0.2 (about
    0.1 % at 100, 0.016 % at a million); one post in 50 goes viral, Pareto(alpha 1.2) times more (up to
    1000x), and the popular post behind a follower burst earns about half its new followers' share in likes.
    """
    c = personas.core(seed, author_id)
    d = Draws(mix(seed, _SALT_METRICS, post_id))
    ms = snowflake_ms(post_id)
    audience = counts.smooth_followers(c, ms / 1000.0) + 10.0
    if kind == "retweet":  # a retweet's own counters stay small; the original collects the engagement
        likes = audience * d.between(0.0, 0.00005)
        return (likes * 0.1, likes * 0.05, likes, 0.0, likes * 0.05, audience * d.between(0.002, 0.01), 3600.0)
    rate = _MEDIAN_RATE * (audience / 10_000.0) ** -0.2 * math.exp(_RATE_SIGMA * _gauss(d))
    if d.unit() < _VIRAL_CHANCE:
        rate *= min((1.0 - d.unit()) ** (-1.0 / _VIRAL_ALPHA), 1000.0)
    burst = counts.burst_of(c, ms / 1000.0)
    if burst is not None and burst.post_ms == ms:  # the popular post behind a follower burst
        rate = max(rate, 0.5 * burst.share)
    engagement = min(audience * rate, audience * 1.5 + 1000.0)
    retweets_per_like = d.between(0.1, 0.2)
    replies_per_like = d.between(0.02, 0.1)
    quotes_per_retweet = d.between(0.03, 0.15)
    likes = engagement / (1.0 + retweets_per_like * (1.0 + quotes_per_retweet) + replies_per_like)
    retweets = likes * retweets_per_like
    bookmarks = likes * d.between(0.05, 0.15)  # bookmarks are private reactions: not in the engagement rate
    reach = 0.1 * math.exp(0.6 * _gauss(d))  # a tenth of the followers in the median post, 3-30 % mostly
    impressions = audience * min(reach, 0.8) + likes * d.between(50.0, 150.0)
    return (
        retweets,
        likes * replies_per_like,
        likes,
        retweets * quotes_per_retweet,
        bookmarks,
        impressions,
        d.between(1.0, 12.0) * 3600.0,
    )
