"""GET /2/users/:id/tweets: order, meta keys, fields, expansions, the 3200/800 caps, refusals."""

from __future__ import annotations

import re
from typing import Any

import pytest

from roost.core.clock import VirtualClock
from roost.xsim.model import Post, snowflake_ms
from roost.xsim.render import iso_ms
from roost.xsim.testing import START, Xsim, accounts, find_missing_id, find_user, xsim
from roost.xsim.world import World

ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
ALL_TWEET_FIELDS = (
    "attachments,author_id,context_annotations,conversation_id,created_at,entities,geo,id,in_reply_to_user_id,"
    "lang,possibly_sensitive,public_metrics,referenced_tweets,reply_settings,source,text,withheld,edit_controls,"
    "edit_history_tweet_ids"
)
ALL_EXPANSIONS = (
    "author_id,referenced_tweets.id,referenced_tweets.id.author_id,entities.mentions.username,"
    "attachments.poll_ids,attachments.media_keys,in_reply_to_user_id,geo.place_id"
)


@pytest.fixture(scope="module")
def world() -> World:
    return World(2024)


@pytest.fixture(scope="module")
def heavy(world: World) -> int:
    """An active account with more than 3200 posts (so the caps bite), but not absurdly many."""
    return find_user(world, START, min_posts=3500, max_posts=60_000).id


@pytest.fixture(scope="module")
def light(world: World) -> int:
    return find_user(world, START, min_posts=30, max_posts=400).id


async def read_all(x: Xsim, user_id: int, **params: Any) -> list[dict[str, Any]]:
    pages: list[dict[str, Any]] = []
    token: str | None = None
    while True:
        query = {"max_results": 100, **params}
        if token:
            query["pagination_token"] = token
        response = await x.get(f"/2/users/{user_id}/tweets", query)
        assert response.status_code == 200, response.text
        pages.append(response.json())
        token = pages[-1]["meta"].get("next_token")
        if token is None:
            return pages


def posts_of(pages: list[dict[str, Any]]) -> list[str]:
    return [post["id"] for page in pages for post in page.get("data", [])]


def history(world: World, user_id: int) -> list[Post]:
    return [world.post(user_id, i) for i in range(world.tweet_count(user_id, START))]


async def test_default_page_meta_and_fields(world: World, light: int) -> None:
    count = world.tweet_count(light, START)
    async with xsim(world=world) as x:
        body = (await x.get(f"/2/users/{light}/tweets")).json()
    newest = [world.post(light, i) for i in range(count - 1, count - 11, -1)]
    assert body["data"] == [{"id": str(p.id), "text": p.text, "edit_history_tweet_ids": [str(p.id)]} for p in newest]
    meta = body["meta"]
    assert set(meta) == {"result_count", "newest_id", "oldest_id", "next_token"}  # no previous_token on page 1
    assert meta["result_count"] == 10
    assert meta["newest_id"] == str(newest[0].id) and meta["oldest_id"] == str(newest[-1].id)
    assert isinstance(meta["next_token"], str) and re.fullmatch(r"[a-z2-7]{40}", meta["next_token"])
    assert "includes" not in body and "errors" not in body


async def test_last_page_has_previous_but_no_next_token(world: World, light: int) -> None:
    async with xsim(world=world) as x:
        pages = await read_all(x, light, max_results=10)
    assert len(pages) >= 3
    assert "next_token" not in pages[-1]["meta"] and "previous_token" in pages[-1]["meta"]
    assert all("previous_token" in page["meta"] for page in pages[1:])
    assert posts_of(pages) == [str(p.id) for p in reversed(history(world, light))]


async def test_data_is_omitted_when_there_are_no_posts(world: World, light: int) -> None:
    newest = world.post(light, world.tweet_count(light, START) - 1)
    async with xsim(world=world) as x:
        body = (await x.get(f"/2/users/{light}/tweets", {"since_id": str(newest.id)})).json()
    assert body == {"meta": {"result_count": 0}}
    # an account just after its creation has no posts yet
    fresh = next(
        (u, events.created_at + 1)
        for u, _ in accounts(world, START)
        if (events := world.events(u)) is not None
        and (state := world.user(u, events.created_at + 1)) is not None
        and state.status == "active"
        and state.tweet_count == 0
    )
    async with xsim(world=world, clock=VirtualClock(fresh[1])) as x:
        empty = (await x.get(f"/2/users/{fresh[0]}/tweets")).json()
    assert empty == {"meta": {"result_count": 0}}


async def test_every_field_and_expansion(world: World, heavy: int) -> None:
    user_fields = "created_at,public_metrics,protected,verified"
    async with xsim(world=world) as x:
        body = (
            await x.get(
                f"/2/users/{heavy}/tweets",
                {
                    "max_results": 100,
                    "tweet.fields": ALL_TWEET_FIELDS,
                    "expansions": ALL_EXPANSIONS,
                    "user.fields": user_fields,
                    "media.fields": "url",
                    "poll.fields": "options",
                    "place.fields": "geo",
                },
            )
        ).json()
    author = world.user(heavy, START)
    assert author is not None
    data = body["data"]
    assert len(data) == 100
    for item in data:
        post = world.post_by_id(int(item["id"]), START)
        assert post is not None and post.author_id == heavy
        assert ISO_MS.match(item["created_at"]) and item["created_at"] == iso_ms(snowflake_ms(post.id))
        assert item["author_id"] == str(heavy)
        assert item["conversation_id"] == str(post.conversation_id or post.id)
        metrics = world.metrics(post, START)
        assert item["public_metrics"] == {
            "retweet_count": metrics.retweet_count,
            "reply_count": metrics.reply_count,
            "like_count": metrics.like_count,
            "quote_count": metrics.quote_count,
            "bookmark_count": metrics.bookmark_count,
            "impression_count": metrics.impression_count,
            "repost_count": metrics.retweet_count,
        }
        assert item.get("referenced_tweets", []) == [{"type": k, "id": str(r)} for k, r in post.references]
        if post.in_reply_to_user_id is not None:
            assert item["in_reply_to_user_id"] == str(post.in_reply_to_user_id)
        else:
            assert "in_reply_to_user_id" not in item
        mentions = [e for e in post.entities if e.kind == "mention"]
        assert [m["username"] for m in item.get("entities", {}).get("mentions", [])] == [m.value for m in mentions]
        for group in item.get("entities", {}).values():
            for entity in group:
                assert 0 <= entity["start"] < entity["end"] <= len(item["text"])
        assert item["edit_controls"]["editable_until"].endswith("Z")
        assert {"lang", "source", "possibly_sensitive", "reply_settings"} <= set(item)
        assert "attachments" not in item and "geo" not in item and "withheld" not in item  # the world has none
    includes = body["includes"]
    users = {u["id"]: u for u in includes["users"]}
    assert includes["users"][0]["id"] == str(heavy)  # the author comes first
    assert includes["users"][0]["public_metrics"]["tweet_count"] == author.tweet_count
    assert all(
        set(u) == {"id", "name", "username", "created_at", "public_metrics", "protected", "verified"}
        for u in users.values()
    )
    referenced = {str(r) for item in data for r in [ref["id"] for ref in item.get("referenced_tweets", [])]}
    assert referenced, "the page should hold replies, reposts or quotes"
    assert {t["id"] for t in includes["tweets"]} == referenced
    for tweet in includes["tweets"]:
        ref = world.post_by_id(int(tweet["id"]), START)
        assert ref is not None
        assert str(ref.author_id) in users or world.user(ref.author_id, START) is None
    for item in data:
        for mention in item.get("entities", {}).get("mentions", []):
            if "id" in mention:
                state = world.user(int(mention["id"]), START)
                assert (mention["id"] in users) == (state is not None and state.status != "suspended")
    assert "media" not in includes and "polls" not in includes and "places" not in includes


async def test_post_fields_is_an_alias_of_tweet_fields(world: World, light: int) -> None:
    async with xsim(world=world) as x:
        a = (await x.get(f"/2/users/{light}/tweets", {"tweet.fields": "created_at,lang"})).json()
        b = (await x.get(f"/2/users/{light}/tweets", {"post.fields": "created_at,lang"})).json()
    assert a["data"] == b["data"] and "created_at" in a["data"][0]


async def test_3200_cap(world: World, heavy: int) -> None:
    async with xsim(world=world) as x:
        pages = await read_all(x, heavy)
    every = history(world, heavy)
    assert posts_of(pages) == [str(p.id) for p in reversed(every[-3200:])]
    assert len(pages) == 32


async def test_exclude_replies_reads_the_800_newest_then_filters(world: World, heavy: int) -> None:
    async with xsim(world=world) as x:
        pages = await read_all(x, heavy, exclude="replies")
    window = history(world, heavy)[-800:]
    want = [str(p.id) for p in reversed(window) if p.kind != "reply"]
    assert posts_of(pages) == want
    assert 0 < len(want) < 800


async def test_exclude_retweets_keeps_the_3200_window(world: World, heavy: int) -> None:
    async with xsim(world=world) as x:
        pages = await read_all(x, heavy, exclude="retweets,replies")
        retweets_only = await read_all(x, heavy, exclude="retweets")
    window = history(world, heavy)
    assert posts_of(pages) == [str(p.id) for p in reversed(window[-800:]) if p.kind not in ("reply", "retweet")]
    assert posts_of(retweets_only) == [str(p.id) for p in reversed(window[-3200:]) if p.kind != "retweet"]


async def test_refused_timelines(world: World) -> None:
    protected = find_user(world, START, status="protected", min_posts=1)
    suspended = find_user(world, START, status="suspended")
    missing = find_missing_id(world, START)
    async with xsim(world=world) as x:
        p = (await x.get(f"/2/users/{protected.id}/tweets")).json()
        s = (await x.get(f"/2/users/{suspended.id}/tweets")).json()
        m = await x.get(f"/2/users/{missing}/tweets")
    assert p == {
        "errors": [
            {
                "value": str(protected.id),
                "detail": f"Sorry, you are not authorized to see the user with id: [{protected.id}].",
                "title": "Authorization Error",
                "resource_type": "user",
                "parameter": "id",
                "resource_id": str(protected.id),
                "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
            }
        ]
    }
    assert s == {
        "errors": [
            {
                "value": str(suspended.id),
                "detail": f"User has been suspended: [{suspended.id}].",
                "title": "Forbidden",
                "resource_type": "user",
                "parameter": "id",
                "resource_id": str(suspended.id),
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }
        ]
    }
    assert m.status_code == 200
    assert m.json() == {
        "errors": [
            {
                "value": str(missing),
                "detail": f"Could not find user with id: [{missing}].",
                "title": "Not Found Error",
                "resource_type": "user",
                "parameter": "id",
                "resource_id": str(missing),
                "type": "https://api.twitter.com/2/problems/resource-not-found",
            }
        ]
    }


async def test_private_metrics_on_the_timeline(world: World, light: int) -> None:
    async with xsim(world=world) as x:
        body = (await x.get(f"/2/users/{light}/tweets", {"tweet.fields": "organic_metrics", "max_results": 5})).json()
    assert list(body) == ["errors"]
    assert len(body["errors"]) == 5 * 6
    assert {e["type"] for e in body["errors"]} == {"https://api.twitter.com/2/problems/not-authorized-for-field"}


@pytest.mark.parametrize(
    "start",
    [
        "2026-11-01T00:00:00Z",
        "2026-11-01T00:00:00.000Z",
        "2026-11-01T00:00:00.999Z",
        "2026-11-01T01:00:00+01:00",
        "2026-11-01T00:00Z",
        "2026-11-01t00:00:00z",
    ],
)
async def test_time_formats_x_accepts(world: World, light: int, start: str) -> None:
    """RFC 3339 with a fraction (dropped: second granularity), an offset, or no seconds all mean the same instant."""
    async with xsim(world=world) as x:
        reference = (await x.get(f"/2/users/{light}/tweets", {"start_time": "2026-11-01T00:00:00Z"})).json()
        response = await x.get(f"/2/users/{light}/tweets", {"start_time": start})
    assert response.status_code == 200
    assert response.json() == reference


async def test_the_earliest_times_are_accepted(world: World, light: int) -> None:
    async with xsim(world=world) as x:
        response = await x.get(
            f"/2/users/{light}/tweets", {"start_time": "2010-11-06T00:00:00Z", "end_time": "2010-11-06T00:00:01Z"}
        )
    assert response.status_code == 200
    assert response.json() == {"meta": {"result_count": 0}}
