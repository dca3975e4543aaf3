"""The demo's accounts stay lively and fate-free in the default world, whatever day the first run happens on."""

from __future__ import annotations

from roost.services.demo import DEMO_ACCOUNTS
from roost.xsim import accounts
from roost.xsim.world import World

T_2025_06 = 1748736000
T_2028 = 1830297600


def test_demo_accounts_are_plain_posting_accounts_with_the_advertised_trends() -> None:
    world = World(2024)
    trends = []
    for name in DEMO_ACCOUNTS:
        state = world.user_by_username(name, T_2025_06)
        assert state is not None and state.username == name
        events = world.events(state.id)
        assert events is not None and accounts.is_plain(2024, state.id)
        assert not (events.suspensions or events.rename or events.deleted_at or events.protected_from)
        assert events.created_at < T_2025_06 - 365 * 86400
        assert 1.0 <= events.posts_per_day <= 12.0
        later = world.user(state.id, T_2028)
        assert later is not None and later.status == "active" and later.followers_count >= 500
        trends.append(events.trend)
    assert trends == ["growing", "shrinking", "flat", "growing"]
