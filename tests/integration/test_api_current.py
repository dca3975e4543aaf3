"""Tweet Binder's current User Trackers generation (its Postman collection, November 2024), replayed request by
request against the real app on both databases, with the recorded shapes checked field by field; and the two
generations reading and writing the same trackers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from roost.core import domain
from tests.integration.api_helpers import START, Harness, harness
from tests.integration.test_api_trackers import balance, bearer, create, names

HOUR = 3600
TRACKER_KEYS = [
    "_id", "createdAt", "updatedAt", "status", "userId", "alias", "firstStats", "refreshInterval", "refreshDate",
    "refreshOffset", "refreshedAt", "profile", "username", "stoppedAt", "lastSnapshot", "tags", "lastError", "archive",
]  # fmt: skip
STATS_KEYS = ["_id", "tweets", "followers", "following", "lists", "followersFollowing", "createdAt", "updatedAt"]
ACTIVITY_KEYS = [
    "originals", "retweetStatuses", "deleted", "retweets", "favorites", "mentions", "userValue", "engagementValue",
    "globalScore",
]  # fmt: skip


MANY_NAMES = ",".join(f"n{i}" for i in range(101))
MANY_IDS = ",".join(str(i + 1) for i in range(101))


@pytest.fixture
async def h(database_url: str) -> AsyncIterator[Harness]:
    async with harness(database_url) as built:
        yield built


def error(r: Any, status: int, message: str, code: str, field: str | None = None) -> None:
    body = r.json()
    assert r.status_code == status, r.text
    assert body["statusCode"] == status and body["message"] == message and body["extra"]["code"] == code, body
    assert isinstance(body["error"], str) and body["error"]
    if field is not None:
        assert body["extra"]["field"] == field, body


async def account_id(h: Harness, token: str) -> str:
    return str((await h.client.get("/me", headers=bearer(token))).json()["_id"])


def check_tracker(doc: dict[str, Any], h: Harness, *, name: str, owner: str, status: str = "active") -> None:
    """The recorded tracker document, field by field."""
    assert list(doc) == TRACKER_KEYS
    user = h.world.user_by_username(name, h.clock.now())
    assert user is not None
    bucket = domain.bucket_of(START, HOUR)
    assert isinstance(doc["_id"], str) and doc["status"] == status and doc["userId"] == owner
    assert doc["alias"] == name and doc["username"] == user.username
    assert doc["firstStats"] == doc["createdAt"] and doc["refreshInterval"] == HOUR and doc["refreshOffset"] == 0
    assert doc["refreshedAt"] == int(START)
    assert doc["refreshDate"] == (bucket + HOUR if status == "active" else None)
    assert doc["profile"] == {
        "id": str(user.id),
        "name": user.name,
        "picture": user.profile_image_url,
        "bio": user.description,
        "location": user.location or None,
        "age": int(user.created_at),
    }
    assert list(doc["lastSnapshot"]) == STATS_KEYS and doc["lastSnapshot"]["_id"] == bucket
    assert all(isinstance(doc[k], int) for k in ("createdAt", "updatedAt"))
    assert isinstance(doc["tags"], list) and doc["lastError"] is None


async def test_the_current_generation_as_recorded(h: Harness) -> None:
    token = await h.account("tb@example.com", slots=2)
    owner = await account_id(h, token)
    good = names(h.world, "ok", 3)
    missing = names(h.world, "missing", 1)[0]
    suspended = names(h.world, "suspended", 1)[0]

    # POST /user-trackers {"alias"} -> {"resourceId"}
    r = await h.client.post("/user-trackers", json={"alias": good[0]}, headers=bearer(token))
    assert r.status_code == 200 and list(r.json()) == ["resourceId"]
    first = r.json()["resourceId"]
    again = await h.client.post("/user-trackers", json={"alias": "@" + good[0].upper()}, headers=bearer(token))
    error(again, 409, "active tracker with alias already exists", "already_tracking", "alias")
    error(
        await h.client.post("/user-trackers", json={"alias": missing}, headers=bearer(token)),
        400, "Bad request", "user_not_found", "alias",
    )  # fmt: skip
    error(
        await h.client.post("/user-trackers", json={"alias": suspended}, headers=bearer(token)),
        400, "Bad request", "user_suspended", "alias",
    )  # fmt: skip
    second = (await h.client.post("/user-trackers", json={"alias": good[1]}, headers=bearer(token))).json()
    error(
        await h.client.post("/user-trackers", json={"alias": good[2]}, headers=bearer(token)),
        429, "invalid balance", "no_balance", "alias",
    )  # fmt: skip
    assert await balance(h, token) == 0

    # GET /user-trackers/:id -> the tracker document
    r = await h.client.get(f"/user-trackers/{first}", headers=bearer(token))
    assert r.status_code == 200
    check_tracker(r.json(), h, name=good[0], owner=owner)

    # GET /user-trackers?order=createdAt|-1 -> the envelope, nextResults null when nothing remains
    h.clock.advance(5)
    listing = (await h.client.get("/user-trackers", params={"order": "createdAt|-1"}, headers=bearer(token))).json()
    assert listing["pagination"] == {"offset": 0, "limit": 20, "total": 2, "nextResults": None}
    assert [d["_id"] for d in listing["data"]] == [second["resourceId"], first] or listing["data"][0]["createdAt"] == (
        listing["data"][1]["createdAt"]
    )
    ascending = await h.client.get("/user-trackers", params={"order": "alias|1", "limit": 1}, headers=bearer(token))
    assert ascending.json()["pagination"]["nextResults"] == 1
    assert ascending.json()["data"][0]["alias"] == min(good[:2], key=str.lower)

    # Tags: create (a taken name is 400 DUP_TAG_NAME), add/remove 204 idempotent, stats, delete 204
    tag = (await h.client.post("/user-trackers/tags", json={"name": "clubs"}, headers=bearer(token))).json()
    tag_id = tag["resourceId"]
    error(
        await h.client.post("/user-trackers/tags", json={"name": "clubs"}, headers=bearer(token)),
        400, "tag name already exists", "DUP_TAG_NAME",
    )  # fmt: skip
    for _ in range(2):
        r = await h.client.put(f"/user-trackers/{first}/tags/{tag_id}/add", headers=bearer(token))
        assert r.status_code == 204 and r.content == b""
    assert (await h.client.get(f"/user-trackers/{first}", headers=bearer(token))).json()["tags"] == [tag_id]
    tags = (await h.client.get("/user-trackers/tags", headers=bearer(token))).json()
    assert tags["data"][0] == {
        "_id": tag_id, "createdAt": int(START) + 5, "updatedAt": int(START) + 5, "name": "clubs", "userId": owner,
        "trackers": [first],
    }  # fmt: skip

    stats = await h.client.get(
        f"/user-trackers/tags/{tag_id}/stats",
        params={"startDate": int(START) - HOUR, "endDate": int(START) + HOUR, "isTimeline": "true"},
        headers=bearer(token),
    )
    assert stats.status_code == 200
    body = stats.json()
    assert body["tag"] == {"_id": tag_id, "createdAt": int(START) + 5, "name": "clubs"}
    (member,) = body["trackers"]
    user = h.world.user_by_username(good[0], START)
    assert user is not None
    assert list(member) == [
        "_id", "alias", "name", "bio", "picture", "age", "createdAt", "refreshedAt", "refreshDate", "refreshInterval",
        "refreshOffset", "timeline",
    ]  # fmt: skip
    assert (member["_id"], member["alias"], member["name"], member["bio"]) == (
        first,
        good[0],
        user.name,
        user.description,
    )
    assert (member["picture"], member["age"]) == (user.profile_image_url, int(user.created_at))
    (point,) = member["timeline"]
    assert list(point) == STATS_KEYS + ACTIVITY_KEYS
    # Collected at creation, before any post was archived: the archive knew nothing, so null (never 0).
    assert all(point[k] is None for k in ACTIVITY_KEYS)

    for _ in range(2):
        assert (
            await h.client.put(f"/user-trackers/{first}/tags/{tag_id}/remove", headers=bearer(token))
        ).status_code == 204
    assert (await h.client.get(f"/user-trackers/{first}", headers=bearer(token))).json()["tags"] == []
    await h.client.put(f"/user-trackers/{second['resourceId']}/tags/{tag_id}/add", headers=bearer(token))
    assert (await h.client.delete(f"/user-trackers/tags/{tag_id}", headers=bearer(token))).status_code == 204
    error(
        await h.client.delete(f"/user-trackers/tags/{tag_id}", headers=bearer(token)), 404, "No such tag.", "not_found"
    )
    kept = (await h.client.get(f"/user-trackers/{second['resourceId']}", headers=bearer(token))).json()
    assert kept["status"] == "active" and kept["tags"] == []

    # DELETE /user-trackers/:id -> 204, twice; the slot comes back once
    for _ in range(2):
        r = await h.client.delete(f"/user-trackers/{first}", headers=bearer(token))
        assert r.status_code == 204 and r.content == b""
        assert await balance(h, token) == 1
    stopped = (await h.client.get(f"/user-trackers/{first}", headers=bearer(token))).json()
    check_tracker(stopped, h, name=good[0], owner=owner, status="stopped")
    assert stopped["stoppedAt"] == int(START) + 5

    # X Profiles: from the store when known, else one batched upstream lookup; unknown ones left out
    other = names(h.world, "ok", 5)[4]
    other_user = h.world.user_by_username(other, START)
    assert other_user is not None
    by_name = await h.client.get(
        "/profiles/twitter/by-name", params={"profileNames": f"{good[0]},{missing},{other}"}, headers=bearer(token)
    )
    assert by_name.status_code == 200
    assert by_name.json() == [
        {"id": str(user.id), "name": user.name, "alias": user.username},
        {"id": str(other_user.id), "name": other_user.name, "alias": other_user.username},
    ]
    nobody = next(i for i in range(2**62, 2**62 + 100) if h.world.user(i, START) is None)
    by_id = await h.client.get(
        "/profiles/twitter/by-id", params={"profileIds": f"{other_user.id},{user.id},{nobody}"}, headers=bearer(token)
    )
    assert by_id.json() == [
        {"id": str(other_user.id), "name": other_user.name, "alias": other_user.username},
        {"id": str(user.id), "name": user.name, "alias": user.username},
    ]


async def test_one_tracker_through_both_generations(h: Harness) -> None:
    token = await h.account("both@example.com", slots=3)
    a, b = names(h.world, "ok", 2)
    old = (await create(h, token, [a]))["ok"][0]["resourceId"]  # documented generation
    h.clock.advance(1)
    new = (await h.client.post("/user-trackers", json={"alias": b}, headers=bearer(token))).json()["resourceId"]
    tag = (await h.client.post("/user-trackers/tags", json={"name": "mix"}, headers=bearer(token))).json()["resourceId"]

    # created by /multi: read, tagged and stopped through the current generation
    assert (await h.client.put(f"/user-trackers/{old}/tags/{tag}/add", headers=bearer(token))).status_code == 204
    # created by POST /user-trackers: tagged through the bulk form
    r = await h.client.put("/user-trackers/tags", json={"add": [tag], "trackers": [new]}, headers=bearer(token))
    assert r.status_code == 200
    one = (await h.client.get(f"/user-trackers/{old}", headers=bearer(token))).json()
    listed = (await h.client.get("/user-trackers/me", params={"alias": a}, headers=bearer(token))).json()["data"]
    assert listed == [one] and one["tags"] == [tag]
    current = (await h.client.get("/user-trackers", params={"_id": new}, headers=bearer(token))).json()["data"]
    documented = (await h.client.get("/user-trackers/me", params={"_id": new}, headers=bearer(token))).json()["data"]
    assert current == documented and current[0]["tags"] == [tag]

    assert (await h.client.delete(f"/user-trackers/{old}", headers=bearer(token))).status_code == 204
    r = await h.client.put("/user-trackers/delete", json={"userTrackers": [old, new]}, headers=bearer(token))
    assert r.json()["ok"] == [new] and r.json()["errors"][0] == {
        "resourceId": old, "code": "already_stopped", "message": "This tracker is already stopped.",
    }  # fmt: skip
    assert (await h.client.delete(f"/user-trackers/{new}", headers=bearer(token))).status_code == 204
    assert await balance(h, token) == 3
    stopped = (await h.client.get("/user-trackers", params={"status": "stopped"}, headers=bearer(token))).json()
    assert {d["_id"] for d in stopped["data"]} == {old, new}
    assert (
        stopped == (await h.client.get("/user-trackers/me", params={"status": "stopped"}, headers=bearer(token))).json()
    )

    # The CLI's --json prints the same document (checked in test_cli_trackers); the tag stats see both trackers.
    stats = await h.client.get(
        f"/user-trackers/tags/{tag}/stats",
        params={"startDate": int(START) - HOUR, "endDate": int(START) + HOUR},
        headers=bearer(token),
    )
    assert [t["_id"] for t in stats.json()["trackers"]] == [old, new]
    assert all(len(t["timeline"]) == 2 and t["refreshDate"] is None for t in stats.json()["trackers"])


async def test_the_list_grammar(h: Harness) -> None:
    token = await h.account("grammar@example.com", slots=5)
    made = []
    for name in names(h.world, "ok", 4):
        made.append((await h.client.post("/user-trackers", json={"alias": name}, headers=bearer(token))).json())
        h.clock.advance(10)
    ids = [m["resourceId"] for m in made]
    await h.client.delete(f"/user-trackers/{ids[1]}", headers=bearer(token))

    async def listed(**params: str) -> list[str]:
        r = await h.client.get("/user-trackers", params=params, headers=bearer(token))
        assert r.status_code == 200, r.text
        return [d["_id"] for d in r.json()["data"]]

    t0 = int(START)
    assert await listed() == ids[::-1]
    assert await listed(order="createdAt|1") == ids
    assert await listed(order="createdAt|-1") == ids[::-1]
    assert await listed(status="stopped") == [ids[1]]
    assert await listed(status="nin|stopped", order="createdAt|1") == [ids[0], ids[2], ids[3]]
    assert await listed(createdAt=f"gt|{t0 + 5}", order="createdAt|1") == ids[1:]
    assert await listed(createdAt=f"lt|{t0 + 15}", status="active") == [ids[0]]
    assert await listed(_id=f"in|{ids[0]},{ids[3]}", order="createdAt|1") == [ids[0], ids[3]]
    assert await listed(stoppedAt="exists|true") == [ids[1]]
    assert await listed(stoppedAt="exists|false", order="createdAt|1") == [ids[0], ids[2], ids[3]]
    assert await listed(alias="in|nobody") == []

    for params, field in [
        ({"colour": "red"}, "colour"),
        ({"status": "maybe"}, "status"),
        ({"status": "like|active"}, "status"),
        ({"createdAt": "lt|soon"}, "createdAt"),
        ({"alias": "gt|5"}, "alias"),
        ({"stoppedAt": "exists|perhaps"}, "stoppedAt"),
        ({"order": "colour|-1"}, "order"),
        ({"order": "createdAt|2"}, "order"),
    ]:
        for path in ("/user-trackers", "/user-trackers/me"):
            r = await h.client.get(path, params=params, headers=bearer(token))
            assert r.status_code == 400, (path, params, r.text)
            assert r.json()["extra"] == {"code": "invalid_request", "field": field}, r.json()
            assert field in r.json()["message"] or "order direction" in r.json()["message"]


async def test_bad_input_on_every_new_endpoint_is_a_4xx_naming_the_field_and_writes_nothing(h: Harness) -> None:
    token = await h.account("bad@example.com", slots=3)
    other = await h.account("other@example.com", slots=3)
    name = names(h.world, "ok", 1)[0]
    tracker = (await h.client.post("/user-trackers", json={"alias": name}, headers=bearer(token))).json()["resourceId"]
    tag = (await h.client.post("/user-trackers/tags", json={"name": "t"}, headers=bearer(token))).json()["resourceId"]
    foreign_tag = (await h.client.post("/user-trackers/tags", json={"name": "t"}, headers=bearer(other))).json()
    cases: list[tuple[str, str, dict[str, Any], int, str | None]] = [
        ("POST", "/user-trackers", {"json": {}}, 400, "alias"),
        ("POST", "/user-trackers", {"json": {"alias": "bad alias!"}}, 400, "alias"),
        ("POST", "/user-trackers", {"json": {"alias": 5}}, 400, "alias"),
        ("POST", "/user-trackers", {"json": [{"alias": name}]}, 400, "body"),
        ("POST", "/user-trackers", {"content": b"{", "headers": {"Content-Type": "application/json"}}, 400, None),
        ("GET", "/user-trackers/nope", {}, 404, None),
        ("DELETE", "/user-trackers/nope", {}, 404, None),
        ("PUT", f"/user-trackers/{tracker}/tags/nope/add", {}, 404, None),
        ("PUT", f"/user-trackers/nope/tags/{tag}/add", {}, 404, None),
        ("PUT", f"/user-trackers/{tracker}/tags/{foreign_tag['resourceId']}/add", {}, 404, None),
        ("PUT", f"/user-trackers/{tracker}/tags/nope/remove", {}, 404, None),
        ("DELETE", f"/user-trackers/tags/{foreign_tag['resourceId']}", {}, 404, None),
        ("GET", f"/user-trackers/tags/{tag}/stats", {"params": {"startDate": 5}}, 400, "endDate"),
        ("GET", f"/user-trackers/tags/{tag}/stats", {"params": {"startDate": 9, "endDate": 5}}, 400, "startDate"),
        ("GET", f"/user-trackers/tags/{tag}/stats", {"params": {"startDate": "x", "endDate": 5}}, 400, "startDate"),
        ("GET", "/user-trackers/tags/nope/stats", {"params": {"startDate": 1, "endDate": 5}}, 404, None),
        ("GET", "/profiles/twitter/by-name", {}, 400, "profileNames"),
        ("GET", "/profiles/twitter/by-name", {"params": {"profileNames": ""}}, 400, "profileNames"),
        ("GET", "/profiles/twitter/by-name", {"params": {"profileNames": "a,,b"}}, 400, "profileNames"),
        ("GET", "/profiles/twitter/by-name", {"params": {"profileNames": "bad name"}}, 400, "profileNames"),
        ("GET", "/profiles/twitter/by-name", {"params": {"profileNames": MANY_NAMES}}, 400, "profileNames"),
        ("GET", "/profiles/twitter/by-id", {"params": {"profileIds": "12x"}}, 400, "profileIds"),
        ("GET", "/profiles/twitter/by-id", {"params": {"profileIds": "1" * 20}}, 400, "profileIds"),
        ("GET", "/profiles/twitter/by-id", {"params": {"profileIds": MANY_IDS}}, 400, "profileIds"),
    ]  # fmt: skip
    for method, path, kwargs, status, field in cases:
        r = await h.client.request(method, path, headers={**bearer(token), **kwargs.pop("headers", {})}, **kwargs)
        assert r.status_code == status, (method, path, r.text)
        body = r.json()
        assert body["statusCode"] == status and body["message"], body
        if field is not None:
            assert body["extra"]["field"] == field, (method, path, body)
            assert field.split(".")[0] in body["message"] or field == "body", body
    # Nothing was written: one tracker, one slot taken, one tag without members, the other account's tag intact.
    assert await balance(h, token) == 2
    listing = (await h.client.get("/user-trackers", headers=bearer(token))).json()
    assert [d["_id"] for d in listing["data"]] == [tracker] and listing["data"][0]["tags"] == []
    mine = (await h.client.get("/user-trackers/tags", headers=bearer(token))).json()["data"]
    assert [(t["_id"], t["trackers"]) for t in mine] == [(tag, [])]
    theirs = (await h.client.get("/user-trackers/tags", headers=bearer(other))).json()["data"]
    assert [t["_id"] for t in theirs] == [foreign_tag["resourceId"]]
    for path in ("/user-trackers", f"/user-trackers/{tracker}", "/profiles/twitter/by-id?profileIds=1"):
        assert (await h.client.get(path)).status_code == 401
