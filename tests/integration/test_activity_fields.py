"""The activity fields of timeline stats (`originals`, `retweetStatuses`, `deleted`, `retweets`, `favorites`): a
week of hourly snapshots collected in virtual time, each compared with a direct count over the emulator's world at
the instant it was collected (post types from the world; received retweets and likes as the world had them when
the archive last read each post), and never revised afterwards."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from roost.core import domain
from roost.store.activity import WINDOW
from roost.store.schema import snapshots, tweets
from tests.integration.collector_helpers import DAY, HOUR, START, Rig, quiet_names, rig
from tests.integration.test_timeline import user_ids

ACTIVITY = ("originals", "retweet_statuses", "deleted", "retweets", "favorites")


async def stamped(r: Rig, bucket: int) -> dict[int, tuple[Any, ...]]:
    async with r.engine.connect() as conn:
        rows = await conn.execute(
            select(snapshots.c.x_user_id, *(snapshots.c[c] for c in ACTIVITY)).where(snapshots.c.bucket == bucket)
        )
        return {row[0]: tuple(row[1:]) for row in rows}


async def metrics_read_at(r: Rig, author_id: int) -> dict[int, tuple[int | None, int | None]]:
    """When the archive last read each post's metrics, and when it found it deleted (as of now)."""
    async with r.engine.connect() as conn:
        rows = await conn.execute(
            select(tweets.c.id, tweets.c.metrics_at, tweets.c.deleted_at).where(tweets.c.author_id == author_id)
        )
        return {row[0]: (row[1], row[2]) for row in rows}


def direct_count(r: Rig, user_id: int, t: int, read: dict[int, tuple[int | None, int | None]]) -> tuple[int, ...]:
    """The world's posts of `user_id` published in (t - WINDOW, t], counted by type; retweets and likes received by
    the live non-retweets as the world had them at the instant the archive read each one."""
    originals = retweet_statuses = deleted = retweets = favorites = 0
    index = r.world.tweet_count(user_id, t) - 1
    while index >= 0:
        post = r.world.post(user_id, index)
        index -= 1
        created = post.created_at_ms // 1000
        if created <= t - WINDOW:
            break
        assert created <= t
        if post.kind == "retweet":
            retweet_statuses += 1
        else:
            originals += 1
        metrics_at, deleted_at = read[post.id]  # every post published by t is archived by then
        if deleted_at is not None:
            assert r.world.post_by_id(post.id, deleted_at) is None
            deleted += 1
        elif post.kind != "retweet":
            assert metrics_at is not None
            seen = r.world.metrics(post, metrics_at)
            retweets += seen.retweet_count
            favorites += seen.like_count
    return originals, retweet_statuses, deleted, retweets, favorites


async def test_a_week_of_activity_fields_equals_a_direct_count_over_the_world(database_url: str) -> None:
    async with rig(database_url) as r:
        names = quiet_names(r.world, 3, START, START + 7 * DAY, offset=120)
        ids = user_ids(r.world, names)
        await r.track(names)
        collector = r.collector(timeline=True)
        seen: dict[int, dict[int, tuple[Any, ...]]] = {}
        busy = 0
        for _ in range(7 * 24):
            report = await collector.run_once()
            t = int(r.clock.now())
            got = await stamped(r, report.bucket)
            assert set(got) == set(ids)
            for user_id in ids:
                want = direct_count(r, user_id, t, await metrics_read_at(r, user_id))
                assert got[user_id] == want, (user_id, report.bucket)
                busy += want[0] + want[1] > 0
            seen[report.bucket] = got
            r.clock.set(domain.bucket_of(t, HOUR) + HOUR + 90)
        assert busy > 100  # the accounts did post: the comparison is not of zeros
        for bucket, got in seen.items():  # a past snapshot never changes
            assert await stamped(r, bucket) == got
