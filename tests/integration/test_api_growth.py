"""/growth, /compare and format=csv on stats: real app, real database (SQLite and PostgreSQL), emulator upstream."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import pytest

from roost.core.domain import Snapshot
from roost.store import snapshots as snapshot_store
from roost.store.db import create_engine, transaction
from tests.integration.api_helpers import START, Harness, harness
from tests.integration.test_api_trackers import bearer, create, names

HOUR = 3600
DAY = 86400
T = int(START) - int(START) % DAY + DAY  # the next UTC midnight after the trackers are made


@pytest.fixture
async def h(database_url: str) -> AsyncIterator[Harness]:
    async with harness(database_url) as built:
        yield built


async def put_series(h: Harness, x_user_id: int, followers: list[int], *, start: int = T) -> None:
    """Hourly snapshots from `start` with the given follower counts (following 100, tweets growing by 1)."""
    rows = [
        Snapshot(
            x_user_id=x_user_id,
            bucket=start + k * HOUR,
            tweets=1000 + k,
            followers=f,
            following=100,
            lists=7,
            created_at=start + k * HOUR,
            updated_at=start + k * HOUR,
        )
        for k, f in enumerate(followers)
    ]
    engine = create_engine(h.database_url)
    try:
        async with transaction(engine) as conn:
            await snapshot_store.upsert_snapshots(conn, rows=rows)
    finally:
        await engine.dispose()


async def tracked(h: Harness, token: str, n: int) -> list[tuple[str, int]]:
    """n new trackers: (resourceId, X user id)."""
    body = await create(h, token, names(h.world, "ok", n))
    ids = [item["resourceId"] for item in body["ok"]]
    r = await h.client.get("/user-trackers/me", params={"limit": 100}, headers=bearer(token))
    users = {d["_id"]: int(d["userId"]) for d in r.json()["data"]}
    return [(i, users[i]) for i in ids]


async def test_growth_rows_totals_and_glitch(h: Harness) -> None:
    token = await h.account("g@example.com")
    [(tid, uid)] = await tracked(h, token, 1)
    # Two days of hours: +10 an hour, with a 3-hour collapse to 5 % on day two at 05:00-07:59.
    followers = [10_000 + 10 * k for k in range(48)]
    for k in (29, 30, 31):
        followers[k] = 500
    await put_series(h, uid, followers)
    h.clock.set(T + 48 * HOUR)
    params = {"startDate": T, "endDate": T + 48 * HOUR - 1, "interval": "day"}
    r = await h.client.get(f"/user-trackers/{tid}/growth", params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["_id"] == tid and body["interval"] == "day" and body["tz"] == "UTC"
    assert [row["_id"] for row in body["rows"]] == [T, T + DAY]
    assert [row["followers"] for row in body["rows"]] == [10_230, 10_470]
    assert [row["followersChange"] for row in body["rows"]] == [230, 240]
    assert [row["glitches"] for row in body["rows"]] == [0, 3]
    totals = body["totals"]["followers"]
    assert totals["absolute"] == 470 and totals["start"] == 10_000
    assert totals["avgDaily"] == round(470 * 24 / 47, 2)
    assert totals["projection30d"] == round(10_470 + 470 * 24 / 47 * 30)
    assert [g["_id"] for g in body["glitches"]] == [T + k * HOUR for k in (29, 30, 31)]
    assert {g["metric"] for g in body["glitches"]} == {"followers"}
    assert body["totals"]["tweets"]["absolute"] == 47

    r = await h.client.get(f"/user-trackers/{tid}/growth", params={**params, "format": "csv"}, headers=bearer(token))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    assert "attachment" in r.headers["content-disposition"]
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert [int(row["followersChange"]) for row in table] == [230, 240]
    assert table[1]["label"] == body["rows"][1]["label"]


async def test_growth_hours_in_a_time_zone(h: Harness) -> None:
    token = await h.account("tz@example.com")
    [(tid, uid)] = await tracked(h, token, 1)
    await put_series(h, uid, [100 + k for k in range(30)])
    h.clock.set(T + 30 * HOUR)
    params = {"startDate": T, "endDate": T + 30 * HOUR - 1, "interval": "day", "tz": "Asia/Kolkata"}
    r = await h.client.get(f"/user-trackers/{tid}/growth", params=params, headers=bearer(token))
    assert r.status_code == 200, r.text
    rows = r.json()["rows"]
    # UTC midnight is 05:30 in Kolkata: the first local day ends at 18:30 UTC.
    assert rows[0]["_id"] == T - 5 * HOUR - 1800 and rows[1]["_id"] == T + 18 * HOUR + 1800
    assert rows[0]["snapshots"] == 19 and sum(row["snapshots"] for row in rows) == 30


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"startDate": 10, "endDate": 5}, "startDate"),
        ({"startDate": 1, "endDate": 5, "interval": "fortnight"}, "interval"),
        ({"startDate": 1, "endDate": 5, "tz": "Mars/Base"}, "tz"),
        ({"endDate": 5}, "startDate"),
        ({"startDate": 1}, "endDate"),
        ({"startDate": "x", "endDate": 5}, "startDate"),
        ({"startDate": 1, "endDate": 5, "format": "xml"}, "format"),
        ({"startDate": 0, "endDate": 10 * 365 * DAY, "interval": "hour"}, "interval"),
    ],
)
async def test_growth_bad_queries_are_400_naming_the_parameter(h: Harness, params: dict[str, Any], field: str) -> None:
    token = await h.account("bad@example.com")
    [(tid, _)] = await tracked(h, token, 1)
    for path, extra in ((f"/user-trackers/{tid}/growth", {}), ("/user-trackers/compare", {"trackers": tid})):
        r = await h.client.get(path, params={**params, **extra}, headers=bearer(token))
        assert r.status_code == 400, (path, r.text)
        assert field in r.json()["message"] or r.json()["extra"].get("field") == field


async def test_foreign_and_unknown_trackers_are_404(h: Harness) -> None:
    mine = await h.account("mine@example.com")
    theirs = await h.account("theirs@example.com")
    [(tid, _)] = await tracked(h, theirs, 1)
    [(own, _)] = await tracked(h, mine, 1)
    params = {"startDate": T - 10 * DAY, "endDate": T}
    for path in (f"/user-trackers/{tid}/growth", "/user-trackers/nope/growth"):
        r = await h.client.get(path, params=params, headers=bearer(mine))
        assert r.status_code == 404 and r.json()["extra"]["code"] == "not_found"
    r = await h.client.get(
        "/user-trackers/compare", params={**params, "trackers": f"{own},{tid}"}, headers=bearer(mine)
    )
    assert r.status_code == 404
    r = await h.client.get("/user-trackers/compare", params={**params, "tag": "nope"}, headers=bearer(mine))
    assert r.status_code == 404
    r = await h.client.get("/user-trackers/compare", params=params, headers=bearer(mine))
    assert r.status_code == 400 and r.json()["extra"]["field"] == "trackers"
    assert (await h.client.get(f"/user-trackers/{own}/growth", params=params)).status_code == 401


async def test_compare_by_ids_and_by_tag_json_and_csv(h: Harness) -> None:
    token = await h.account("cmp@example.com")
    (a, ua), (b, ub) = await tracked(h, token, 2)
    await put_series(h, ua, [100 + k for k in range(24)])
    await put_series(h, ub, [500 - k for k in range(24)])
    h.clock.set(T + DAY)
    params = {"startDate": T, "endDate": T + DAY - 1, "interval": "day"}
    r = await h.client.get("/user-trackers/compare", params={**params, "trackers": f"{a},{b}"}, headers=bearer(token))
    assert r.status_code == 200, r.text
    by_id = {t["_id"]: t for t in r.json()["trackers"]}
    assert by_id[a]["totals"]["followers"]["absolute"] == 23
    assert by_id[b]["totals"]["followers"]["absolute"] == -23

    tag = (await h.client.post("/user-trackers/tags", json={"name": "rivals"}, headers=bearer(token))).json()
    put = {"add": [tag["resourceId"]], "trackers": [a, b]}
    assert (await h.client.put("/user-trackers/tags", json=put, headers=bearer(token))).status_code == 200
    r = await h.client.get(
        "/user-trackers/compare", params={**params, "tag": tag["resourceId"], "format": "csv"}, headers=bearer(token)
    )
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert {row["trackerId"]: int(row["followersChange"]) for row in table} == {a: 23, b: -23}


async def test_stats_as_csv_matches_json(h: Harness) -> None:
    token = await h.account("csv@example.com")
    [(tid, uid)] = await tracked(h, token, 1)
    await put_series(h, uid, [300, 310, 320])
    h.clock.set(T + 3 * HOUR)
    params = {"startDate": T, "endDate": T + 3 * HOUR, "isTimeline": "true"}
    as_json = (await h.client.get(f"/user-trackers/{tid}/stats", params=params, headers=bearer(token))).json()
    r = await h.client.get(f"/user-trackers/{tid}/stats", params={**params, "format": "csv"}, headers=bearer(token))
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/csv")
    table = list(csv.DictReader(io.StringIO(r.text)))
    assert [int(row["_id"]) for row in table] == [d["_id"] for d in as_json] == [T, T + HOUR, T + 2 * HOUR]
    assert [int(row["followers"]) for row in table] == [300, 310, 320]
    assert float(table[0]["followersFollowing"]) == as_json[0]["followersFollowing"]
    two = await h.client.get(
        f"/user-trackers/{tid}/stats",
        params={"startDate": T, "endDate": T + 3 * HOUR, "format": "csv"},
        headers=bearer(token),
    )
    assert len(list(csv.DictReader(io.StringIO(two.text)))) == 2
