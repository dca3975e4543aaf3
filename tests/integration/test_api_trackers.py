"""The Tweet Binder surface end to end: real app, real database (SQLite and PostgreSQL), emulator upstream."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from roost.core import domain
from roost.store import snapshots as snapshot_store
from roost.store.db import create_engine
from roost.xsim.world import World
from tests.integration.api_helpers import START, Harness, harness

HOUR = 3600


@pytest.fixture
async def h(database_url: str) -> AsyncIterator[Harness]:
    async with harness(database_url) as built:
        yield built


def names(world: World, want: str, n: int, t: float = START) -> list[str]:
    """Screen names the emulator's world answers in a given way: 'ok', 'missing' or 'suspended'."""
    found: list[str] = []
    i = 0
    while len(found) < n:
        name = f"probe{want[:3]}{i}"
        i += 1
        user = world.user_by_username(name, t)
        state = "missing" if user is None else ("suspended" if user.status == "suspended" else "ok")
        if state == want:
            found.append(name)
    return found


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


async def create(h: Harness, token: str, aliases: list[str]) -> dict[str, Any]:
    r = await h.client.post("/user-trackers/multi", json=[{"alias": a} for a in aliases], headers=bearer(token))
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def balance(h: Harness, token: str) -> int:
    r = await h.client.get("/me/balances", headers=bearer(token))
    assert r.status_code == 200
    value: int = r.json()["balances"][0]["balance"]
    return value


async def test_login_me_and_balances(h: Harness) -> None:
    await h.account("ana@example.com", slots=7, password="s3cret-pass")
    r = await h.client.post("/authorize/email/login", json={"email": "ana@example.com", "password": "s3cret-pass"})
    assert r.status_code == 200
    token = r.json()["authToken"]
    assert r.json()["expiresAt"] == int(START) + 30 * 86400
    me = (await h.client.get("/me", headers=bearer(token))).json()
    assert me["email"] == "ana@example.com" and set(me) == {"_id", "email", "name", "createdAt"}
    assert (await h.client.get("/me/balances", headers=bearer(token))).json() == {
        "balances": [{"name": "userTrackers", "total": 7, "balance": 7}]
    }
    wrong = await h.client.post("/authorize/email/login", json={"email": "ana@example.com", "password": "nope"})
    unknown = await h.client.post("/authorize/email/login", json={"email": "who@example.com", "password": "nope"})
    assert wrong.status_code == unknown.status_code == 401
    assert wrong.json() == unknown.json()
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": token}):
        r = await h.client.get("/me", headers=headers)
        assert r.status_code == 401 and r.json()["extra"]["code"] == "unauthorized"


async def test_login_token_expires(h: Harness) -> None:
    token = await h.account("exp@example.com")
    assert (await h.client.get("/me", headers=bearer(token))).status_code == 200
    h.clock.advance(30 * 86400 + 1)
    assert (await h.client.get("/me", headers=bearer(token))).status_code == 401


async def test_create_per_alias_outcomes(h: Harness) -> None:
    token = await h.account("a@example.com", slots=3)
    good = names(h.world, "ok", 4)
    missing = names(h.world, "missing", 1)[0]
    suspended = names(h.world, "suspended", 1)[0]
    body = await create(
        h,
        token,
        [f"@{good[0]}", good[1].upper(), good[0], "bad alias!", "x" * 16, missing, suspended, good[2], good[3]],
    )
    assert [item["alias"] for item in body["ok"]] == [good[0], good[1].upper(), good[2]]
    codes = {(e["alias"], e["code"]) for e in body["errors"]}
    assert codes == {
        (good[0], "duplicate_in_request"),
        ("bad alias!", "invalid_alias"),
        ("x" * 16, "invalid_alias"),
        (missing, "user_not_found"),
        (suspended, "user_suspended"),
        (good[3], "no_balance"),
    }
    assert all(e["message"] for e in body["errors"])
    assert await balance(h, token) == 0
    again = await create(h, token, [good[0].upper()])
    assert again["ok"] == [] and again["errors"][0]["code"] == "already_tracking"


async def test_first_snapshot_is_stored_at_creation(h: Harness) -> None:
    token = await h.account("snap@example.com")
    name = names(h.world, "ok", 1)[0]
    tracker_id = (await create(h, token, [name]))["ok"][0]["resourceId"]
    user = h.world.user_by_username(name, START)
    assert user is not None
    r = await h.client.get(
        f"/user-trackers/{tracker_id}/stats",
        params={"startDate": int(START) - HOUR, "endDate": int(START) + HOUR},
        headers=bearer(token),
    )
    assert r.status_code == 200
    docs = r.json()
    assert len(docs) == 2 and docs[0] == docs[1]
    assert docs[0] == {
        "_id": domain.bucket_of(START, HOUR),
        "tweets": user.tweet_count,
        "followers": user.followers_count,
        "following": user.following_count,
        "lists": user.listed_count,
        "followersFollowing": round(user.followers_count / max(user.following_count, 1), 2),
        "createdAt": int(START),
        "updatedAt": int(START),
    }
    listing = (await h.client.get("/user-trackers/me", headers=bearer(token))).json()
    doc = listing["data"][0]
    assert doc["_id"] == tracker_id and doc["userId"] == str(user.id) and doc["username"] == user.username
    assert doc["status"] == "active" and doc["stoppedAt"] is None and doc["lastSnapshot"] == docs[0]
    assert listing["pagination"] == {"offset": 0, "limit": 20, "total": 1, "nextResults": False}


@pytest.mark.parametrize(
    "payload",
    [
        {"alias": "osasuna"},
        [],
        [{"alias": 5}],
        [{"name": "osasuna"}],
        ["osasuna"],
        [{"alias": f"user{i}"} for i in range(101)],
        "not json at all",
    ],
    ids=["object", "empty", "int-alias", "no-alias", "strings", "101-items", "garbage"],
)
async def test_malformed_create_bodies_are_400_and_create_nothing(h: Harness, payload: Any) -> None:
    token = await h.account("m@example.com")
    if payload == "not json at all":
        r = await h.client.post(
            "/user-trackers/multi", content=b"{nope", headers={**bearer(token), "content-type": "application/json"}
        )
    else:
        r = await h.client.post("/user-trackers/multi", json=payload, headers=bearer(token))
    assert r.status_code == 400, r.text
    assert r.json()["extra"]["code"] == "invalid_request" and r.json()["message"]
    assert await balance(h, token) == 10
    assert (await h.client.get("/user-trackers/me", headers=bearer(token))).json()["data"] == []


async def test_upstream_down_is_503_and_creates_nothing(h: Harness) -> None:
    token = await h.account("down@example.com")
    r = await h.xsim_stats.put("/xsim/admin/faults", json={"error_rate": 1.0})
    assert r.status_code == 200, r.text
    r = await h.client.post("/user-trackers/multi", json=[{"alias": "osasuna"}], headers=bearer(token))
    assert r.status_code == 503 and r.json()["extra"]["code"] == "upstream_unavailable"
    assert await balance(h, token) == 10


async def test_list_filters_and_pagination(h: Harness) -> None:
    token = await h.account("list@example.com", slots=30)
    good = names(h.world, "ok", 25)
    for name in good:
        await create(h, token, [name])
        h.clock.advance(60)
    first = (await h.client.get("/user-trackers/me", params={"limit": 10}, headers=bearer(token))).json()
    assert [d["alias"] for d in first["data"]] == list(reversed(good))[:10]
    assert first["pagination"] == {"offset": 0, "limit": 10, "total": 25, "nextResults": True}
    last = (await h.client.get("/user-trackers/me", params={"offset": 20, "limit": 10}, headers=bearer(token))).json()
    assert len(last["data"]) == 5 and last["pagination"]["nextResults"] is False
    one = (await h.client.get("/user-trackers/me", params={"alias": good[3].upper()}, headers=bearer(token))).json()
    assert [d["alias"] for d in one["data"]] == [good[3]]
    for bad in ({"limit": 0}, {"limit": 1001}, {"offset": -1}, {"status": "paused"}, {"limit": "ten"}):
        r = await h.client.get("/user-trackers/me", params=bad, headers=bearer(token))
        assert r.status_code == 400, bad
        assert next(iter(bad)) in r.json()["message"]


async def test_stop_gives_the_slot_back_once_and_keeps_data(h: Harness) -> None:
    token = await h.account("stop@example.com", slots=2)
    name = names(h.world, "ok", 1)[0]
    tracker_id = (await create(h, token, [name]))["ok"][0]["resourceId"]
    assert await balance(h, token) == 1
    h.clock.advance(HOUR)
    r = await h.client.put("/user-trackers/delete", json={"userTrackers": [tracker_id, "nope"]}, headers=bearer(token))
    assert r.json() == {
        "errors": [{"resourceId": "nope", "code": "not_found", "message": "No such tracker."}],
        "ok": [tracker_id],
    }
    assert await balance(h, token) == 2
    r = await h.client.put("/user-trackers/delete", json={"userTrackers": [tracker_id]}, headers=bearer(token))
    assert r.json()["errors"][0]["code"] == "already_stopped" and r.json()["ok"] == []
    assert await balance(h, token) == 2
    doc = (await h.client.get("/user-trackers/me", params={"status": "stopped"}, headers=bearer(token))).json()
    assert doc["data"][0]["stoppedAt"] == int(START) + HOUR
    stats = await h.client.get(
        f"/user-trackers/{tracker_id}/stats",
        params={"startDate": 0, "endDate": int(START) + 10 * HOUR},
        headers=bearer(token),
    )
    assert len(stats.json()) == 2
    # Tracking the alias again creates a new tracker; the stopped one stays stopped.
    again = await create(h, token, [name])
    assert again["ok"][0]["resourceId"] != tracker_id
    for bad in ({"userTrackers": []}, {"userTrackers": "x"}, {"trackers": [tracker_id]}, [tracker_id]):
        r = await h.client.put("/user-trackers/delete", json=bad, headers=bearer(token))
        assert r.status_code == 400


async def seed_series(h: Harness, x_user_id: int, buckets: list[int]) -> None:
    engine = create_engine(h.database_url)
    try:
        async with engine.begin() as conn:
            await snapshot_store.upsert_snapshots(
                conn,
                rows=[
                    domain.Snapshot(
                        x_user_id=x_user_id,
                        bucket=b,
                        tweets=100 + i,
                        followers=1000 + 10 * i,
                        following=50,
                        lists=3,
                        created_at=b + 60,
                        updated_at=b + 60,
                    )
                    for i, b in enumerate(buckets)
                ],
            )
    finally:
        await engine.dispose()


async def test_stats_semantics_and_life_clipping(h: Harness) -> None:
    token = await h.account("stats@example.com")
    name = names(h.world, "ok", 1)[0]
    user = h.world.user_by_username(name, START)
    assert user is not None
    created_bucket = domain.bucket_of(START, HOUR)
    tracker_id = (await create(h, token, [name]))["ok"][0]["resourceId"]
    # Older history of the same X user (collected for another account), then 5 hours inside this tracker's life.
    await seed_series(h, user.id, [created_bucket - 3 * HOUR, created_bucket - 2 * HOUR])
    await seed_series(h, user.id, [created_bucket + k * HOUR for k in range(1, 6)])
    url = f"/user-trackers/{tracker_id}/stats"

    async def get(**params: Any) -> Any:
        r = await h.client.get(url, params=params, headers=bearer(token))
        return r

    everything = (await get(startDate=0, endDate=int(START) + 100 * HOUR, isTimeline="true")).json()
    assert [d["_id"] for d in everything] == [created_bucket + k * HOUR for k in range(6)]
    two = (await get(startDate=created_bucket + HOUR, endDate=created_bucket + 3 * HOUR + 5)).json()
    assert [d["_id"] for d in two] == [created_bucket + HOUR, created_bucket + 3 * HOUR]
    assert two[1]["followers"] - two[0]["followers"] == 20
    for flag in ("false", "0"):
        assert len((await get(startDate=0, endDate=int(START) + 100 * HOUR, isTimeline=flag)).json()) == 2
    assert len((await get(startDate=0, endDate=int(START) + 100 * HOUR, isTimeline="1")).json()) == 6
    assert (await get(startDate=int(START) + 50 * HOUR, endDate=int(START) + 60 * HOUR)).json() == []
    assert (await get(startDate=0, endDate=created_bucket - HOUR, isTimeline="true")).json() == []
    for params, field in [
        ({"startDate": 10, "endDate": 5}, "startDate"),
        ({"endDate": 5}, "startDate"),
        ({"startDate": 5}, "endDate"),
        ({"startDate": "yesterday", "endDate": 5}, "startDate"),
        ({"startDate": 1, "endDate": 5, "isTimeline": "maybe"}, "isTimeline"),
    ]:
        r = await get(**params)
        assert r.status_code == 400, params
        assert field in r.json()["message"], r.json()
    # Stopping closes the life: later snapshots of the same user are not this tracker's.
    h.clock.set(created_bucket + 3 * HOUR + 30)
    await h.client.put("/user-trackers/delete", json={"userTrackers": [tracker_id]}, headers=bearer(token))
    after = (await get(startDate=0, endDate=int(START) + 100 * HOUR, isTimeline="true")).json()
    assert [d["_id"] for d in after] == [created_bucket + k * HOUR for k in range(4)]


async def test_accounts_are_isolated(h: Harness) -> None:
    a = await h.account("a@iso.example")
    b = await h.account("b@iso.example")
    name = names(h.world, "ok", 1)[0]
    tracker_id = (await create(h, a, [name]))["ok"][0]["resourceId"]
    stats = await h.client.get(
        f"/user-trackers/{tracker_id}/stats", params={"startDate": 0, "endDate": 2**40}, headers=bearer(b)
    )
    assert stats.status_code == 404 and stats.json()["extra"]["code"] == "not_found"
    unknown = await h.client.get(
        "/user-trackers/00000000-0000-0000-0000-000000000000/stats",
        params={"startDate": 0, "endDate": 1},
        headers=bearer(b),
    )
    assert unknown.json() == stats.json()
    assert (await h.client.get("/user-trackers/me", headers=bearer(b))).json()["data"] == []
    stop = await h.client.put("/user-trackers/delete", json={"userTrackers": [tracker_id]}, headers=bearer(b))
    assert stop.json()["errors"][0]["code"] == "not_found"
    tag = (await h.client.post("/user-trackers/tags", json={"name": "rivals"}, headers=bearer(b))).json()["resourceId"]
    assign = await h.client.put("/user-trackers/tags", json={"add": [tag], "trackers": [tracker_id]}, headers=bearer(b))
    assert assign.status_code == 404
    # B tracking the same X user is independent of A.
    assert (await create(h, b, [name]))["ok"][0]["alias"] == name
    assert (await h.client.get("/user-trackers/me", headers=bearer(a))).json()["data"][0]["status"] == "active"


async def test_tags(h: Harness) -> None:
    token = await h.account("tags@example.com")
    good = names(h.world, "ok", 2)
    ids = [item["resourceId"] for item in (await create(h, token, good))["ok"]]
    r = await h.client.post("/user-trackers/tags", json={"name": "clubs"}, headers=bearer(token))
    tag = r.json()["resourceId"]
    dup = await h.client.post("/user-trackers/tags", json={"name": "clubs"}, headers=bearer(token))
    assert dup.status_code == 409
    assert (await h.client.post("/user-trackers/tags", json={"name": ""}, headers=bearer(token))).status_code == 400
    r = await h.client.put("/user-trackers/tags", json={"add": [tag], "trackers": ids}, headers=bearer(token))
    assert r.status_code == 200
    listed = (await h.client.get("/user-trackers/tags", headers=bearer(token))).json()
    assert listed["data"][0]["name"] == "clubs" and sorted(listed["data"][0]["trackers"]) == sorted(ids)
    trackers = (await h.client.get("/user-trackers/me", headers=bearer(token))).json()["data"]
    assert all(t["tags"] == [tag] for t in trackers)
    r = await h.client.put("/user-trackers/tags", json={"delete": [tag], "trackers": [ids[0]]}, headers=bearer(token))
    listed = (await h.client.get("/user-trackers/tags", headers=bearer(token))).json()
    assert listed["data"][0]["trackers"] == [ids[1]]
    # An unknown id anywhere writes nothing at all.
    r = await h.client.put(
        "/user-trackers/tags", json={"add": [tag, "nope"], "trackers": [ids[0]]}, headers=bearer(token)
    )
    assert r.status_code == 404
    listed = (await h.client.get("/user-trackers/tags", headers=bearer(token))).json()
    assert listed["data"][0]["trackers"] == [ids[1]]


async def test_concurrent_creates_never_overspend(h: Harness) -> None:
    token = await h.account("race@example.com", slots=10)
    good = names(h.world, "ok", 50)
    results = await asyncio.gather(*(create(h, token, [name]) for name in good))
    created = sum(len(r["ok"]) for r in results)
    refused = [e["code"] for r in results for e in r["errors"]]
    assert created == 10 and refused == ["no_balance"] * 40
    assert await balance(h, token) == 0
    listing = (await h.client.get("/user-trackers/me", params={"limit": 100}, headers=bearer(token))).json()
    assert listing["pagination"]["total"] == 10
