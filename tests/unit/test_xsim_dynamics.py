"""The emulator's accounts move like real ones (issue 15): hourly samples of a few hundred accounts, compared with
series recorded from Tweet Binder's service in November 2024 (see roost/xsim/counts.py for the figures)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from statistics import median

from roost.core import analytics
from roost.xsim.world import World

SEED = 2024
HOUR = 3600
DAY = 86400
START = 1_795_000_000 - 1_795_000_000 % HOUR  # 2026-11-19T07:00Z
HOURS = 72
W = World(SEED)


@dataclass(frozen=True, slots=True)
class Snap:
    bucket: int
    followers: int
    following: int
    tweets: int
    lists: int


@cache
def sample() -> tuple[tuple[Snap, ...], ...]:
    """Hourly snapshots over three days of every 50th catalogue account that is active (popular and ordinary
    ones alike), as the collector would store them."""
    series = []
    for index in range(0, 20_000, 50):
        user_id = W.catalogue_id(index)
        first = W.user(user_id, START)
        if first is None or first.status != "active" or first.followers_count == 0:
            continue
        snaps = []
        for h in range(HOURS + 1):
            s = W.user(user_id, START + h * HOUR)
            assert s is not None
            snaps.append(Snap(START + h * HOUR, s.followers_count, s.following_count, s.tweet_count, s.listed_count))
        series.append(tuple(snaps))
    return tuple(series)


def account_days() -> float:
    return len(sample()) * HOURS / 24


def test_the_sample_is_a_few_hundred_accounts_of_every_size() -> None:
    sizes = [s[0].followers for s in sample()]
    assert 300 <= len(sizes) <= 400
    assert min(sizes) < 100 and max(sizes) > 1_000_000
    assert all(s[-1].tweets >= s[0].tweets for s in sample())


def test_hourly_follower_changes_are_as_small_as_real_ones() -> None:
    """Recorded: 0 followers in the median hour for a 37,500 account, 0.008 % of its size at the 90th percentile."""
    changes = []
    for snaps in sample():
        bad = {g.bucket for g in analytics.flag_glitches(snaps) if g.metric == "followers"}
        good = [s for s in snaps if s.bucket not in bad]
        changes.extend(abs(b.followers - a.followers) / a.followers for a, b in pairwise(good) if a.followers)
    changes.sort()
    p50, p90 = changes[len(changes) // 2], changes[int(len(changes) * 0.9)]
    assert p50 <= 0.0001, p50
    assert p90 <= 0.0003, p90
    assert changes[-1] > 0  # they do move


def test_following_never_flickers() -> None:
    """Recorded: following changed once in 24 hours (2572 to 2571) and never went back and forth."""
    flips = 0
    for snaps in sample():
        bad = {g.bucket for g in analytics.flag_glitches(snaps) if g.metric == "following"}
        values = [s.following for s in snaps if s.bucket not in bad]
        steps = [b - a for a, b in pairwise(values) if b != a]
        flips += sum((x > 0) != (y > 0) for x, y in pairwise(steps))
    assert flips / account_days() <= 0.3


def test_upstream_glitches_collapse_and_recover_at_a_low_rate() -> None:
    """Recorded: `lists` read 0 twice in a day and recovered an hour later. Roost's analytics flag such values."""
    episodes = 0
    metrics = set()
    for snaps in sample():
        flagged = sorted((g.metric, g.bucket) for g in analytics.flag_glitches(snaps))
        assert all(metric in ("followers", "lists") for metric, _ in flagged)  # tweet_count never glitches
        metrics.update(metric for metric, _ in flagged)
        episodes += sum(
            1 for k, (m, b) in enumerate(flagged) if k == 0 or flagged[k - 1] != (m, b - HOUR)
        )  # consecutive flagged hours of one metric are one glitch
    rate = episodes / account_days()
    assert 0.001 <= rate <= 0.1, rate
    assert metrics == {"followers", "lists"}


def test_every_flagged_glitch_is_one_of_the_world_s_glitches() -> None:
    """The collapses the analytics flag are the emulator's seeded glitches (1-3 hours), not its noise or bursts."""
    for snaps in sample():
        flagged = analytics.flag_glitches(snaps)
        if not flagged:
            continue
        user_id = next(W.catalogue_id(i) for i in range(0, 20_000, 50) if _same_account(W.catalogue_id(i), snaps[0]))
        windows = W.glitches(user_id, START, START + HOURS * HOUR)
        assert windows and all(HOUR <= g.end - g.start < 3 * HOUR for g in windows)
        for f in flagged:
            assert any(g.start <= f.bucket < g.end and f.metric[:4] == g.metric[:4] for g in windows), f


def _same_account(user_id: int, first: Snap) -> bool:
    s = W.user(user_id, START)
    return s is not None and (s.followers_count, s.following_count, s.tweet_count) == (
        first.followers,
        first.following,
        first.tweets,
    )


def test_trends_over_30_days_still_differ_by_account() -> None:
    """Growing, shrinking and flat accounts all exist, and the monthly changes are plausible."""
    kinds = {"growing": 0, "shrinking": 0, "flat": 0}
    monthly = []
    for index in range(0, 20_000, 50):
        user_id = W.catalogue_id(index)
        a, b = W.user(user_id, START), W.user(user_id, START + 30 * DAY)
        if a is None or b is None or a.status != "active" or a.followers_count < 1000:
            continue
        if W.glitches(user_id, START, START + 1) or W.glitches(user_id, START + 30 * DAY, START + 30 * DAY + 1):
            continue  # a count reading 0 for an hour is no trend
        change = b.followers_count / a.followers_count - 1
        monthly.append(abs(change))
        kinds["growing" if change > 0.005 else "shrinking" if change < -0.005 else "flat"] += 1
    total = sum(kinds.values())
    assert total > 100
    assert all(n >= 0.05 * total for n in kinds.values()), kinds
    assert median(monthly) < 0.03 and max(monthly) < 0.25
