"""`/user-trackers/{id}/tweets` and `/activity` over a real database, filled by the collector from the emulator."""

from __future__ import annotations

import csv
import io
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI

from roost.collector.runner import Collector
from roost.config import XSIM_DEFAULT_TOKEN, Settings
from roost.core import auth, domain
from roost.core.clock import VirtualClock
from roost.main import create_app
from roost.store import accounts as account_store
from roost.store import tokens as token_store
from roost.xapi import XClient
from roost.xsim.app import create_app as create_xsim
from roost.xsim.config import XsimConfig
from roost.xsim.model import UserState as XUserState
from roost.xsim.transport import XsimTransport
from roost.xsim.world import World
from tests.integration.collector_helpers import DAY, HOUR, START, quiet_names

SEED = 2024


@dataclass
class Api:
    app: FastAPI
    client: httpx.AsyncClient
    clock: VirtualClock
    world: World
    collector: Collector

    async def token(self, email: str) -> str:
        engine = self.app.state.runtime.engine
        async with engine.begin() as conn:
            account = await account_store.create_account(
                conn,
                email=email,
                name=email.split("@")[0],
                password_hash=auth.hash_password("x"),
                tracker_slots=5,
                now=int(self.clock.now()),
            )
            token, _ = await token_store.issue_login_token(conn, account_id=account.id, now=int(self.clock.now()))
        return token

    async def track(self, token: str, alias: str) -> str:
        reply = await self.client.post("/user-trackers/multi", json=[{"alias": alias}], headers=auth_header(token))
        assert reply.status_code == 200 and reply.json()["ok"], reply.text
        return str(reply.json()["ok"][0]["resourceId"])


def auth_header(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@asynccontextmanager
async def api(database_url: str) -> AsyncIterator[Api]:
    clock = VirtualClock(START)
    world = World(SEED)
    xsim = create_xsim(XsimConfig(seed=SEED), clock=clock, world=world)
    transport = XsimTransport(xsim)
    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, clock=clock, transport=transport)
    async with app.router.lifespan_context(app):
        xclient = XClient(base_url="http://xsim.local", tokens=[XSIM_DEFAULT_TOKEN], clock=clock, transport=transport)
        collector = Collector(
            engine=app.state.runtime.engine, xclient=xclient, clock=clock, interval=HOUR, timeline=True
        )
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://roost.test") as client:
            yield Api(app, client, clock, world, collector)
        await xclient.aclose()


async def two_days_of_a_quiet_account(a: Api) -> tuple[str, XUserState, str]:
    """A login token, the followed account (as the world had it at START) and its tracker, after two days of
    collection with the timeline archived."""
    token = await a.token("ana@example.com")
    name = quiet_names(a.world, 1, START, START + 3 * DAY, offset=2500)[0]
    state = a.world.user_by_username(name, START)
    assert state is not None
    tracker = await a.track(token, name)
    await a.collector.run(until=START + 2 * DAY)
    return token, state, tracker


async def test_tweets_and_activity_match_the_world(database_url: str) -> None:
    async with api(database_url) as a:
        token, state, tracker = await two_days_of_a_quiet_account(a)
        await a.collector.run_once()
        end = int(a.clock.now())
        lo = domain.bucket_of(START, HOUR)  # the tracker's life starts with its creation bucket
        first = a.world.tweet_count(state.id, lo - 1)
        posts = [a.world.post(state.id, i) for i in range(first, a.world.tweet_count(state.id, end))]
        assert len(posts) > 3
        q = {"startDate": 0, "endDate": end + DAY}
        reply = await a.client.get(
            f"/user-trackers/{tracker}/tweets", params={**q, "limit": 1000}, headers=auth_header(token)
        )
        assert reply.status_code == 200, reply.text
        body = reply.json()
        assert body["pagination"] == {"offset": 0, "limit": 1000, "total": len(posts), "nextResults": None}
        docs = body["data"]
        assert [d["_id"] for d in docs] == [str(p.id) for p in reversed(posts)]  # newest first, clipped to its life
        for doc, post in zip(docs, reversed(posts), strict=True):
            assert (doc["type"], doc["text"], doc["createdAt"]) == (post.kind, post.text, post.created_at_ms // 1000)
            assert [r["id"] for r in doc["referencedTweets"]] == [str(ref) for _, ref in post.references]
            m = a.world.metrics(post, doc["metricsAt"])
            assert doc["publicMetrics"]["like_count"] == m.like_count
            assert doc["publicMetrics"]["retweet_count"] == m.retweet_count
        # Paging through the envelope.
        page = await a.client.get(
            f"/user-trackers/{tracker}/tweets", params={**q, "offset": 1, "limit": 2}, headers=auth_header(token)
        )
        assert page.json()["pagination"]["nextResults"] is not None
        assert [d["_id"] for d in page.json()["data"]] == [d["_id"] for d in docs[1:3]]

        reply = await a.client.get(
            f"/user-trackers/{tracker}/activity",
            params={**q, "interval": "day", "limit": 1000},
            headers=auth_header(token),
        )
        assert reply.status_code == 200, reply.text
        act = reply.json()
        per_day: dict[str, Counter[str]] = {}
        for post in posts:
            day = datetime.fromtimestamp(post.created_at_ms // 1000, UTC).date().isoformat()
            per_day.setdefault(day, Counter())[post.kind] += 1
        got = {row["label"]: row for row in act["data"] if row["posts"]}
        assert set(got) == set(per_day)
        for day, counts in per_day.items():
            assert {k: got[day][k] for k in ("original", "reply", "retweet", "quote")} == {
                k: counts[k] for k in ("original", "reply", "retweet", "quote")
            }
            assert got[day]["posts"] == sum(counts.values())
        likes = sum(d["publicMetrics"]["like_count"] for d in docs if d["type"] != "retweet")
        assert act["totals"]["likeCount"] == likes
        assert act["totals"]["posts"] == len(posts)
        assert act["startDate"] == lo and act["endDate"] == end + DAY

        # CSV: a header and one row per item.
        reply = await a.client.get(
            f"/user-trackers/{tracker}/tweets", params={**q, "limit": 1000, "format": "csv"}, headers=auth_header(token)
        )
        assert reply.status_code == 200 and reply.headers["content-type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(reply.text)))
        assert rows[0][:3] == ["id", "createdAt", "type"] and len(rows) == len(posts) + 1
        assert [row[0] for row in rows[1:]] == [d["_id"] for d in docs]
        reply = await a.client.get(
            f"/user-trackers/{tracker}/activity",
            params={**q, "interval": "week", "format": "csv"},
            headers=auth_header(token),
        )
        rows = list(csv.reader(io.StringIO(reply.text)))
        assert rows[0][:4] == ["periodStart", "periodEnd", "label", "posts"]
        assert sum(int(row[3]) for row in rows[1:]) == len(posts)


@pytest.mark.parametrize(
    ("path", "params", "field"),
    [
        ("tweets", {"startDate": 10, "endDate": 5}, "startDate"),
        ("tweets", {"startDate": "yesterday", "endDate": 5}, "startDate"),
        ("tweets", {"endDate": 5}, "startDate"),
        ("tweets", {"startDate": 0, "endDate": 5, "limit": 0}, "limit"),
        ("tweets", {"startDate": 0, "endDate": 5, "format": "xml"}, "format"),
        ("activity", {"startDate": 0, "endDate": 5, "interval": "fortnight"}, "interval"),
        ("activity", {"startDate": 0, "endDate": 5, "tz": "Mars/Olympus"}, "tz"),
        ("activity", {"startDate": 0, "endDate": 2_000_000_000, "interval": "hour"}, "interval"),
        ("activity", {"startDate": 9, "endDate": 5}, "startDate"),
    ],
)
async def test_bad_queries_are_400s_that_name_the_field(
    database_url: str, path: str, params: dict[str, object], field: str
) -> None:
    async with api(database_url) as a:
        token = await a.token("ana@example.com")
        name = quiet_names(a.world, 1, START, START + DAY, offset=2600)[0]
        tracker = await a.track(token, name)
        a.clock.advance(10 * DAY)  # so an hourly range from the tracker's creation is long
        reply = await a.client.get(f"/user-trackers/{tracker}/{path}", params=params, headers=auth_header(token))
        assert reply.status_code == 400, reply.text
        error = reply.json()
        assert error["extra"]["code"] == "invalid_request" and error["statusCode"] == 400
        assert field in error["message"]


async def test_other_accounts_and_unknown_trackers_are_404_and_no_token_is_401(database_url: str) -> None:
    async with api(database_url) as a:
        owner = await a.token("ana@example.com")
        other = await a.token("bo@example.com")
        name = quiet_names(a.world, 1, START, START + DAY, offset=2700)[0]
        tracker = await a.track(owner, name)
        q = {"startDate": 0, "endDate": int(START) + DAY}
        for path in ("tweets", "activity"):
            foreign = await a.client.get(f"/user-trackers/{tracker}/{path}", params=q, headers=auth_header(other))
            unknown = await a.client.get(f"/user-trackers/nope/{path}", params=q, headers=auth_header(owner))
            anonymous = await a.client.get(f"/user-trackers/{tracker}/{path}", params=q)
            assert (foreign.status_code, unknown.status_code, anonymous.status_code) == (404, 404, 401)
            assert foreign.json() == unknown.json()
            # A range outside the tracker's life is an empty answer, not an error.
            empty = await a.client.get(
                f"/user-trackers/{tracker}/{path}", params={"startDate": 0, "endDate": 5}, headers=auth_header(owner)
            )
            assert empty.status_code == 200 and empty.json()["data"] == []


async def test_dashboard_activity_is_the_apis_for_a_tracker_created_mid_history(database_url: str) -> None:
    """The dashboard's activity.json and the API's `/activity` are one use case: for a tracker created after the
    account had posted for years (its backfill archives posts from before the tracker), both are clipped to the
    tracker's life and give the same periods, totals and window."""
    from roost.store import tweets as tweet_store
    from roost.web.data import resolve_range

    async with api(database_url) as a:
        token, state, tracker = await two_days_of_a_quiet_account(a)
        life = domain.bucket_of(START, HOUR)
        async with a.app.state.runtime.engine.connect() as conn:
            before = await tweet_store.posts_in_range(conn, author_id=state.id, start=0, end=life - 1)
        assert before, "the backfill archived posts from before the tracker: the clip matters"

        day = 86400
        first, last = (datetime.fromtimestamp(t, UTC).date().isoformat() for t in (START - 20 * day, START + day))
        query = {"range": "custom", "start": first, "end": last, "tz": "Europe/Madrid", "interval": "day"}
        choice = resolve_range(preset="custom", start=first, end=last, tz_name="Europe/Madrid", now=int(a.clock.now()))
        a.client.cookies.set("roost_session", token)  # a login token is the dashboard's session
        dash = await a.client.get(f"/dashboard/trackers/{tracker}/activity.json", params=query)
        assert dash.status_code == 200, dash.text
        params = {"startDate": choice.start, "endDate": choice.end, "interval": "day", "tz": "Europe/Madrid"}
        reply = await a.client.get(
            f"/user-trackers/{tracker}/activity", params={**params, "limit": 1000}, headers=auth_header(token)
        )
        assert reply.status_code == 200, reply.text
        mine, theirs = dash.json(), reply.json()
        assert theirs["startDate"] == life > choice.start  # clipped to the tracker's life
        for key in ("data", "totals", "startDate", "endDate", "interval", "tz"):
            assert mine[key] == theirs[key], key
        assert mine["totals"]["posts"] > 0 and mine["pagination"]["total"] == theirs["pagination"]["total"]
