"""`roost import tweetbinder` against a tiny upstream that answers with the shapes recorded from Tweet Binder (either
generation), pages its lists, fails, throttles and stalls: retried with backoff, resumed from its cursor."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from roost.config import Settings
from roost.core import auth
from roost.core.clock import VirtualClock
from roost.services import tbimport
from roost.services.errors import Invalid
from roost.services.runtime import Runtime, open_runtime
from roost.services.tbclient import UpstreamError
from roost.store import accounts as account_store
from roost.store.db import transaction
from roost.store.schema import import_cursors, snapshots, trackers

HOUR, DAY = 3600, 86400
T0 = 1_730_000_000 - 1_730_000_000 % HOUR  # November 2024, when the shapes were recorded
TOKEN = "tb-token"


def recorded_tracker(n: int, *, status: str) -> dict[str, Any]:
    """A tracker document as Tweet Binder's current service returned it (no Roost additions)."""
    created = T0 + n * 600
    return {
        "_id": f"6740a1b2c3d4e5f60718293{n}", "createdAt": created, "updatedAt": created + 40 * DAY,
        "status": status, "userId": "65f0c0ffee", "alias": f"club{n}", "firstStats": created,
        "refreshInterval": 3600, "refreshDate": created + 40 * DAY + 3600, "refreshOffset": 0,
        "refreshedAt": created + 40 * DAY, "profile": {"id": str(9_000_000 + n), "name": f"Club {n}",
        "picture": "https://pbs.twimg.com/x.jpg", "bio": "", "location": None, "age": 1_262_304_000},
    }  # fmt: skip


def recorded_stats(n: int, bucket: int) -> dict[str, Any]:
    k = (bucket - T0) // HOUR
    return {
        "_id": bucket, "tweets": 7968 + k // 5, "followers": 37500 + n * 1000 + k % 11, "following": 1135,
        "lists": 153 if k % 97 else 0, "followersFollowing": 33.04, "createdAt": bucket + 227,
        "updatedAt": bucket + 227,
        "originals": k % 4, "retweetStatuses": 0, "deleted": 0, "retweets": k % 9, "favorites": k % 13,
        "mentions": None, "userValue": None, "engagementValue": None, "globalScore": None,
    }  # fmt: skip


@dataclass
class Upstream:
    generation: str
    faults: list[str] = field(default_factory=list)  # next stats answers: "503", "429", "stall", "500-forever"
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    broken: bool = False
    docs: list[dict[str, Any]] = field(default_factory=lambda: [recorded_tracker(1, status="active"),
                                                                recorded_tracker(2, status="stopped")])  # fmt: skip

    def series(self, doc: dict[str, Any]) -> list[dict[str, Any]]:
        n = int(doc["alias"][-1])
        end = doc["createdAt"] + (40 if doc["status"] == "active" else 25) * DAY
        first = doc["createdAt"] - doc["createdAt"] % HOUR
        return [recorded_stats(n, b) for b in range(first, end, HOUR)]

    def app(self) -> Starlette:
        def refused(status: int, message: str) -> JSONResponse:
            error = {401: "Unauthorized", 404: "Not Found", 500: "Internal Server Error", 503: "Service Unavailable",
                     429: "Too Many Requests"}[status]  # fmt: skip
            return JSONResponse({"statusCode": status, "error": error, "message": message}, status)

        async def listing(request: Request) -> Response:
            self.requests.append((request.url.path, dict(request.query_params)))
            if request.headers.get("authorization") != f"Bearer {TOKEN}":
                return refused(401, "Unauthorized")
            wanted = "/user-trackers" if self.generation == "current" else "/user-trackers/me"
            if request.url.path != wanted:
                return refused(404, "Not Found")
            offset = int(request.query_params.get("offset", 0))
            page = self.docs[offset : offset + 1]  # one a page: the client must follow nextResults
            following = offset + 1 if offset + 1 < len(self.docs) else None
            pagination = {"offset": offset, "limit": 1, "total": len(self.docs), "nextResults": following}
            return JSONResponse({"pagination": pagination, "data": page})

        async def stats(request: Request) -> Response:
            self.requests.append((request.url.path, dict(request.query_params)))
            if self.broken:
                return refused(500, "Internal server error")
            if self.faults:
                fault = self.faults.pop(0)
                if fault == "stall":
                    await asyncio.Event().wait()  # never answers: the client's attempt timeout ends it
                if fault == "429":
                    return Response(status_code=429, headers={"Retry-After": "7"})
                return refused(int(fault), "upstream trouble")
            doc = next(d for d in self.docs if d["_id"] == request.path_params["tid"])
            lo, hi = int(request.query_params["startDate"]), int(request.query_params["endDate"])
            assert request.query_params["isTimeline"] == "true"
            return JSONResponse([s for s in self.series(doc) if lo <= s["_id"] <= hi])

        return Starlette(routes=[
            Route("/user-trackers", listing), Route("/user-trackers/me", listing),
            Route("/user-trackers/{tid}/stats", stats),
        ])  # fmt: skip


@asynccontextmanager
async def importer(database_url: str, clock: VirtualClock) -> AsyncIterator[tuple[Runtime, account_store.Account]]:
    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    async with open_runtime(settings, clock=clock, migrate=False) as rt:
        async with transaction(rt.engine) as conn:
            account = await account_store.create_account(
                conn, email="me@example.com", name="me", password_hash=auth.hash_password("x"), tracker_slots=3,
                now=int(clock.now()),
            )  # fmt: skip
        yield rt, account


async def stored(rt: Runtime) -> list[tuple[int, ...]]:
    cols = [snapshots.c[c] for c in ("x_user_id", "bucket", "tweets", "followers", "following", "lists", "created_at",
                                     "updated_at", "originals", "retweets", "favorites")]  # fmt: skip
    async with rt.engine.connect() as conn:
        return [tuple(r) for r in await conn.execute(select(*cols).order_by(*cols[:2]))]


def expected(up: Upstream) -> list[tuple[int, ...]]:
    rows = []
    for doc in up.docs:
        for s in up.series(doc):
            rows.append((int(doc["profile"]["id"]), s["_id"], s["tweets"], s["followers"], s["following"], s["lists"],
                         s["createdAt"], s["updatedAt"], s["originals"], s["retweets"], s["favorites"]))  # fmt: skip
    return sorted(rows)


@pytest.mark.parametrize("generation", ["documented", "current"])
async def test_recorded_shapes_with_failures_and_a_stall(database_url: str, generation: str) -> None:
    up = Upstream(generation, faults=["503", "429", "stall"])
    clock = VirtualClock(T0 + 41 * DAY)
    async with importer(database_url, clock) as (rt, account):
        report = await tbimport.import_tweetbinder(
            rt, account, api="https://api.tweetbinder.test", token=TOKEN,
            transport=httpx.ASGITransport(app=up.app()), attempt_seconds=0.5,
        )  # fmt: skip
        assert report.generation == generation
        assert report.retries == 3 and clock.now() >= T0 + 41 * DAY + 1 + 7  # backoff waited, Retry-After honoured
        assert await stored(rt) == expected(up)
        async with rt.engine.connect() as conn:
            made = {r.id: r for r in (await conn.execute(select(trackers))).all()}
        active, stopped = up.docs
        assert made[active["_id"]].status == "active" and made[active["_id"]].created_at == active["createdAt"]
        assert made[stopped["_id"]].status == "stopped" and made[stopped["_id"]].stopped_at == stopped["updatedAt"]
        again = await tbimport.import_tweetbinder(
            rt, account, api="https://api.tweetbinder.test", token=TOKEN, transport=httpx.ASGITransport(app=up.app())
        )
        assert again.added == 0


async def test_an_interrupted_import_resumes_from_its_cursor(database_url: str) -> None:
    up = Upstream("current")
    clock = VirtualClock(T0 + 41 * DAY)
    async with importer(database_url, clock) as (rt, account):
        seen = 0

        def break_after_the_first_window(*_: object) -> None:
            nonlocal seen
            seen += 1
            up.broken = True  # from now on every stats request fails

        with pytest.raises(UpstreamError, match=r"failed 6 times .* run again to resume"):
            await tbimport.import_tweetbinder(
                rt, account, api="https://api.tweetbinder.test/", token=TOKEN,
                transport=httpx.ASGITransport(app=up.app()), progress=break_after_the_first_window,
            )  # fmt: skip
        first_part = await stored(rt)
        async with rt.engine.connect() as conn:
            cursor = (await conn.execute(select(import_cursors.c.last_bucket))).scalar_one()
        assert seen == 1 and first_part and cursor == max(row[1] for row in first_part)
        up.broken, up.requests = False, []
        report = await tbimport.import_tweetbinder(
            rt, account, api="https://api.tweetbinder.test", token=TOKEN, transport=httpx.ASGITransport(app=up.app())
        )
        asked = [int(q["startDate"]) for path, q in up.requests if path.endswith("/stats")]
        assert asked[0] == cursor + 1  # went on after the last window written, not from the start
        assert report.added + len(first_part) == len(expected(up)) and await stored(rt) == expected(up)


async def test_refusals_are_clear(database_url: str) -> None:
    up = Upstream("documented")
    clock = VirtualClock(T0 + 41 * DAY)
    async with importer(database_url, clock) as (rt, account):
        transport = httpx.ASGITransport(app=up.app())
        with pytest.raises(UpstreamError, match="GET /user-trackers was refused: 401 Unauthorized"):
            await tbimport.import_tweetbinder(rt, account, api="http://tb.test", token="wrong", transport=transport)
        with pytest.raises(Invalid, match="no such tracker upstream: nope"):
            await tbimport.import_tweetbinder(
                rt, account, api="http://tb.test", token=TOKEN, transport=transport, only=["nope"]
            )
        with pytest.raises(Invalid, match="--api must be an http"):
            await tbimport.import_tweetbinder(rt, account, api="tb.test", token=TOKEN, transport=transport)
        assert await stored(rt) == []
