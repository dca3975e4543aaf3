"""The emulator's whole-request problems, byte for byte: every 400 rule, 401, 403, 404, 405, 429 and 503."""

from __future__ import annotations

from typing import Any

import pytest

from roost.core.clock import VirtualClock
from roost.xsim.config import Faults, XsimConfig
from roost.xsim.testing import START, find_user, xsim
from roost.xsim.world import World

INVALID = {
    "title": "Invalid Request",
    "detail": "One or more parameters to your request was invalid.",
    "type": "https://api.twitter.com/2/problems/invalid-request",
}
TIMELINE_PARAMS = (
    "id,since_id,until_id,max_results,pagination_token,exclude,start_time,end_time,expansions,tweet.fields,"
    "post.fields,media.fields,poll.fields,place.fields,user.fields"
)
TWEET_FIELDS = (
    "article,attachments,author_id,card_uri,community_id,context_annotations,conversation_id,created_at,"
    "display_text_range,edit_controls,edit_history_tweet_ids,entities,geo,id,in_reply_to_user_id,lang,"
    "media_metadata,non_public_metrics,note_tweet,organic_metrics,possibly_sensitive,promoted_metrics,"
    "public_metrics,referenced_tweets,reply_settings,scopes,source,text,withheld"
)
TWEET_EXPANSIONS = (
    "author_id,referenced_tweets.id,referenced_tweets.id.author_id,entities.mentions.username,"
    "attachments.poll_ids,attachments.media_keys,in_reply_to_user_id,geo.place_id,edit_history_tweet_ids"
)


@pytest.fixture(scope="module")
def world() -> World:
    return World(2024)


@pytest.fixture(scope="module")
def author(world: World) -> str:
    return str(find_user(world, START, min_posts=50).id)


def problem(*errors: dict[str, Any]) -> dict[str, Any]:
    return {"errors": list(errors), **INVALID}


def err(name: str, values: list[str], message: str) -> dict[str, Any]:
    return {"parameters": {name: values}, "message": message}


async def bad_request(world: World, path: str, params: dict[str, Any] | str | None = None) -> dict[str, Any]:
    async with xsim(world=world) as x:
        url = f"{path}?{params}" if isinstance(params, str) else path
        response = await x.client.get(url, params=None if isinstance(params, str) else params)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"] == "application/json"
    assert {"x-rate-limit-limit", "x-rate-limit-remaining", "x-rate-limit-reset"} <= set(response.headers)
    body: dict[str, Any] = response.json()
    return body


async def test_max_results_out_of_range_is_the_documented_problem(world: World, author: str) -> None:
    body = await bad_request(world, f"/2/users/{author}/tweets", {"max_results": "3"})
    assert body == {
        "errors": [
            {
                "parameters": {"max_results": ["3"]},
                "message": "The `max_results` query parameter value [3] is not between 5 and 100",
            }
        ],
        "title": "Invalid Request",
        "detail": "One or more parameters to your request was invalid.",
        "type": "https://api.twitter.com/2/problems/invalid-request",
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("101", "The `max_results` query parameter value [101] is not between 5 and 100"),
        ("0", "The `max_results` query parameter value [0] is not between 5 and 100"),
        ("ten", "The `max_results` query parameter value [ten] is not valid"),
        ("-5", "The `max_results` query parameter value [-5] is not valid"),
    ],
)
async def test_max_results_bounds(world: World, author: str, value: str, message: str) -> None:
    body = await bad_request(world, f"/2/users/{author}/tweets", {"max_results": value})
    assert body == problem(err("max_results", [value], message))


@pytest.mark.parametrize(
    ("path", "listing"),
    [
        ("/2/users", "ids,expansions,tweet.fields,post.fields,user.fields"),
        ("/2/users/by", "usernames,expansions,tweet.fields,post.fields,user.fields"),
        ("/2/users/12", "id,expansions,tweet.fields,post.fields,user.fields"),
        ("/2/users/by/username/jack", "username,expansions,tweet.fields,post.fields,user.fields"),
        ("/2/users/12/tweets", TIMELINE_PARAMS),
        ("/2/tweets", "ids,expansions,tweet.fields,post.fields,media.fields,poll.fields,place.fields,user.fields"),
    ],
)
async def test_unknown_parameters_list_the_endpoint_parameters(world: World, path: str, listing: str) -> None:
    params = {"next_token": "abc"}
    if path in ("/2/users", "/2/tweets"):
        params["ids"] = "12"
    elif path == "/2/users/by":
        params["usernames"] = "jack"
    body = await bad_request(world, path, params)
    assert body == problem(err("next_token", ["abc"], f"The query parameter [next_token] is not one of [{listing}]"))


async def test_duplicate_parameters_echo_every_value(world: World, author: str) -> None:
    body = await bad_request(world, f"/2/users/{author}/tweets", "max_results=10&max_results=20")
    assert body == problem(
        err("max_results", ["10", "20"], "Duplicate parameters are not allowed: the `max_results` query parameter")
    )


async def test_a_path_parameter_repeated_in_the_query_is_a_duplicate(world: World) -> None:
    body = await bad_request(world, "/2/users/12", {"id": "x"})
    assert body == problem(
        err("id", ["12", "x"], "The `id` query parameter value [x] does not match ^[0-9]{1,19}$"),
        err("id", ["12", "x"], "Duplicate parameters are not allowed: the `id` query parameter"),
    )


async def test_missing_and_empty_lookup_lists(world: World) -> None:
    assert await bad_request(world, "/2/users") == problem(err("ids", [], "The `ids` query parameter can not be empty"))
    assert await bad_request(world, "/2/users", {"ids": ""}) == problem(
        err("ids", [""], "The `ids` query parameter can not be empty")
    )
    assert await bad_request(world, "/2/users/by") == problem(
        err("usernames", [], "The `usernames` query parameter can not be empty")
    )
    assert await bad_request(world, "/2/tweets", {"foo": "1"}) == problem(
        err("ids", [], "The `ids` query parameter can not be empty"),
        err(
            "foo",
            ["1"],
            "The query parameter [foo] is not one of "
            "[ids,expansions,tweet.fields,post.fields,media.fields,poll.fields,place.fields,user.fields]",
        ),
    )


async def test_more_than_100_values(world: World) -> None:
    ids = ",".join(str(i) for i in range(1, 102))
    assert await bad_request(world, "/2/users", {"ids": ids}) == problem(
        err("ids", [ids], "The number of values in the `ids` query parameter list [101] is not between 1 and 100")
    )
    names = ",".join(f"n{i}" for i in range(101))
    assert await bad_request(world, "/2/users/by", {"usernames": names}) == problem(
        err(
            "usernames",
            [names],
            "The number of values in the `usernames` query parameter list [101] is not between 1 and 100",
        )
    )


async def test_malformed_ids_and_usernames(world: World) -> None:
    assert await bad_request(world, "/2/users", {"ids": "47998559,foo,12345678901234567890"}) == problem(
        err(
            "ids",
            ["47998559,foo,12345678901234567890"],
            "The `ids` query parameter value [foo] does not match ^[0-9]{1,19}$",
        ),
        err(
            "ids",
            ["47998559,foo,12345678901234567890"],
            "The `ids` query parameter value [12345678901234567890] does not match ^[0-9]{1,19}$",
        ),
    )
    assert await bad_request(world, "/2/users/by", {"usernames": "jack,bad-name,sixteen_chars_xx"}) == problem(
        err(
            "usernames",
            ["jack,bad-name,sixteen_chars_xx"],
            "The `usernames` query parameter value [bad-name] does not match ^[A-Za-z0-9_]{1,15}$",
        ),
        err(
            "usernames",
            ["jack,bad-name,sixteen_chars_xx"],
            "The `usernames` query parameter value [sixteen_chars_xx] does not match ^[A-Za-z0-9_]{1,15}$",
        ),
    )
    # Post lookup words it differently (recorded): "is not valid".
    assert await bad_request(world, "/2/tweets", {"ids": "dummy"}) == problem(
        err("ids", ["dummy"], "The `ids` query parameter value [dummy] is not valid")
    )


@pytest.mark.parametrize(
    ("path", "name", "value", "pattern"),
    [
        ("/2/users/1.2", "id", "1.2", "^[0-9]{1,19}$"),
        ("/2/users/abc/tweets", "id", "abc", "^[0-9]{1,19}$"),
        ("/2/users/by/username/bad-name", "username", "bad-name", "^[A-Za-z0-9_]{1,15}$"),
    ],
)
async def test_malformed_path_parameters(world: World, path: str, name: str, value: str, pattern: str) -> None:
    assert await bad_request(world, path) == problem(
        err(name, [value], f"The `{name}` query parameter value [{value}] does not match {pattern}")
    )


@pytest.mark.parametrize("value", ["2021-13-01T00:00:00Z", "2021-01-01", "yesterday", "2021-01-01T00:00:00", ""])
async def test_malformed_times(world: World, author: str, value: str) -> None:
    body = await bad_request(world, f"/2/users/{author}/tweets", {"start_time": value})
    assert body == problem(err("start_time", [value], f"The `start_time` query parameter value [{value}] is not valid"))


async def test_times_before_the_floor_use_x_time_format(world: World, author: str) -> None:
    body = await bad_request(world, f"/2/users/{author}/tweets", {"start_time": "2010-01-01T00:00:00Z"})
    assert body == problem(
        err(
            "start_time",
            ["2010-01-01T00:00Z"],
            "Invalid 'start_time':'2010-01-01T00:00Z'. 'start_time' must be on or after 2010-11-06T00:00Z",
        )
    )
    body = await bad_request(world, f"/2/users/{author}/tweets", {"end_time": "2010-11-06T00:00:00Z"})
    assert body == problem(
        err(
            "end_time",
            ["2010-11-06T00:00Z"],
            "Invalid 'end_time':'2010-11-06T00:00Z'. 'end_time' must be on or after 2010-11-06T00:00:01Z",
        )
    )


async def test_start_must_precede_end_and_since_must_precede_until(world: World, author: str) -> None:
    body = await bad_request(
        world, f"/2/users/{author}/tweets", {"start_time": "2024-01-02T00:00:05Z", "end_time": "2024-01-02T00:00:05Z"}
    )
    assert body == problem(
        {
            "parameters": {"start_time": ["2024-01-02T00:00:05Z"], "end_time": ["2024-01-02T00:00:05Z"]},
            "message": "Invalid 'start_time':'2024-01-02T00:00:05Z'. 'start_time' must be before "
            "'end_time':'2024-01-02T00:00:05Z'",
        }
    )
    body = await bad_request(world, f"/2/users/{author}/tweets", {"since_id": "200", "until_id": "100"})
    assert body == problem(
        {
            "parameters": {"since_id": ["200"], "until_id": ["100"]},
            "message": "Invalid 'since_id':'200'. 'since_id' must be less than 'until_id':'100'",
        }
    )


async def test_malformed_since_and_until_ids(world: World, author: str) -> None:
    body = await bad_request(world, f"/2/users/{author}/tweets", {"since_id": "12x", "until_id": ""})
    assert body == problem(
        err("since_id", ["12x"], "The `since_id` query parameter value [12x] does not match ^[0-9]{1,19}$"),
        err("until_id", [""], "The `until_id` query parameter value [] does not match ^[0-9]{1,19}$"),
    )


async def test_unknown_field_and_expansion_values(world: World, author: str) -> None:
    body = await bad_request(
        world,
        f"/2/users/{author}/tweets",
        {"expansions": "author_id,dummy", "tweet.fields": "created_at,user", "place.fields": "x"},
    )
    assert body == problem(
        err(
            "tweet.fields",
            ["created_at,user"],
            f"The `tweet.fields` query parameter value [user] is not one of [{TWEET_FIELDS}]",
        ),
        err(
            "place.fields",
            ["x"],
            "The `place.fields` query parameter value [x] is not one of "
            "[contained_within,country,country_code,full_name,geo,id,name,place_type]",
        ),
        # expansions come last, listed in X's declaration order rather than sorted
        err(
            "expansions",
            ["author_id,dummy"],
            f"The `expansions` query parameter value [dummy] is not one of [{TWEET_EXPANSIONS}]",
        ),
    )
    body = await bad_request(world, "/2/users/12", {"expansions": "author_id"})
    assert body == problem(
        err(
            "expansions",
            ["author_id"],
            "The `expansions` query parameter value [author_id] is not one of "
            "[pinned_tweet_id,most_recent_tweet_id,affiliation.user_id]",
        )
    )


async def test_exclude_values(world: World, author: str) -> None:
    body = await bad_request(world, f"/2/users/{author}/tweets", {"exclude": "retweets,quotes"})
    assert body == problem(
        err(
            "exclude",
            ["retweets,quotes"],
            "The `exclude` query parameter value [quotes] is not one of [replies,retweets]",
        )
    )
    body = await bad_request(world, f"/2/users/{author}/tweets", {"exclude": "replies,retweets,replies"})
    assert body == problem(
        err(
            "exclude",
            ["replies,retweets,replies"],
            "Duplicate values are not allowed: the `exclude` query parameter value [replies]",
        )
    )


async def test_bad_pagination_tokens(world: World, author: str) -> None:
    async with xsim(world=world) as x:
        first = (await x.get(f"/2/users/{author}/tweets", {"max_results": 5})).json()
        token = first["meta"]["next_token"]
        # flip one character: the checksum catches it
        tampered = token[:10] + ("a" if token[10] != "a" else "b") + token[11:]
        other = str(find_user(world, START, min_posts=50, start=500).id)
        for path, value in [
            (f"/2/users/{author}/tweets", tampered),
            (f"/2/users/{author}/tweets", "7140dibdnow9c7btw3w29grvxfcgvpb9n9coehpk7xz5i"),
            (f"/2/users/{author}/tweets", ""),
            (f"/2/users/{other}/tweets", token),  # another author's token
        ]:
            response = await x.get(path, {"pagination_token": value})
            assert response.status_code == 400
            assert response.json() == problem(
                err(
                    "pagination_token",
                    [value],
                    f"The `pagination_token` query parameter value [{value}] is not valid",
                )
            )


async def test_every_problem_is_reported_in_declared_order(world: World) -> None:
    body = await bad_request(
        world, "/2/users/x/tweets", "zzz=1&expansions=nope&max_results=4&exclude=retweets,retweets"
    )
    assert [e["message"].split(" ")[1] for e in body["errors"]] == [
        "`id`",
        "`max_results`",
        "values",
        "`expansions`",
        "query",
    ]
    assert list(body["errors"][-1]["parameters"]) == ["zzz"]


# ---- 401, 403, 404, 405 -------------------------------------------------------------------------

UNAUTHORIZED = {"title": "Unauthorized", "type": "about:blank", "status": 401, "detail": "Unauthorized"}


@pytest.mark.parametrize("header", [None, "Bearer wrong", "Basic eHNpbS10b2tlbg==", "Bearer ", "xsim-token"])
async def test_missing_or_unknown_bearer_token_is_401(world: World, header: str | None) -> None:
    async with xsim(world=world, token=None) as x:
        headers = {"Authorization": header} if header is not None else {}
        response = await x.client.get("/2/users/by/username/jack", headers=headers)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED
    assert response.headers["x-rate-limit-limit"] == "300"
    assert response.headers["x-rate-limit-remaining"] == "300"  # a refused request costs nothing
    assert response.headers["x-rate-limit-reset"] == str(int(START) + 900)


async def test_tokens_are_configurable(world: World) -> None:
    async with xsim(XsimConfig(tokens=frozenset({"a", "b"})), world=world, token="b") as x:
        assert (await x.get("/2/users/by/username/jack")).status_code == 200
        assert (await x.get("/2/users/by/username/jack", Authorization="Bearer xsim-token")).status_code == 401
    async with xsim(XsimConfig(accept_any_token=True), world=world, token="anything-at-all") as x:
        assert (await x.get("/2/users/by/username/jack")).status_code == 200


async def test_users_me_needs_user_context(world: World) -> None:
    async with xsim(world=world) as x:
        response = await x.get("/2/users/me")
    assert response.status_code == 403
    assert response.json()["type"] == "https://api.twitter.com/2/problems/unsupported-authentication"
    assert "x-rate-limit-reset" in response.headers


@pytest.mark.parametrize("path", ["/2/nope", "/2/users/12/likes", "/1.1/statuses/user_timeline.json", "/2/users/"])
async def test_unknown_routes_are_404_with_x_body(world: World, path: str) -> None:
    async with xsim(world=world) as x:
        response = await x.get(path)
    assert response.status_code == 404
    assert response.json() == {"errors": [{"message": "Sorry, that page does not exist", "code": 34}]}
    assert "x-rate-limit-remaining" in response.headers


async def test_wrong_method_is_405(world: World) -> None:
    async with xsim(world=world) as x:
        response = await x.client.post("/2/users/by/username/jack")
    assert response.status_code == 405
    assert response.json()["status"] == 405
    assert "x-rate-limit-limit" in response.headers


# ---- 429 and 503 --------------------------------------------------------------------------------

TOO_MANY = {"title": "Too Many Requests", "detail": "Too Many Requests", "type": "about:blank", "status": 429}


async def test_rate_limit_window_per_token_and_endpoint(world: World) -> None:
    clock = VirtualClock(START)
    config = XsimConfig(limits={"user-by-username": 2}, tokens=frozenset({"t1", "t2"}))
    async with xsim(config, clock=clock, world=world, token="t1") as x:
        first = await x.get("/2/users/by/username/jack")
        assert first.headers["x-rate-limit-limit"] == "2"
        assert first.headers["x-rate-limit-remaining"] == "1"
        assert first.headers["x-rate-limit-reset"] == str(int(START) + 900)
        clock.advance(100)  # the window started at the first call, not now
        second = await x.get("/2/users/by/username/bad-name!")  # a 400 still costs a request
        assert second.status_code == 400
        assert second.headers["x-rate-limit-remaining"] == "0"
        third = await x.get("/2/users/by/username/jack")
        assert third.status_code == 429
        assert third.json() == TOO_MANY
        assert third.headers["x-rate-limit-limit"] == "2"
        assert third.headers["x-rate-limit-remaining"] == "0"
        assert third.headers["x-rate-limit-reset"] == str(int(START) + 900)
        # other endpoints and other tokens have their own windows
        assert (await x.get("/2/users/by", {"usernames": "jack"})).headers["x-rate-limit-remaining"] == "299"
        assert (await x.get("/2/users/by/username/jack", Authorization="Bearer t2")).status_code == 200
        clock.set(START + 900)
        again = await x.get("/2/users/by/username/jack")
        assert again.status_code == 200
        assert again.headers["x-rate-limit-remaining"] == "1"
        assert again.headers["x-rate-limit-reset"] == str(int(START) + 1800)
        assert x.app.state.stats["budget_429"] == 1


async def test_default_limits(world: World, author: str) -> None:
    async with xsim(world=world) as x:
        timeline = await x.get(f"/2/users/{author}/tweets")
        lookup = await x.get("/2/users", {"ids": author})
    assert timeline.headers["x-rate-limit-limit"] == "1500"
    assert lookup.headers["x-rate-limit-limit"] == "300"


async def test_service_unavailable(world: World) -> None:
    async with xsim(XsimConfig(faults=Faults(error_rate=1.0)), world=world) as x:
        response = await x.get("/2/users/by/username/jack")
    assert response.status_code == 503
    assert response.json() == {
        "title": "Service Unavailable",
        "detail": "Service Unavailable",
        "type": "about:blank",
        "status": 503,
    }
    assert response.headers["x-rate-limit-remaining"] == "299"
