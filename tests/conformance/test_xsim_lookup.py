"""User and post lookups: shapes, per-item errors (HTTP 200), field and expansion selection."""

from __future__ import annotations

import re
from typing import Any

import pytest

from roost.xsim.model import snowflake_ms
from roost.xsim.render import iso_ms
from roost.xsim.testing import START, find_missing_id, find_missing_username, find_user, xsim
from roost.xsim.world import World

NOT_FOUND_TYPE = "https://api.twitter.com/2/problems/resource-not-found"
ISO_MS = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")


@pytest.fixture(scope="module")
def world() -> World:
    return World(2024)


@pytest.fixture(scope="module")
def people(world: World) -> dict[str, Any]:
    return {
        "active": find_user(world, START, min_posts=20),
        "active2": find_user(world, START, min_posts=20, start=300),
        "suspended": find_user(world, START, status="suspended"),
        "protected": find_user(world, START, status="protected", min_posts=1),
        "missing": find_missing_id(world, START),
    }


def not_found(value: str, parameter: str) -> dict[str, Any]:
    return {
        "value": value,
        "detail": f"Could not find user with {parameter}: [{value}].",
        "title": "Not Found Error",
        "resource_type": "user",
        "parameter": parameter,
        "resource_id": value,
        "type": NOT_FOUND_TYPE,
    }


def suspended(value: str, parameter: str) -> dict[str, Any]:
    return {
        "value": value,
        "detail": f"User has been suspended: [{value}].",
        "title": "Forbidden",
        "resource_type": "user",
        "parameter": parameter,
        "resource_id": value,
        "type": NOT_FOUND_TYPE,
    }


async def test_users_by_ids_mixes_data_and_errors(world: World, people: dict[str, Any]) -> None:
    a, b, s, p = people["active"], people["active2"], people["suspended"], people["protected"]
    missing = str(people["missing"])
    ids = [str(a.id), missing, str(s.id), str(b.id), str(p.id)]
    async with xsim(world=world) as x:
        response = await x.get("/2/users", {"ids": ",".join(ids)})
    assert response.status_code == 200
    body = response.json()
    assert body == {
        "data": [
            {"id": str(a.id), "name": a.name, "username": a.username},
            {"id": str(b.id), "name": b.name, "username": b.username},
            {"id": str(p.id), "name": p.name, "username": p.username},  # protected accounts still look up
        ],
        "errors": [not_found(missing, "ids"), suspended(str(s.id), "ids")],
    }


async def test_a_body_may_hold_only_errors(world: World, people: dict[str, Any]) -> None:
    missing = str(people["missing"])
    async with xsim(world=world) as x:
        many = (await x.get("/2/users", {"ids": missing})).json()
        one = (await x.get(f"/2/users/{missing}")).json()
        gone = (await x.get(f"/2/users/{people['suspended'].id}")).json()
    assert many == {"errors": [not_found(missing, "ids")]}
    assert one == {"errors": [not_found(missing, "id")]}
    assert gone == {"errors": [suspended(str(people["suspended"].id), "id")]}


async def test_lookups_by_username_are_case_insensitive(world: World, people: dict[str, Any]) -> None:
    a = people["active"]
    nobody = find_missing_username(world, START)
    async with xsim(world=world) as x:
        single = (await x.get(f"/2/users/by/username/{a.username.upper()}")).json()
        many = (await x.get("/2/users/by", {"usernames": f"{a.username},{nobody}"})).json()
        missing_one = (await x.get(f"/2/users/by/username/{nobody}")).json()
    assert single == {"data": {"id": str(a.id), "name": a.name, "username": a.username}}
    assert many == {
        "data": [{"id": str(a.id), "name": a.name, "username": a.username}],
        "errors": [not_found(nobody, "usernames")],
    }
    assert many["errors"][0]["detail"] == f"Could not find user with usernames: [{nobody}]."
    assert missing_one == {"errors": [not_found(nobody, "username")]}


async def test_user_fields_selection(world: World, people: dict[str, Any]) -> None:
    a, p = people["active"], people["protected"]
    fields = (
        "created_at,description,entities,location,pinned_tweet_id,profile_image_url,protected,public_metrics,"
        "url,verified,verified_type,most_recent_tweet_id"
    )
    async with xsim(world=world) as x:
        body = (await x.get("/2/users", {"ids": f"{a.id},{p.id}", "user.fields": fields})).json()
        narrow = (await x.get("/2/users", {"ids": str(a.id), "user.fields": "public_metrics"})).json()
    user, prot = body["data"]
    state = world.user(a.id, START)
    assert state is not None
    assert ISO_MS.match(user["created_at"])
    assert user["created_at"] == iso_ms(int(state.created_at * 1000))
    assert user["protected"] is False and prot["protected"] is True
    assert user["public_metrics"] == {
        "followers_count": state.followers_count,
        "following_count": state.following_count,
        "tweet_count": state.tweet_count,
        "listed_count": state.listed_count,
        "like_count": state.like_count,
        "post_count": state.tweet_count,
    }
    assert user["public_metrics"]["tweet_count"] == world.tweet_count(a.id, START)
    assert user["most_recent_tweet_id"] == str(world.post(a.id, state.tweet_count - 1).id)
    assert user["description"] == state.description and user["url"] == state.url
    assert user["verified_type"] in ("blue", "none")
    # only what was asked for, beside the defaults
    assert set(narrow["data"][0]) == {"id", "name", "username", "public_metrics"}


async def test_user_expansions_put_posts_in_includes(world: World, people: dict[str, Any]) -> None:
    a = people["active"]
    async with xsim(world=world) as x:
        body = (
            await x.get(
                f"/2/users/{a.id}",
                {
                    "expansions": "most_recent_tweet_id",
                    "user.fields": "most_recent_tweet_id",
                    "tweet.fields": "created_at",
                },
            )
        ).json()
    newest = world.post(a.id, world.tweet_count(a.id, START) - 1)
    assert body["data"]["most_recent_tweet_id"] == str(newest.id)
    assert body["includes"]["tweets"] == [
        {
            "id": str(newest.id),
            "text": newest.text,
            "edit_history_tweet_ids": [str(newest.id)],
            "created_at": iso_ms(newest.created_at_ms),
        }
    ]


async def test_post_lookup(world: World, people: dict[str, Any]) -> None:
    a, p = people["active"], people["protected"]
    post = world.post(a.id, 3)
    hidden = world.post(p.id, 0)
    async with xsim(world=world) as x:
        body = (
            await x.get(
                "/2/tweets",
                {"ids": f"{post.id},1,{hidden.id}", "tweet.fields": "created_at,author_id", "expansions": "author_id"},
            )
        ).json()
    assert body["data"] == [
        {
            "id": str(post.id),
            "text": post.text,
            "edit_history_tweet_ids": [str(post.id)],
            "author_id": str(a.id),
            "created_at": iso_ms(post.created_at_ms),
        }
    ]
    assert snowflake_ms(post.id) == post.created_at_ms
    assert body["includes"]["users"] == [{"id": str(a.id), "name": a.name, "username": a.username}]
    assert body["errors"] == [
        {
            "value": "1",
            "detail": "Could not find tweet with ids: [1].",
            "title": "Not Found Error",
            "resource_type": "tweet",
            "parameter": "ids",
            "resource_id": "1",
            "type": NOT_FOUND_TYPE,
        },
        {
            "value": str(hidden.id),
            "detail": f"Sorry, you are not authorized to see the Tweet with ids: [{hidden.id}].",
            "title": "Authorization Error",
            "resource_type": "tweet",
            "parameter": "ids",
            "resource_id": str(hidden.id),
            "type": "https://api.twitter.com/2/problems/not-authorized-for-resource",
        },
    ]


async def test_private_metrics_with_app_auth_are_field_errors(world: World, people: dict[str, Any]) -> None:
    post = world.post(people["active"].id, 0)
    async with xsim(world=world) as x:
        body = (
            await x.get("/2/tweets", {"ids": str(post.id), "tweet.fields": "non_public_metrics,public_metrics"})
        ).json()
    assert list(body) == ["errors"]
    assert [e["field"] for e in body["errors"]] == [
        "non_public_metrics.impression_count",
        "non_public_metrics.url_link_clicks",
        "non_public_metrics.user_profile_clicks",
    ]
    assert body["errors"][0] == {
        "resource_type": "tweet",
        "field": "non_public_metrics.impression_count",
        "parameter": "ids",
        "resource_id": str(post.id),
        "title": "Field Authorization Error",
        "section": "data",
        "detail": f"Sorry, you are not authorized to access 'non_public_metrics.impression_count' on the Tweet "
        f"with ids : [{post.id}].",
        "value": str(post.id),
        "type": "https://api.twitter.com/2/problems/not-authorized-for-field",
    }
