"""Properties of the timeline and lookups, checked against the World directly with hypothesis.

- Paging by next_token and previous_token, in any order, never skips or repeats a post, even when the
  (virtual) clock moves and new posts arrive between pages.
- since_id / until_id / start_time / end_time / exclude select exactly the posts the World says.
- A lookup's tweet_count equals the number of posts the timeline shows at the same instant (< 3200 posts).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from roost.core.clock import VirtualClock
from roost.xsim.model import Post
from roost.xsim.testing import START, Xsim, find_user, xsim
from roost.xsim.world import World

WORLD = World(2024)
DAY = 86400
PROPERTY = settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _pool() -> list[int]:
    """Authors of different sizes: a few dozen posts, hundreds, and more than the 3200 window."""
    return [
        find_user(WORLD, START, min_posts=25, max_posts=120).id,
        find_user(WORLD, START, min_posts=300, max_posts=1500).id,
        find_user(WORLD, START, min_posts=2000, max_posts=3100).id,
        find_user(WORLD, START, min_posts=3300, max_posts=8000).id,
    ]


POOL = _pool()


def run(test: Callable[[Xsim], Awaitable[None]], clock: VirtualClock | None = None) -> None:
    async def main() -> None:
        async with xsim(world=WORLD, clock=clock or VirtualClock(START)) as x:
            await test(x)

    asyncio.run(main())


def history(user_id: int, t: float) -> list[Post]:
    return [WORLD.post(user_id, i) for i in range(WORLD.tweet_count(user_id, t))]


def expected(user_id: int, t: float, params: dict[str, Any], exclude: set[str]) -> list[str]:
    """The selection, newest first, computed from the World rather than from the emulator's code."""
    posts = history(user_id, t)
    posts = posts[-(800 if "replies" in exclude else 3200) :]
    if "since_id" in params or "until_id" in params:
        posts = [p for p in posts if p.id > int(params.get("since_id", -1))]
        posts = [p for p in posts if p.id < int(params.get("until_id", 1 << 64))]
    else:
        if "start_time" in params:
            posts = [p for p in posts if p.created_at_ms // 1000 >= params["_start"]]
        if "end_time" in params:
            posts = [p for p in posts if p.created_at_ms // 1000 <= params["_end"]]
    kinds = {"replies": "reply", "retweets": "retweet"}
    posts = [p for p in posts if p.kind not in {kinds[e] for e in exclude}]
    return [str(p.id) for p in reversed(posts)]


def iso(seconds: int) -> str:
    import time

    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(seconds))


async def page(x: Xsim, user_id: int, params: dict[str, Any]) -> dict[str, Any]:
    sent = {k: v for k, v in params.items() if not k.startswith("_")}
    response = await x.get(f"/2/users/{user_id}/tweets", sent)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


@PROPERTY
@given(
    user=st.sampled_from(POOL),
    size=st.integers(min_value=5, max_value=100),
    exclude=st.sets(st.sampled_from(["replies", "retweets"])),
    moves=st.lists(
        st.tuples(st.sampled_from(["next", "prev"]), st.integers(min_value=0, max_value=3 * DAY), st.integers(5, 100)),
        min_size=1,
        max_size=12,
    ),
)
def test_paging_never_skips_or_repeats(user: int, size: int, exclude: set[str], moves: list[Any]) -> None:
    clock = VirtualClock(START)

    async def walk(x: Xsim) -> None:
        params: dict[str, Any] = {"max_results": size}
        if exclude:
            params["exclude"] = ",".join(sorted(exclude))
        want = expected(user, START, params, exclude)
        position = {post_id: i for i, post_id in enumerate(want)}
        body = await page(x, user, params)
        ids = [p["id"] for p in body.get("data", [])]
        assert ids == want[: len(ids)] and len(ids) == min(size, len(want))
        for move, advance, new_size in moves:
            clock.advance(advance)  # posts keep arriving; the walk must not notice
            meta = body["meta"]
            key = "next_token" if move == "next" else "previous_token"
            if key not in meta:
                # no token only at the ends of the selection
                if ids:
                    edge = want[-1] if move == "next" else want[0]
                    assert (ids[-1] if move == "next" else ids[0]) == edge
                continue
            body = await page(x, user, {**params, "max_results": new_size, "pagination_token": meta[key]})
            new = [p["id"] for p in body["data"]]
            assert 0 < len(new) <= new_size
            first, last = position[new[0]], position[new[-1]]
            assert new == want[first : last + 1]  # contiguous, newest first
            if move == "next":
                assert first == position[ids[-1]] + 1  # right after the previous page: nothing skipped
            else:
                assert last == position[ids[0]] - 1  # right before it
            ids = new

    run(walk, clock)


@PROPERTY
@given(
    user=st.sampled_from(POOL),
    size=st.integers(min_value=5, max_value=100),
    exclude=st.sets(st.sampled_from(["replies", "retweets"])),
    advance=st.integers(min_value=0, max_value=2 * DAY),
)
def test_a_full_walk_there_and_back_sees_each_post_once(user: int, size: int, exclude: set[str], advance: int) -> None:
    clock = VirtualClock(START)

    async def walk(x: Xsim) -> None:
        params: dict[str, Any] = {"max_results": size}
        if exclude:
            params["exclude"] = ",".join(sorted(exclude))
        want = expected(user, START, params, exclude)
        forward: list[list[str]] = []
        body = await page(x, user, params)
        while True:
            forward.append([p["id"] for p in body.get("data", [])])
            token = body["meta"].get("next_token")
            if token is None:
                break
            clock.advance(advance)
            body = await page(x, user, {**params, "pagination_token": token})
        assert [i for chunk in forward for i in chunk] == want  # no skip, no repeat
        backward: list[list[str]] = [forward[-1]]
        while "previous_token" in body["meta"]:
            clock.advance(advance)
            body = await page(x, user, {**params, "pagination_token": body["meta"]["previous_token"]})
            backward.append([p["id"] for p in body["data"]])
        assert backward == forward[::-1]  # the same pages, in reverse order

    run(walk, clock)


@settings(PROPERTY, max_examples=60)
@given(
    user=st.sampled_from(POOL),
    exclude=st.sets(st.sampled_from(["replies", "retweets"])),
    mode=st.sampled_from(["ids", "times", "both"]),
    bounds=st.tuples(st.floats(0, 1), st.floats(0, 1)),
    nudges=st.tuples(st.integers(-1, 1), st.integers(-1, 1)),
    which=st.sampled_from(["lower", "upper", "both"]),
)
def test_filters_select_what_the_world_says(
    user: int, exclude: set[str], mode: str, bounds: tuple[float, float], nudges: tuple[int, int], which: str
) -> None:
    posts = history(user, START)
    lo_i, hi_i = sorted(int(b * (len(posts) - 1)) for b in bounds)
    params: dict[str, Any] = {}
    if exclude:
        params["exclude"] = ",".join(sorted(exclude))
    if mode in ("ids", "both"):
        # ids of posts, or one off them (ids between posts), so exclusivity is exercised both ways
        since, until = posts[lo_i].id + nudges[0], posts[hi_i].id + nudges[1]
        if which != "upper":
            params["since_id"] = str(since)
        if which != "lower" and (which == "upper" or until > since):
            params["until_id"] = str(until)
    if mode in ("times", "both"):
        start, end = posts[lo_i].created_at_ms // 1000 + nudges[0], posts[hi_i].created_at_ms // 1000 + nudges[1]
        if which != "upper":
            params.update(start_time=iso(start), _start=start)
        if which != "lower" and (which == "upper" or end > start):
            params.update(end_time=iso(end), _end=end)

    async def check(x: Xsim) -> None:
        got: list[str] = []
        body = await page(x, user, {**params, "max_results": 100})
        while True:
            got.extend(p["id"] for p in body.get("data", []))
            token = body["meta"].get("next_token")
            if token is None:
                break
            body = await page(x, user, {**params, "max_results": 100, "pagination_token": token})
        assert got == expected(user, START, params, exclude)

    run(check)


@PROPERTY
@given(user=st.sampled_from(POOL[:3]), later=st.integers(min_value=0, max_value=60 * DAY))
def test_lookup_count_matches_what_the_timeline_shows(user: int, later: int) -> None:
    clock = VirtualClock(START + later)

    async def check(x: Xsim) -> None:
        looked_up = (await x.get("/2/users", {"ids": str(user), "user.fields": "public_metrics"})).json()
        count = looked_up["data"][0]["public_metrics"]["tweet_count"]
        seen = 0
        body = await page(x, user, {"max_results": 100})
        while True:
            seen += len(body.get("data", []))
            token = body["meta"].get("next_token")
            if token is None:
                break
            body = await page(x, user, {"max_results": 100, "pagination_token": token})
        assert seen == count == WORLD.tweet_count(user, clock.now())

    run(check, clock)


def test_the_pool_spans_the_window() -> None:
    counts = [WORLD.tweet_count(u, START) for u in POOL]
    assert counts[0] < 200 and counts[-1] > 3200
