"""The stats route's lean lane (roost.api.fast) answers exactly as the FastAPI route does: same status, same body,
same content type, for owned, foreign, unknown, stopped and empty trackers, both read kinds and bad input.

A request with a percent-encoded query is always passed on to the FastAPI route, so each case is sent twice:
once plainly (the lane) and once with one digit of startDate percent-encoded (the route)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import astuple, fields

import orjson
import pytest

from roost.api.fast import parse_stats
from roost.core.domain import Snapshot
from roost.schemas import StatsDocument, TimelineStatsDocument, stats_json
from roost.services import reports
from roost.store import snapshots as snapshot_store
from roost.store.db import create_engine
from tests.integration.api_helpers import harness

HOUR = 3600


def _routed(path: str) -> str:
    """The same request, with startDate's first digit percent-encoded: the lane passes it to the FastAPI route."""
    head, _, value = path.partition("startDate=")
    if not value or not value[0].isdigit():
        return path + ("&" if "?" in path else "?") + "%61=1"  # an ignored parameter, encoded
    return f"{head}startDate=%{ord(value[0]):02X}{value[1:]}"


def _scope(path: str, query: str, auth: bytes | None = b"Bearer rst_x") -> dict[str, object]:
    headers = [(b"authorization", auth)] if auth is not None else []
    return {"type": "http", "method": "GET", "path": path, "query_string": query.encode(), "headers": headers}


def test_the_lane_takes_only_plain_well_formed_json_requests() -> None:
    path = "/user-trackers/abc/stats"
    q = parse_stats(_scope(path, "startDate=10&endDate=20&isTimeline=true"))
    assert q is not None and (q.tracker_id, q.start, q.end, q.timeline, q.token) == ("abc", 10, 20, True, "rst_x")
    assert parse_stats(_scope(path, "startDate=10&endDate=20")).timeline is False  # type: ignore[union-attr]
    passed_on = [
        _scope(path, "startDate=%31&endDate=20"),  # encoded
        _scope(path, "startDate=10&endDate=20&format=csv"),
        _scope(path, "startDate=10&endDate=20&isTimeline=yes"),  # the route's bool parsing decides
        _scope(path, "startDate=10&startDate=11&endDate=20"),  # repeated
        _scope(path, "startDate=1.5&endDate=20"),
        _scope(path, "endDate=20"),  # missing: the route's 400 names the field
        _scope(path, "startDate=99999999999999&endDate=20"),  # out of range: the route's 400
        _scope(path, "startDate=10&endDate=20", auth=None),  # the route's 401
        _scope(path, "startDate=10&endDate=20", auth=b"Basic abc"),
        _scope("/user-trackers/" + "x" * 65 + "/stats", "startDate=10&endDate=20"),
        _scope("/user-trackers/a/b/stats", "startDate=10&endDate=20"),
        _scope("/user-trackers//stats", "startDate=10&endDate=20"),
    ]
    assert [parse_stats(s) for s in passed_on] == [None] * len(passed_on)


def _snapshots(x_user_id: int, first: int, count: int) -> Iterator[Snapshot]:
    for k in range(count):
        bucket = first + k * HOUR
        yield Snapshot(x_user_id, bucket, 100 + k, 1000 + 7 * k, k % 3, 5, bucket + 30, bucket + 90)


def test_stats_json_is_the_documents_dump() -> None:
    """The encoder every stats answer uses gives what the OpenAPI models validate and dump, reading the row's
    columns by name (their order in the row does not matter)."""
    rows = [Snapshot(1, 3600, 5, 10, 0, 1, 3601, 3602), Snapshot(1, 7200, 5, 10, 3, 1, 7201, 7300)]
    names = tuple(f.name for f in fields(Snapshot))
    docs = orjson.loads(stats_json(names, [astuple(r) for r in rows], timeline=False))
    assert docs == [StatsDocument.model_validate(d).dump() for d in docs]
    assert [(d["_id"], d["followersFollowing"]) for d in docs] == [(3600, 10.0), (7200, 3.33)]
    backwards = tuple(reversed(names))
    assert orjson.loads(stats_json(backwards, [astuple(r)[::-1] for r in rows], timeline=False)) == docs
    assert stats_json(names, [], timeline=False) == b"[]"
    activity = ("originals", "retweet_statuses", "deleted", "retweets", "favorites")
    stamped = [(*astuple(rows[0]), 3, 1, 0, 12, 40), (*astuple(rows[1]), None, None, None, None, None)]
    timeline = orjson.loads(stats_json((*names, *activity), stamped, timeline=True))
    assert timeline == [TimelineStatsDocument.model_validate(d).dump() for d in timeline]
    assert [d["retweetStatuses"] for d in timeline] == [1, None] and timeline[0]["mentions"] is None


@pytest.mark.usefixtures("database_url")
async def test_the_lane_answers_as_the_route(database_url: str) -> None:
    async with harness(database_url) as h:
        token = await h.account("ana@example.com")
        other = await h.account("bob@example.com")
        auth = {"Authorization": f"Bearer {token}"}
        aliases = [{"alias": "el_pais"}, {"alias": "osasuna"}]
        made = (await h.client.post("/user-trackers/multi", json=aliases, headers=auth)).json()
        ids = [item["resourceId"] for item in made["ok"]]
        assert len(ids) == 2
        listed = (await h.client.get("/user-trackers/me", headers=auth)).json()["data"]
        tracker = next(t for t in listed if t["_id"] == ids[0])
        x_user_id = int(tracker["profile"]["id"])
        created = tracker["createdAt"]
        engine = create_engine(database_url)
        try:
            async with engine.begin() as conn:  # history before the tracker's life and after it
                await snapshot_store.upsert_snapshots(
                    conn, rows=list(_snapshots(x_user_id, created - created % HOUR - 48 * HOUR, 120))
                )
        finally:
            await engine.dispose()
        h.clock.advance(30 * HOUR)
        stopped = await h.client.put("/user-trackers/delete", json={"userTrackers": [ids[1]]}, headers=auth)
        assert stopped.json()["ok"] == [ids[1]]
        base = created - created % HOUR
        windows = [
            (base - 100 * HOUR, base + 100 * HOUR),
            (base - 100 * HOUR, base - 50 * HOUR),  # before the life: nothing
            (base + 5 * HOUR, base + 5 * HOUR),
            (base + 5 * HOUR + 1, base + 6 * HOUR - 1),  # between buckets
            (base + 10 * HOUR, base + 2 * HOUR),  # startDate after endDate
            (0, reports.MAX_TIME),
        ]
        paths = []
        for tracker_id in [*ids, "no-such-tracker"]:
            for start, end in windows:
                for timeline in ("", "&isTimeline=true", "&isTimeline=false"):
                    paths.append(f"/user-trackers/{tracker_id}/stats?startDate={start}&endDate={end}{timeline}")
        served = 0
        for headers in (auth, {"Authorization": f"Bearer {other}"}, {"Authorization": "Bearer rst_nope"}):
            for path in paths:
                lane = await h.client.get(path, headers=headers)
                route = await h.client.get(_routed(path), headers=headers)
                assert (lane.status_code, lane.json()) == (route.status_code, route.json()), path
                assert lane.headers["content-type"] == route.headers["content-type"]
                served += lane.status_code == 200 and len(lane.json()) > 0
        assert served > 10  # the comparisons are not all of empty answers
