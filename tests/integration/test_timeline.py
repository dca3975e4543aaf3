"""The timeline pass in virtual time against the emulator: the archive holds exactly what the world published,
quiet accounts cost nothing, backfills stop at X's cap, metrics are refreshed and deletions marked."""

from __future__ import annotations

import itertools
import math
from typing import Any

import orjson
from sqlalchemy import select

from roost.collector.timeline import backfill
from roost.core import domain
from roost.store.schema import tweets, x_users
from roost.xsim.model import Post
from roost.xsim.world import World
from tests.integration.collector_helpers import DAY, HOUR, START, Rig, quiet_names, rig

TIMELINE = "GET /2/users/:id/tweets 200"
LOOKUP = "GET /2/tweets 200"


def stats(r: Rig) -> dict[str, int]:
    return dict(r.transport.app.state.stats)  # type: ignore[attr-defined]


async def archive(r: Rig, author_id: int) -> dict[int, dict[str, Any]]:
    async with r.engine.connect() as conn:
        rows = await conn.execute(select(tweets).where(tweets.c.author_id == author_id))
        return {int(row.id): dict(row._mapping) for row in rows}


def user_ids(world: World, names: list[str]) -> list[int]:
    ids = []
    for name in names:
        state = world.user_by_username(name, START)
        assert state is not None
        ids.append(state.id)
    return ids


def expected_posts(world: World, user_id: int, lo: int, hi: int) -> dict[int, Post]:
    return {world.post_id(user_id, i): world.post(user_id, i) for i in range(lo, hi)}


def pages(n: int) -> int:
    return max(1, math.ceil(n / 100))


def check_post(row: dict[str, Any], post: Post) -> None:
    refs = [{"type": kind, "id": str(ref)} for kind, ref in post.references]
    assert (row["kind"], row["created_at"], row["text"]) == (post.kind, post.created_at_ms // 1000, post.text)
    assert (orjson.loads(row["referenced"]) if row["referenced"] else []) == refs
    assert row["in_reply_to_user_id"] == post.in_reply_to_user_id
    assert row["conversation_id"] == (post.conversation_id or post.id)
    assert (row["lang"], row["source"]) == (post.lang, post.source)
    assert orjson.loads(row["raw"])["id"] == str(post.id)
    assert row["deleted_at"] is None


async def test_a_week_archives_exactly_what_was_posted_and_quiet_hours_cost_nothing(database_url: str) -> None:
    depth = 50
    async with rig(database_url) as r:
        names = quiet_names(r.world, 6, START, START + 7 * DAY, offset=300)
        ids = user_ids(r.world, names)
        await r.track(names)
        collector = r.collector(timeline=True, backfill_depth=depth)
        await collector.run(until=START + 7 * DAY)
        await collector.run_once()  # the bucket `until` falls in, read at exactly `until`
        end = START + 7 * DAY
        # The passes ran at START, then at the start of every bucket, then at `end`: what each saw is known.
        times = [START, *range(domain.bucket_of(START, HOUR) + HOUR, int(end), HOUR), end]
        want_requests = 0
        kinds: set[str] = set()
        for user_id in ids:
            counts = [r.world.tweet_count(user_id, t) for t in times]
            first = max(0, counts[0] - depth)
            want = expected_posts(r.world, user_id, first, counts[-1])
            got = await archive(r, user_id)
            assert set(got) == set(want), user_id  # none missing, none doubled (ids are the primary key)
            for post_id, post in want.items():
                check_post(got[post_id], post)
                kinds.add(post.kind)
            want_requests += pages(counts[0] - first)  # the backfill
            want_requests += sum(pages(b - a) for a, b in itertools.pairwise(counts) if b > a)
        assert kinds == {"original", "reply", "retweet", "quote"}
        assert stats(r)[TIMELINE] == want_requests  # a quiet account in a pass costs no timeline request
        assert sum(t.requests for t in collector.timeline_reports) == want_requests
        async with r.engine.connect() as conn:
            seen = dict((await conn.execute(select(x_users.c.id, x_users.c.tweet_count_seen))).all())
        assert seen == {u: r.world.tweet_count(u, end) for u in ids}


async def test_backfill_reads_exactly_the_newest_3200_in_32_requests(database_url: str) -> None:
    async with rig(database_url) as r:
        name = next(n for n in quiet_names(r.world, 200, START, START + DAY) if _count(r.world, n) > 3500)
        (user_id,) = user_ids(r.world, [name])
        await r.track([name])
        await r.collector(timeline=True).run_once()
        n = r.world.tweet_count(user_id, START)
        assert set(await archive(r, user_id)) == set(expected_posts(r.world, user_id, n - 3200, n))
        assert stats(r)[TIMELINE] == 32
        # `roost backfill` re-reads the same reach: nothing doubled, a progress hook sees every page.
        seen: list[int] = []
        read = await backfill(r.engine, r.xclient, r.clock, user_id=user_id, on_page=seen.append)
        assert (read.posts, read.requests, len(seen), sum(seen)) == (3200, 32, 32, 3200)
        assert len(await archive(r, user_id)) == 3200


def _count(world: World, name: str) -> int:
    state = world.user_by_username(name, START)
    return state.tweet_count if state else 0


async def test_cap_and_exclude_behave_as_x_documents(database_url: str) -> None:
    async with rig(database_url) as r:
        name = next(n for n in quiet_names(r.world, 200, START, START + DAY) if _count(r.world, n) > 3500)
        (user_id,) = user_ids(r.world, [name])
        n = r.world.tweet_count(user_id, START)
        for exclude, reach in (((), 3200), (("retweets",), 3200), (("replies",), 800), (("replies", "retweets"), 800)):
            got: list[int] = []
            token: str | None = None
            while True:
                page = await r.xclient.user_timeline_page(user_id, pagination_token=token, exclude=exclude)
                got.extend(p.id for p in page.posts)
                if page.next_token is None:
                    break
                token = page.next_token
            skip = {"retweets": "retweet", "replies": "reply"}
            want = [
                p.id
                for p in reversed(expected_posts(r.world, user_id, n - reach, n).values())
                if p.kind not in {skip[e] for e in exclude}
            ]
            assert got == want, exclude
        # A since_id older than the reachable window is forced to the oldest reachable post.
        oldest = r.world.post_id(user_id, 0)
        page = await r.xclient.user_timeline_page(user_id, since_id=oldest)
        assert page.posts[0].id == r.world.post_id(user_id, n - 1)


async def test_metrics_refresh_and_deleted_posts_are_marked_not_erased(database_url: str) -> None:
    async with rig(database_url) as r:
        names = quiet_names(r.world, 40, START, START + 2 * DAY, offset=900)
        # An account with posts of the last day (their 24 h refresh is still to come) and older ones.
        name = next(
            n for n in names if _count(r.world, n) - r.world.tweet_count(user_ids(r.world, [n])[0], START - DAY) >= 3
        )
        ids = user_ids(r.world, [name])
        await r.track([name])
        collector = r.collector(timeline=True, backfill_depth=100)  # the default schedule: 1h, 24h
        await collector.run_once()
        posts = await archive(r, ids[0])
        young = sorted(p for p, row in posts.items() if row["created_at"] > START - DAY)
        old = sorted(p for p, row in posts.items() if row["created_at"] <= START - DAY)
        assert young and old, "the account needs posts on both sides of the refresh window"
        handlers = r.transport.app.state.emulator.handlers  # type: ignore[attr-defined]
        assert handlers.delete_post(young[-1], r.clock.now())
        assert handlers.delete_post(old[-1], r.clock.now())
        before = stats(r).get(LOOKUP, 0)
        await collector.run(until=START + DAY + HOUR)
        after = await archive(r, ids[0])
        # The young deleted post is found gone by its 24 h refresh; the old one was past every stage when archived.
        assert after[young[-1]]["deleted_at"] is not None
        assert after[old[-1]]["deleted_at"] is None
        refreshed = [p for p in young[:-1] if after[p]["metrics_at"] > posts[p]["metrics_at"]]
        assert refreshed == young[:-1]
        assert all(after[p]["metrics_at"] == posts[p]["metrics_at"] for p in old)
        for p in refreshed:
            when = after[p]["metrics_at"]
            m = r.world.metrics(r.world.post_by_id(p, when), when)  # type: ignore[arg-type]
            assert orjson.loads(after[p]["metrics"])["like_count"] == m.like_count
        assert stats(r)[LOOKUP] - before >= 1
        # A full re-read (roost backfill) finds the old one gone from the timeline while within reach.
        await backfill(r.engine, r.xclient, r.clock, user_id=ids[0], depth=100)
        final = await archive(r, ids[0])
        assert final[old[-1]]["deleted_at"] is not None
        assert set(final) >= set(posts)  # marked, never erased


async def test_a_quiet_account_costs_no_timeline_request(database_url: str) -> None:
    async with rig(database_url) as r:
        names = quiet_names(r.world, 50, START, START + DAY, offset=1500)
        ids = user_ids(r.world, names)
        # An account that makes no post in the next hour (the pass at the next bucket sees the same count).
        nxt = domain.bucket_of(START, HOUR) + HOUR
        quiet = [(n, u) for n, u in zip(names, ids, strict=True) if r.world.tweet_count(u, nxt) == _count(r.world, n)]
        name, _user_id = quiet[0]
        await r.track([name])
        collector = r.collector(timeline=True, backfill_depth=10)
        await collector.run_once()
        backfill_requests = stats(r)[TIMELINE]
        r.clock.set(nxt)
        await collector.run_once()
        assert stats(r)[TIMELINE] == backfill_requests
        assert collector.timeline_reports[-1].users == 0
