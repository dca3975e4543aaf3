"""The metrics refresh schedule (`ROOST_REFRESH_SCHEDULE`) in virtual time against the emulator: each post's
metrics are re-read exactly at the pass that follows each scheduled age, never in between, and not for a stage
the post was already older than when it was archived; the per-tracker archive switch keeps an account's posts
out of both the timeline pass and the refresh."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson
from sqlalchemy import select

from roost.core import domain
from roost.core.billing import parse_refresh_schedule
from roost.store import trackers as tracker_store
from roost.store.db import transaction
from roost.store.schema import tweets
from tests.integration.collector_helpers import DAY, HOUR, START, Rig, quiet_names, rig

STAGES = parse_refresh_schedule("1h,24h,2d")
TIMELINE = "GET /2/users/:id/tweets 200"


def spy_lookups(r: Rig) -> dict[int, list[int]]:
    """Every time each post id was asked of `GET /2/tweets` (the real client, observed)."""
    seen: dict[int, list[int]] = defaultdict(list)
    original = r.xclient.posts_by_ids

    async def observed(ids: list[int], **kwargs: Any) -> Any:
        for post_id in ids:
            seen[post_id].append(int(r.clock.now()))
        return await original(ids, **kwargs)

    r.xclient.posts_by_ids = observed  # type: ignore[method-assign]
    return seen


def active_names(r: Rig, n: int) -> list[str]:
    """Quiet accounts that post at least twice a day in the test's span (so new posts reach every stage)."""
    found = []
    for name in quiet_names(r.world, 60, START, START + 4 * DAY, offset=2000):
        state = r.world.user_by_username(name, START)
        assert state is not None
        if r.world.tweet_count(state.id, START + 2 * DAY) - r.world.tweet_count(state.id, START) >= 4:
            found.append(name)
        if len(found) == n:
            return found
    raise AssertionError("the world has too few active quiet accounts near START")


async def test_each_post_is_read_exactly_at_its_scheduled_ages(database_url: str) -> None:
    end = START + 3 * DAY + HOUR
    async with rig(database_url) as r:
        names = active_names(r, 3)
        await r.track(names)
        reads = spy_lookups(r)
        collector = r.collector(timeline=True, backfill_depth=20, refresh_stages=STAGES)
        await collector.run(until=end)
        passes = [START, *range(domain.bucket_of(START, HOUR) + HOUR, end, HOUR)]
        async with r.engine.connect() as conn:
            rows = (await conn.execute(select(tweets.c.id, tweets.c.created_at, tweets.c.metrics))).all()
        archived_at: dict[int, int] = {}
        for name in names:
            state = r.world.user_by_username(name, START)
            assert state is not None
            seen = 0
            for t in passes:  # the pass that first saw each post archived it
                count = r.world.tweet_count(state.id, t)
                for index in range(seen, count):
                    archived_at.setdefault(r.world.post_id(state.id, index), t)
                seen = max(seen, count)
        checked = reached = 0
        for post_id, created, metrics in rows:
            archived = archived_at[int(post_id)]
            want = []
            for age in STAGES:
                due = next((t for t in passes if t >= created + age), None)
                if archived < created + age and due is not None:
                    want.append(due)
            assert reads.get(int(post_id), []) == want, (post_id, created, archived)
            checked += 1
            reached += len(want) == len(STAGES)
            if want:  # the archive holds what X said at the last read
                post = r.world.post_by_id(int(post_id), want[-1])
                assert post is not None
                assert orjson.loads(metrics)["like_count"] == r.world.metrics(post, want[-1]).like_count
        assert reached >= 6, "some posts must have been read at all three ages"
        assert checked > reached


async def test_an_account_without_its_archive_costs_snapshots_only(database_url: str) -> None:
    async with rig(database_url) as r:
        archived, bare = active_names(r, 2)
        ids = await r.track([archived, bare])
        async with transaction(r.engine) as conn:
            await tracker_store.set_archive(conn, tracker_id=ids[1], archive=False, now=int(r.clock.now()))
        reads = spy_lookups(r)
        collector = r.collector(timeline=True, backfill_depth=20, refresh_stages=STAGES)
        await collector.run(until=START + 2 * DAY)
        with_archive, without = (r.world.user_by_username(n, START) for n in (archived, bare))
        assert with_archive is not None and without is not None
        async with r.engine.connect() as conn:
            rows = (await conn.execute(select(tweets.c.id, tweets.c.author_id))).all()
        assert {int(a) for _, a in rows} == {with_archive.id}
        assert reads and set(reads) <= {int(p) for p, _ in rows}  # refreshes only of archived posts
        # Switched on again, the next pass backfills the account it never read.
        async with transaction(r.engine) as conn:
            await tracker_store.set_archive(conn, tracker_id=ids[1], archive=True, now=int(r.clock.now()))
        await collector.run_once()
        async with r.engine.connect() as conn:
            query = select(tweets.c.id).where(tweets.c.author_id == without.id)
            assert len((await conn.execute(query)).all()) == 20
