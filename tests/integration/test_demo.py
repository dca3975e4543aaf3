"""The first run's demo account: made once, on an empty database, with history the real collector produced."""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import select

from roost.config import Settings
from roost.core import auth, domain
from roost.services.demo import DEMO_EMAIL, DEMO_PASSWORD, ensure_demo
from roost.store import accounts as account_store
from roost.store import alerts as alert_store
from roost.store import tags as tag_store
from roost.store import tracker_list
from roost.store.db import create_engine
from roost.store.schema import snapshots, tweets
from roost.xsim.world import World

NOW = 1_795_000_000.0
HOUR = 3600


async def test_the_demo_account_holds_collected_history_once(database_url: str) -> None:
    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    engine = create_engine(database_url)
    try:
        login = await ensure_demo(settings, engine, now=NOW, days=2)
        assert login is not None and login.email == DEMO_EMAIL and len(login.aliases) == 4
        assert await ensure_demo(settings, engine, now=NOW + HOUR, days=2) is None  # never twice
        async with engine.connect() as conn:
            account = await account_store.get_account_by_email(conn, email=DEMO_EMAIL)
            assert account is not None and auth.verify_password(account.password_hash, DEMO_PASSWORD)
            views, total = await tracker_list.list_trackers(conn, account_id=account.id, interval=HOUR)
            tags, _ = await tag_store.list_tags(conn, account_id=account.id)
            rows = (await conn.execute(select(snapshots).order_by(snapshots.c.x_user_id, snapshots.c.bucket))).all()
            posts = (await conn.execute(select(tweets.c.author_id))).all()
        assert total == 4 and {v.username for v in views} == set(login.aliases)
        assert len(tags) == 1
        series: dict[int, list[int]] = defaultdict(list)
        world = World(settings.xsim_seed)
        for row in rows:
            series[row.x_user_id].append(row.bucket)
            state = world.user(row.x_user_id, row.created_at)
            assert state is not None and (row.followers, row.tweets) == (state.followers_count, state.tweet_count)
        first = domain.bucket_of(NOW - 2 * 86400, HOUR)
        want = list(range(first, domain.bucket_of(NOW, HOUR) + HOUR, HOUR))
        assert set(series) == {v.tracker.x_user_id for v in views}
        assert all(buckets == want for buckets in series.values())  # every hour of the two days, once
        assert {p.author_id for p in posts} == set(series)  # the timeline archive has their posts too
    finally:
        await engine.dispose()


async def test_the_demo_starts_with_two_example_rules_a_dashboard_channel_and_a_notification(database_url: str) -> None:
    settings = Settings(database_url=database_url, _env_file=None, timeline=False)  # type: ignore[call-arg]
    engine = create_engine(database_url)
    try:
        assert await ensure_demo(settings, engine, now=NOW, days=7) is not None
        async with engine.connect() as conn:
            account = await account_store.get_account_by_email(conn, email=DEMO_EMAIL)
            assert account is not None
            rules = await alert_store.list_rules(conn, account_id=account.id)
            channels = await alert_store.list_channels(conn, account_id=account.id)
            shown = await alert_store.list_events(conn, account_id=account.id, dashboard_only=True)
        assert sorted(r.kind for r in rules) == ["threshold", "unusual"]
        assert [c.kind for c in channels] == ["dashboard"]
        # The milestone is reached in the history's first days, so the first run has something to show.
        assert any(e.kind == "threshold" and "followers reached" in e.title for e in shown), [e.title for e in shown]
        assert all(e.read_at is None for e in shown)
    finally:
        await engine.dispose()
