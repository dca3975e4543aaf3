"""The emulator bills like X, over real HTTP: per resource returned, once per id per UTC day of its own clock,
per token's Project; failures free; the post cap's 429 with quota left; 402 once the credits are spent; and
`GET /2/usage/tweets` in X's shape."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from decimal import Decimal

import httpx
import pytest
import tweepy

from roost.core.billing import utc_day
from roost.core.clock import VirtualClock
from roost.xsim.app import create_app
from roost.xsim.billing import BillingSettings
from roost.xsim.config import XsimConfig
from roost.xsim.serve import background_server
from roost.xsim.testing import START, find_missing_id, find_user
from roost.xsim.world import World
from tests.integration.test_xsim_tweepy import route

TOKEN = "xsim-token"
OTHER = "second-token"


@pytest.fixture(scope="module")
def world() -> World:
    return World(2024)


class Running:
    """An emulator on a real socket, a virtual clock, and an httpx client per bearer token."""

    def __init__(self, url: str, clock: VirtualClock, config: XsimConfig) -> None:
        self.url = url
        self.clock = clock
        self.config = config
        self.http = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {TOKEN}"})
        self.other = httpx.Client(base_url=url, headers={"Authorization": f"Bearer {OTHER}"})

    def bill(self) -> dict[str, object]:
        body: dict[str, object] = httpx.get(f"{self.url}/xsim/admin/bill").json()
        return body

    def totals(self) -> tuple[int, int, str]:
        totals = self.bill()["totals"]
        assert isinstance(totals, dict)
        return totals["user"], totals["post"], totals["usd"]

    def next_utc_day(self) -> None:
        day = utc_day(self.clock.now()) + timedelta(days=1)
        self.clock.set(datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp())


def emulator(world: World, **billing: object) -> Iterator[Running]:
    config = XsimConfig(tokens=frozenset({TOKEN, OTHER}), billing=BillingSettings(**billing))  # type: ignore[arg-type]
    clock = VirtualClock(START)
    with background_server(create_app(config, clock=clock, world=world)) as server:
        running = Running(server.url, clock, config)
        try:
            yield running
        finally:
            running.http.close()
            running.other.close()


@pytest.fixture
def x(world: World) -> Iterator[Running]:
    yield from emulator(world)


def timeline(x: Running, user_id: int, **params: str | int) -> httpx.Response:
    return x.http.get(f"/2/users/{user_id}/tweets", params={"max_results": 10, **params})


def test_a_resource_is_charged_once_a_utc_day_and_again_the_next(x: Running, world: World) -> None:
    author = find_user(world, START, min_posts=50)
    for _ in range(3):
        assert x.http.get(f"/2/users/{author.id}").status_code == 200
        page = timeline(x, author.id)
        assert page.status_code == 200 and len(page.json()["data"]) == 10
    assert x.totals() == (1, 10, "0.060")
    # Other endpoints returning the same resources are free the same day.
    assert x.http.get(f"/2/users/by/username/{author.username}").status_code == 200
    ids = ",".join(post["id"] for post in page.json()["data"][:5])
    assert x.http.get("/2/tweets", params={"ids": ids}).status_code == 200
    assert x.totals() == (1, 10, "0.060")
    x.next_utc_day()
    assert x.http.get("/2/users", params={"ids": str(author.id)}).status_code == 200
    assert x.http.get("/2/tweets", params={"ids": ids}).status_code == 200
    assert x.totals() == (2, 15, "0.095")
    days = x.bill()["projects"]["default"]["days"]  # type: ignore[index]
    first = utc_day(START).isoformat()
    assert [(d["date"], d["user"], d["post"], d["usd"]) for d in days] == [
        (first, 1, 10, "0.060"),
        ((utc_day(START) + timedelta(days=1)).isoformat(), 1, 5, "0.035"),
    ]


def test_expanded_includes_are_billed(x: Running, world: World) -> None:
    author = find_user(world, START, min_posts=200, where=lambda u: u.pinned_tweet_id is not None)
    page = timeline(
        x,
        author.id,
        max_results=100,
        expansions="author_id,referenced_tweets.id,referenced_tweets.id.author_id,entities.mentions.username",
    ).json()
    users = {u["id"] for u in page["includes"]["users"]}
    posts = {p["id"] for p in page["data"]} | {p["id"] for p in page["includes"].get("tweets", [])}
    assert str(author.id) in users and len(users) > 1 and len(posts) > 100
    assert x.totals()[:2] == (len(users), len(posts))
    before = x.totals()
    pinned = x.http.get(f"/2/users/{author.id}", params={"expansions": "pinned_tweet_id"}).json()
    assert pinned["includes"]["tweets"][0]["id"] == str(author.pinned_tweet_id)
    fresh = 0 if str(author.pinned_tweet_id) in posts else 1
    assert x.totals()[:2] == (before[0], before[1] + fresh)


def test_failed_requests_cost_nothing(x: Running, world: World) -> None:
    author = find_user(world, START, min_posts=20)
    assert x.http.get(f"/2/users/{find_missing_id(world, START)}").json()["errors"]  # 200, errors only
    assert timeline(x, author.id, max_results=3).status_code == 400
    protected = find_user(world, START, status="protected", min_posts=1)
    assert "errors" in timeline(x, protected.id).json()
    private = timeline(x, author.id, **{"tweet.fields": "non_public_metrics"}).json()
    assert "data" not in private and private["errors"]
    assert httpx.get(f"{x.url}/2/users/{author.id}", headers={"Authorization": "Bearer nope"}).status_code == 401
    x.config.faults.update({"error_rate": 1.0})
    assert x.http.get(f"/2/users/{author.id}").status_code == 503
    x.config.faults.update({"error_rate": 0.0, "drop_rate": 1.0})
    with pytest.raises(httpx.RemoteProtocolError):
        timeline(x, author.id)
    x.config.faults.update({"drop_rate": 0.0})
    x.config.limits["GET /2/users/:id"] = 0
    assert x.http.get(f"/2/users/{author.id}").status_code == 429
    assert x.totals() == (0, 0, "0.000")


def test_tokens_bill_to_their_projects(world: World) -> None:
    author = find_user(world, START, min_posts=20)
    for projects, expected in (({}, {"default": 1}), ({OTHER: "research"}, {"default": 1, "research": 1})):
        for x in emulator(world, projects=projects):
            x.http.get(f"/2/users/{author.id}")
            x.other.get(f"/2/users/{author.id}")
            bill = x.bill()
            assert {name: p["totals"]["user"] for name, p in bill["projects"].items()} == expected  # type: ignore[attr-defined]
            assert bill["totals"]["usd"] == f"{Decimal('0.010') * sum(expected.values()):f}"  # type: ignore[index]


def test_a_reached_post_cap_answers_usage_capped_with_quota_left(world: World) -> None:
    author = find_user(world, START, min_posts=100)
    for x in emulator(world, post_cap=15, cap_reset_day=utc_day(START).day + 2):
        assert timeline(x, author.id).status_code == 200
        second = timeline(x, author.id, pagination_token=timeline(x, author.id).json()["meta"]["next_token"])
        assert second.status_code == 200  # the request that reaches the cap is served in full
        capped = timeline(x, author.id)
        assert capped.status_code == 429
        assert int(capped.headers["x-rate-limit-remaining"]) > 0
        assert capped.headers["x-rate-limit-limit"] == "1500"
        body = capped.json()
        assert body["title"] == "UsageCapExceeded" and body["period"] == "Monthly" and body["scope"] == "Product"
        assert body["type"] == "https://api.twitter.com/2/problems/usage-capped"
        assert body["detail"] == "Usage cap exceeded: Monthly product cap" and body["account_id"].isdigit()
        assert x.http.get("/2/tweets", params={"ids": str(author.pinned_tweet_id or 1)}).status_code == 429
        assert x.http.get(f"/2/users/{author.id}").status_code == 200  # user lookups go on
        usage = x.http.get("/2/usage/tweets").json()["data"]
        assert usage["project_usage"] == "20" and usage["project_cap"] == "15"
        x.next_utc_day()
        assert timeline(x, author.id).status_code == 429  # still the same billing month
        x.next_utc_day()
        assert timeline(x, author.id).status_code == 200  # the cap reset
        assert x.http.get("/2/usage/tweets").json()["data"]["project_usage"] == "10"
        assert x.totals() == (1, 30, "0.160")


def test_the_cap_and_credits_are_set_through_the_admin_api(x: Running, world: World) -> None:
    author = find_user(world, START, min_posts=30)
    admin = f"{x.url}/xsim/admin/billing"
    assert httpx.get(admin).json() == {
        "projects": {},
        "post_cap": None,
        "cap_reset_day": 1,
        "credits": None,
        "prices": {"user": "0.010", "post": "0.005"},
    }
    for bad in ({"post_cap": -1}, {"cap_reset_day": 0}, {"credits": "lots"}, {"credits": -2}, {"cap": 5}, [1]):
        refused = httpx.put(admin, json=bad)
        assert refused.status_code == 400 and refused.json()["title"] == "Bad Request"
    assert httpx.get(admin).json()["post_cap"] is None  # all or nothing
    assert httpx.put(admin, json={"post_cap": 0}).json()["post_cap"] == 0
    assert timeline(x, author.id).status_code == 429
    httpx.put(admin, json={"post_cap": None, "credits": "0.05"})
    assert timeline(x, author.id).status_code == 200  # $0.05: spent exactly
    spent = x.http.get(f"/2/users/{author.id}")
    assert spent.status_code == 402
    assert spent.json()["title"] == "CreditsDepleted" and "x-rate-limit-remaining" in spent.headers
    assert x.http.get("/2/usage/tweets").status_code == 200  # not billable
    assert httpx.put(admin, json={"credits": 1}).json()["credits"] == "1"
    assert x.http.get(f"/2/users/{author.id}").status_code == 200
    bill = x.bill()
    assert bill["credits"] == "1" and bill["credits_remaining"] == "0.940"
    assert httpx.delete(f"{x.url}/xsim/admin/bill").json()["totals"]["usd"] == "0.000"


def test_the_request_that_overspends_is_served_then_everything_billable_is_refused(world: World) -> None:
    author = find_user(world, START, min_posts=30)
    for x in emulator(world, credits=Decimal("0.001")):
        assert x.http.get(f"/2/users/{author.id}").status_code == 200  # $0.010 > $0.001: served, charged
        assert x.bill()["credits_remaining"] == "-0.009"
        assert x.http.get(f"/2/users/{author.id}").status_code == 402  # free today, but refused
        assert timeline(x, author.id).status_code == 402


def test_usage_tweets_has_xs_shape(x: Running, world: World) -> None:
    author = find_user(world, START, min_posts=30)
    timeline(x, author.id)
    x.next_utc_day()
    timeline(x, author.id, max_results=20)
    body = x.http.get(
        "/2/usage/tweets", params={"days": 3, "usage.fields": "daily_project_usage,daily_client_app_usage"}
    ).json()
    data = body["data"]
    assert list(body) == ["data"]
    assert data["cap_reset_day"] == 1 and data["project_cap"] == "2000000"
    assert data["project_id"].isdigit() and data["project_usage"] == "30"
    today = utc_day(x.clock.now())
    stamps = [f"{today - timedelta(days=n)}T00:00:00.000Z" for n in (2, 1, 0)]
    assert data["daily_project_usage"] == {
        "project_id": data["project_id"],
        "usage": [
            {"date": stamps[0], "usage": "0"},
            {"date": stamps[1], "usage": "10"},
            {"date": stamps[2], "usage": "20"},
        ],
    }
    (app,) = data["daily_client_app_usage"]
    assert app["client_app_id"].isdigit() and TOKEN not in str(body)
    assert [row["usage"] for row in app["usage"]] == ["0", "10", "20"] and app["usage_result_count"] == 3
    plain = x.http.get("/2/usage/tweets").json()["data"]
    assert set(plain) == {"cap_reset_day", "project_cap", "project_id", "project_usage"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"days": 0}, "The `days` query parameter value [0] is not between 1 and 90"),
        ({"days": 91}, "The `days` query parameter value [91] is not between 1 and 90"),
        ({"days": "x"}, "The `days` query parameter value [x] is not valid"),
        ({"usage.fields": "bogus"}, "[bogus] is not one of [daily_client_app_usage,daily_project_usage]"),
        ({"when": "now"}, "The query parameter [when] is not one of [days,usage.fields]"),
        ([("days", "1"), ("days", "2")], "Duplicate parameters are not allowed: the `days` query parameter"),
    ],
)
def test_usage_tweets_refuses_bad_parameters(
    x: Running, query: dict[str, object] | list[tuple[str, str]], message: str
) -> None:
    response = x.http.get("/2/usage/tweets", params=query)  # type: ignore[arg-type]
    assert response.status_code == 400
    body = response.json()
    assert body["title"] == "Invalid Request" and body["type"] == "https://api.twitter.com/2/problems/invalid-request"
    assert message in body["errors"][0]["message"]


def test_usage_tweets_has_its_own_rate_limit(x: Running) -> None:
    statuses = [x.http.get("/2/usage/tweets").status_code for _ in range(51)]
    assert statuses == [200] * 50 + [429]
    assert x.http.get("/2/users/by/username/jack").headers["x-rate-limit-limit"] == "300"
    assert httpx.get(f"{x.url}/2/usage/tweets").status_code == 401


def test_tweepy_sees_the_cap_and_the_bill(world: World) -> None:
    author = find_user(world, START, min_posts=120)
    for x in emulator(world, post_cap=100):
        client = tweepy.Client(bearer_token=TOKEN)
        route(client.session, x.url)
        page = client.get_users_tweets(author.id, max_results=100, expansions=["author_id"])
        assert len(page.data) == 100 and page.includes["users"][0].id == author.id
        assert x.totals() == (1, 100, "0.510")
        with pytest.raises(tweepy.TooManyRequests) as capped:
            client.get_users_tweets(author.id, max_results=5)
        assert capped.value.response.json()["title"] == "UsageCapExceeded"
        assert client.get_user(id=author.id).data.id == author.id


def test_faults_and_billing_together_stay_consistent(world: World) -> None:
    """Under every fault at once, the bill equals what the client actually received, deduplicated."""
    author = find_user(world, START, min_posts=300)
    for x in emulator(world):
        x.config.faults.update({"error_rate": 0.2, "drop_rate": 0.2, "hidden_429_rate": 0.2, "seed": 7})
        received: set[str] = set()
        token = None
        for _ in range(40):
            params: dict[str, str | int] = {"max_results": 100}
            if token:
                params["pagination_token"] = token
            try:
                response = x.http.get(f"/2/users/{author.id}/tweets", params=params)
            except httpx.RemoteProtocolError:
                continue
            if response.status_code == 200:
                body = response.json()
                received |= {post["id"] for post in body.get("data", [])}
                token = body["meta"].get("next_token")
        assert received and x.totals() == (0, len(received), f"{Decimal('0.005') * len(received):f}")
        stats = httpx.get(f"{x.url}/xsim/admin/stats").json()
        assert stats["drop"] > 0 and stats["error_503"] > 0
