"""The demo's accounts stay lively and fate-free in the default world, whatever day the first run happens on."""

from __future__ import annotations

from itertools import pairwise

from roost.core import analytics
from roost.services.demo import DEMO_ACCOUNTS
from roost.xsim import personas
from roost.xsim.world import World

T_2025_06 = 1748736000
T_2028 = 1830297600
DAY = 86400


def test_demo_accounts_are_plain_posting_accounts_with_the_advertised_trends() -> None:
    world = World(2024)
    trends = []
    for name in DEMO_ACCOUNTS:
        state = world.user_by_username(name, T_2025_06)
        assert state is not None and state.username == name
        events = world.events(state.id)
        assert events is not None and personas.is_plain(2024, state.id)
        assert not (events.suspensions or events.rename or events.deleted_at or events.protected_from)
        assert events.created_at < T_2025_06 - 365 * 86400
        assert 1.0 <= events.posts_per_day <= 12.0
        later = world.user(state.id, T_2028)
        assert later is not None and later.status == "active" and later.followers_count >= 500
        trends.append(events.trend)
    assert trends == ["growing", "shrinking", "flat", "growing"]


def test_any_first_run_s_30_days_show_a_flagged_glitch() -> None:
    """Between them the demo accounts have a collapse-and-recover glitch (which the dashboard flags) at least every
    29 days from 2025-05 to 2028, so the demo shows one whatever day the first run happens on."""
    world = World(2024)
    starts = []
    for name in DEMO_ACCOUNTS:
        state = world.user_by_username(name, T_2025_06)
        assert state is not None
        for g in world.glitches(state.id, T_2025_06 - 30 * DAY, T_2028):
            before = world.user(state.id, g.start - 1)
            inside = world.user(state.id, g.start)
            assert before is not None and inside is not None
            metric = "followers_count" if g.metric == "followers" else "listed_count"
            base, low = getattr(before, metric), getattr(inside, metric)
            if base >= analytics.GLITCH_MIN_BASE and low < base * (1 - analytics.GLITCH_DROP):
                starts.append(g.start)
    starts.sort()
    assert starts[0] < T_2025_06 and starts[-1] > T_2028 - 30 * DAY
    assert max(b - a for a, b in pairwise(starts)) < 29 * DAY
