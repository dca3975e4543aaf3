"""The archive switch and the usage API over the real app, database and emulator: `archive` in both create bodies
and PATCH /user-trackers/{id}, `GET /usage` for the caller's trackers and (for ROOST_OPERATORS) the whole bill, and
Tweet Binder's error body for every refusal."""

from __future__ import annotations

from sqlalchemy import select

from roost.store.db import create_engine
from roost.store.schema import trackers
from tests.integration.api_helpers import harness
from tests.integration.test_api_current import error
from tests.integration.test_api_trackers import bearer, names


async def archives(database_url: str) -> dict[str, bool]:
    engine = create_engine(database_url)
    try:
        async with engine.connect() as conn:
            return {str(i): bool(a) for i, a in (await conn.execute(select(trackers.c.id, trackers.c.archive))).all()}
    finally:
        await engine.dispose()


async def test_the_archive_switch_in_create_bodies_and_patch(database_url: str) -> None:
    async with harness(database_url) as h:
        token = await h.account("arch@example.com", slots=5)
        auth = bearer(token)
        a, b, c = names(h.world, "ok", 3)
        one = (await h.client.post("/user-trackers", json={"alias": a, "archive": False}, headers=auth)).json()
        made = (await h.client.post("/user-trackers/multi", json=[{"alias": b}, {"alias": c, "archive": False}],
                                    headers=auth)).json()  # fmt: skip
        ids = {item["alias"]: item["resourceId"] for item in made["ok"]}
        assert await archives(database_url) == {one["resourceId"]: False, ids[b]: True, ids[c]: False}
        doc = (await h.client.get(f"/user-trackers/{ids[b]}", headers=auth)).json()
        assert doc["archive"] is True
        r = await h.client.patch(f"/user-trackers/{ids[b]}", json={"archive": False}, headers=auth)
        assert r.status_code == 200 and r.json()["archive"] is False and r.json()["_id"] == ids[b]
        assert (await archives(database_url))[ids[b]] is False
        # Bad input names the field and writes nothing; another account's tracker is not found.
        for body in ({}, {"archive": "no"}, {"archive": 1}, {"archive": None}):
            r = await h.client.patch(f"/user-trackers/{ids[b]}", json=body, headers=auth)
            assert r.status_code == 400 and r.json()["statusCode"] == 400, (body, r.text)
        other = bearer(await h.account("other@example.com"))
        r = await h.client.patch(f"/user-trackers/{ids[b]}", json={"archive": True}, headers=other)
        assert r.status_code == 404
        r = await h.client.post("/user-trackers", json={"alias": names(h.world, "ok", 4)[3], "archive": "yes"},
                                headers=auth)  # fmt: skip
        assert r.status_code == 400 and r.json()["extra"]["field"] == "archive", r.text
        await h.client.delete(f"/user-trackers/{ids[c]}", headers=auth)
        error(
            await h.client.patch(f"/user-trackers/{ids[c]}", json={"archive": True}, headers=auth),
            409, "This tracker is stopped: it archives nothing either way.", "tracker_stopped", "archive",
        )  # fmt: skip
        assert (await archives(database_url))[ids[c]] is False


async def test_usage_for_an_account_and_for_the_operator(database_url: str) -> None:
    async with harness(database_url, operators="boss@example.com") as h:
        token = await h.account("user@example.com", slots=5)
        boss = await h.account("boss@example.com", slots=5)
        a, b = names(h.world, "ok", 2)
        await h.client.post("/user-trackers/multi", json=[{"alias": a}], headers=bearer(token))
        await h.client.post("/user-trackers/multi", json=[{"alias": b}], headers=bearer(boss))
        mine = (await h.client.get("/usage", headers=bearer(token))).json()
        # Creating a tracker looked its account up: one user read, $0.01, attributed to its account only.
        assert mine["scope"] == "account" and mine["dollars"] == 0.01
        assert mine["kinds"] == {"lookups": {"users": 1, "posts": 0, "dollars": 0.01}}
        assert [t["alias"] for t in mine["trackers"]] == [a] and len(mine["days"]) == 1
        assert mine["endpoints"] == {} and mine["xUsage"] is None
        error(
            await h.client.get("/usage", params={"scope": "all"}, headers=bearer(token)),
            403, "Only the operators ROOST_OPERATORS names see the whole X bill.", "not_an_operator", "scope",
        )  # fmt: skip
        whole = (await h.client.get("/usage", params={"scope": "all"}, headers=bearer(boss))).json()
        assert whole["scope"] == "all" and whole["dollars"] == 0.02
        assert whole["endpoints"]["GET /2/users/by"]["users"] == 2
        assert {t["alias"] for t in whole["trackers"]} == {a, b}
        # The emulator serves GET /2/usage/tweets: X's own count beside the meter's (no post read yet).
        assert whole["xUsage"]["meterPosts"] == 0 and whole["xUsage"]["projectUsage"] == 0
        for params, field in (({"month": "2026-13"}, "month"), ({"month": "nov"}, "month"), ({"scope": "x"}, "scope")):
            r = await h.client.get("/usage", params=params, headers=bearer(token))
            assert r.status_code == 400 and r.json()["extra"]["field"] == field, r.text
        past = (await h.client.get("/usage", params={"month": "2026-10"}, headers=bearer(token))).json()
        assert past["monthStart"] == "2026-10-01" and past["dollars"] == 0 and past["days"] == []
        assert (await h.client.get("/usage")).status_code == 401
