"""Real third-party clients (tweepy, twarc2, httpx, requests) against the emulator over real HTTP.

tweepy and twarc hardcode https://api.twitter.com; a requests transport adapter mounted on their session sends
those requests to the emulator on 127.0.0.1 instead, leaving the clients' own code untouched.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
import requests
import tweepy
from requests.adapters import HTTPAdapter
from twarc.client2 import Twarc2

from roost.core.clock import SystemClock, VirtualClock
from roost.xsim.app import create_app
from roost.xsim.config import Faults, XsimConfig
from roost.xsim.serve import BackgroundServer, background_server
from roost.xsim.testing import START, find_missing_id, find_user
from roost.xsim.world import World

TOKEN = "xsim-token"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
TWEET_FIELDS = [
    "attachments",
    "author_id",
    "context_annotations",
    "conversation_id",
    "created_at",
    "edit_controls",
    "edit_history_tweet_ids",
    "entities",
    "geo",
    "id",
    "in_reply_to_user_id",
    "lang",
    "possibly_sensitive",
    "public_metrics",
    "referenced_tweets",
    "reply_settings",
    "source",
    "text",
    "withheld",
]
USER_FIELDS = ["created_at", "description", "entities", "location", "protected", "public_metrics", "url", "verified"]


class ToEmulator(HTTPAdapter):
    """Rewrites https://api.twitter.com/... to the emulator's address; everything else is requests' own."""

    def __init__(self, base_url: str) -> None:
        super().__init__()
        self.base_url = base_url

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        assert request.url is not None
        request.url = request.url.replace("https://api.twitter.com", self.base_url, 1)
        return super().send(request, *args, **kwargs)


def route(session: requests.Session, base_url: str) -> None:
    session.mount("https://api.twitter.com", ToEmulator(base_url))


@pytest.fixture(scope="module")
def world() -> World:
    return World(2024)


@pytest.fixture(scope="module")
def server(world: World) -> Iterator[BackgroundServer]:
    app = create_app(XsimConfig(), clock=VirtualClock(START), world=world)
    with background_server(app) as running:
        yield running


@pytest.fixture
def client(server: BackgroundServer) -> Iterator[tweepy.Client]:
    api = tweepy.Client(bearer_token=TOKEN)
    route(api.session, server.url)
    with api.session:  # its pooled connections closed after the test (else an unclosed-socket warning)
        yield api


def test_tweepy_reads_a_full_timeline(client: tweepy.Client, world: World) -> None:
    author = find_user(world, START, min_posts=3500, max_posts=60_000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pages = list(
            tweepy.Paginator(
                client.get_users_tweets,
                author.id,
                max_results=100,
                tweet_fields=TWEET_FIELDS,
                user_fields=USER_FIELDS,
                expansions=["author_id", "referenced_tweets.id", "referenced_tweets.id.author_id"],
            )
        )
    tweets = [tweet for page in pages for tweet in page.data]
    assert len(tweets) == 3200
    assert len({tweet.id for tweet in tweets}) == 3200
    newest = world.post(author.id, world.tweet_count(author.id, START) - 1)
    assert tweets[0].id == newest.id
    assert tweets[0].created_at is not None and tweets[0].created_at.microsecond % 1000 == 0
    assert tweets[0].public_metrics["like_count"] >= 0
    assert pages[0].includes["users"][0].id == author.id
    assert pages[0].includes["users"][0].public_metrics["tweet_count"] == author.tweet_count
    assert all(not page.errors for page in pages)


def test_tweepy_looks_users_up(client: tweepy.Client, world: World) -> None:
    people = [find_user(world, START, min_posts=1, start=i * 200) for i in range(3)]
    missing = find_missing_id(world, START)
    response = client.get_users(
        ids=[*(p.id for p in people), missing], user_fields=["public_metrics", "created_at", "protected"]
    )
    assert [u.id for u in response.data] == [p.id for p in people]
    assert [u.public_metrics["tweet_count"] for u in response.data] == [p.tweet_count for p in people]
    assert [u.username for u in response.data] == [p.username for p in people]
    assert response.errors[0]["resource_id"] == str(missing)
    by_name = client.get_user(username=people[0].username.upper(), user_fields=["public_metrics"])
    assert by_name.data.id == people[0].id


def test_tweepy_rejects_what_x_rejects(client: tweepy.Client, world: World) -> None:
    author = find_user(world, START, min_posts=10)
    with pytest.raises(tweepy.BadRequest, match="is not between 5 and 100"):
        client.get_users_tweets(author.id, max_results=3)
    broken = tweepy.Client(bearer_token="wrong")
    route(broken.session, client.session.get_adapter("https://api.twitter.com").base_url)  # type: ignore[attr-defined]
    with broken.session, pytest.raises(tweepy.Unauthorized):
        broken.get_user(username="jack")


def test_tweepy_waits_out_a_rate_limit(world: World) -> None:
    """A 2-request window of 1 s on the real clock: tweepy sleeps until x-rate-limit-reset (about 2 s) and retries."""
    author = find_user(world, START, min_posts=10)
    app = create_app(XsimConfig(limits={"timeline": 2}, window_seconds=1), clock=SystemClock(), world=world)
    with background_server(app) as running:
        api = tweepy.Client(bearer_token=TOKEN, wait_on_rate_limit=True)
        route(api.session, running.url)
        with api.session:
            results = [api.get_users_tweets(author.id, max_results=5) for _ in range(3)]
    assert all(len(r.data) == 5 for r in results)
    assert app.state.stats["budget_429"] >= 1
    assert app.state.stats["GET /2/users/:id/tweets 429"] == app.state.stats["budget_429"]


def test_twarc2_reads_a_timeline(server: BackgroundServer, world: World) -> None:
    author = find_user(world, START, min_posts=150, max_posts=2000)
    twarc = Twarc2(bearer_token=TOKEN)
    twarc.connect()
    route(twarc.client, server.url)
    pages = list(twarc.timeline(author.id, max_results=100))  # twarc asks for every field and expansion it knows
    ids = [tweet["id"] for page in pages for tweet in page["data"]]
    assert len(ids) == len(set(ids)) == author.tweet_count
    assert pages[0]["includes"]["users"][0]["id"] == str(author.id)
    lookup = next(twarc.user_lookup([author.username], usernames=True))
    assert lookup["data"][0]["public_metrics"]["tweet_count"] == author.tweet_count


def test_a_dropped_connection_is_a_transport_error_over_http(world: World) -> None:
    user = find_user(world, START, min_posts=1)
    config = XsimConfig(faults=Faults(drop_rate=1.0))
    app = create_app(config, clock=VirtualClock(START), world=world)
    url = f"/2/users/by/username/{user.username}"
    with background_server(app) as running, httpx.Client(base_url=running.url, headers=AUTH) as http:
        with pytest.raises(httpx.TransportError):  # RemoteProtocolError: the body ended early, not a 500
            http.get(url)
        # requests (tweepy, twarc) sees the truncated body as a broken connection too
        with pytest.raises(requests.exceptions.ChunkedEncodingError, match="IncompleteRead"):
            requests.get(running.url + url, headers=AUTH, timeout=10)
        config.faults.drop_rate = 0.0
        assert http.get(url).status_code == 200  # the server itself is fine
    assert app.state.stats["drop"] == 2
