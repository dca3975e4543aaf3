"""Creating a tracker or looking up a profile while X refuses (402 spent credits, 429 UsageCapExceeded, 5xx)
answers 503 in Tweet Binder's error body saying what happened upstream, never a 500; a budget that cannot hold a
new tracker's snapshots refuses it with a 403 naming the monthly cost; /healthz says what is paused."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
import orjson
import pytest

from roost.config import Settings
from roost.core.clock import VirtualClock
from roost.main import create_app
from roost.xsim.app import create_app as create_xsim
from roost.xsim.config import XsimConfig
from roost.xsim.transport import XsimTransport
from roost.xsim.world import World
from tests.integration.api_helpers import SEED, START, Harness
from tests.integration.failing_upstream import CAP_BODY

ANSWERS = {
    "credits": (402, {"title": "CreditsDepleted", "detail": "Your credits are spent."}),
    "cap": (429, CAP_BODY),
    "down": (503, {"title": "Service Unavailable"}),
}


class Refusing(httpx.AsyncBaseTransport):
    def __init__(self, inner: XsimTransport) -> None:
        self.inner = inner
        self.mode: str | None = None
        self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        if self.mode is None:
            return await self.inner.handle_async_request(request)
        status, body = ANSWERS[self.mode]
        headers = {"x-rate-limit-remaining": "100", "x-rate-limit-limit": "300", "x-rate-limit-reset": "0"}
        return httpx.Response(status, content=orjson.dumps(body), headers=headers, request=request)


@asynccontextmanager
async def api(database_url: str, **settings_: object) -> AsyncIterator[tuple[Harness, Refusing]]:
    clock = VirtualClock(START)
    world = World(SEED)
    xsim = create_xsim(XsimConfig(seed=SEED), clock=clock, world=world)
    upstream = Refusing(XsimTransport(xsim))
    settings = Settings(database_url=database_url, _env_file=None, **settings_)  # type: ignore[arg-type]
    app = create_app(settings, clock=clock, transport=upstream)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://roost.test") as client:
            yield Harness(client, clock, world, client, database_url), upstream


@pytest.mark.parametrize("mode", ["credits", "cap", "down"])
async def test_refusals_upstream_answer_503_saying_what_x_said(database_url: str, mode: str) -> None:
    async with api(database_url) as (h, upstream):
        auth = {"Authorization": f"Bearer {await h.account('a@example.com')}"}
        upstream.mode = mode
        created = await h.client.post("/user-trackers", json={"alias": "osasuna"}, headers=auth)
        looked = await h.client.get("/profiles/twitter/by-name", params={"profileNames": "nasa"}, headers=auth)
        for answer in (created, looked):
            body = answer.json()
            assert answer.status_code == 503, body
            assert body["statusCode"] == 503 and body["extra"]["code"].startswith("upstream_")
            word = {"credits": "402", "cap": "UsageCapExceeded", "down": "could not be reached"}[mode]
            assert word in body["message"], body
        health = (await h.client.get("/healthz")).json()
        if mode == "credits":
            assert health["status"] == "degraded"
            assert [p["kind"] for p in health["upstream"]["paused"]] == ["all"]
            sent = upstream.sent
            again = await h.client.post("/user-trackers", json={"alias": "osasuna"}, headers=auth)
            assert again.status_code == 503 and upstream.sent == sent  # paused: nothing sent until a probe is due


async def test_a_budget_too_small_for_new_trackers_refuses_them_naming_the_cost(database_url: str) -> None:
    async with api(database_url, x_monthly_budget=0.05) as (h, _):
        auth = {"Authorization": f"Bearer {await h.account('b@example.com')}"}
        answer = await h.client.post("/user-trackers/multi", json=[{"alias": "osasuna"}, {"alias": "nasa"}],
                                     headers=auth)  # fmt: skip
        body = answer.json()
        assert answer.status_code == 403, body
        assert body["extra"]["code"] == "x_budget_exceeded"
        assert "$0.05" in body["message"] and "a month" in body["message"]
