"""The admin API (clock, faults, limits, stats) and the injected faults, in-process."""

from __future__ import annotations

import httpx
import pytest

from roost.core.clock import SystemClock, VirtualClock
from roost.xsim.config import Faults, XsimConfig
from roost.xsim.testing import START, Xsim, find_user, xsim
from roost.xsim.world import World


@pytest.fixture(scope="module")
def world() -> World:
    return World(2024)


@pytest.fixture(scope="module")
def name(world: World) -> str:
    return find_user(world, START, min_posts=5).username


async def statuses(x: Xsim, name: str, n: int) -> list[int]:
    out = []
    for _ in range(n):
        try:
            out.append((await x.get(f"/2/users/by/username/{name}")).status_code)
        except httpx.RemoteProtocolError:
            out.append(0)
    return out


async def test_the_virtual_clock_moves_through_the_admin_api(world: World) -> None:
    clock = VirtualClock(START)
    async with xsim(world=world, clock=clock) as x:
        assert (await x.get("/xsim/admin/clock")).json() == {"now": START, "virtual": True}
        moved = await x.client.post("/xsim/admin/clock", json={"advance": 3600})
        assert moved.json() == {"now": START + 3600, "virtual": True} and clock.now() == START + 3600
        assert (await x.client.post("/xsim/admin/clock", json={"set": START + 7200})).json()["now"] == START + 7200
        backwards = await x.client.post("/xsim/admin/clock", json={"set": START})
        assert backwards.status_code == 400
        assert (await x.client.post("/xsim/admin/clock", json={"advance": 1, "set": 2})).status_code == 400
        assert (await x.client.post("/xsim/admin/clock", content=b"not json")).status_code == 400


async def test_a_real_clock_cannot_be_moved(world: World) -> None:
    async with xsim(world=world, clock=SystemClock()) as x:
        assert (await x.get("/xsim/admin/clock")).json()["virtual"] is False
        response = await x.client.post("/xsim/admin/clock", json={"advance": 60})
    assert response.status_code == 409
    assert response.json()["title"] == "Conflict"


async def test_faults_are_read_and_set_live(world: World, name: str) -> None:
    config = XsimConfig()
    async with xsim(config, world=world) as x:
        assert (await x.get("/xsim/admin/faults")).json() == {
            "error_rate": 0.0,
            "hidden_429_rate": 0.0,
            "slow_rate": 0.0,
            "drop_rate": 0.0,
            "slow_seconds": 5.0,
            "seed": 0,
        }
        put = await x.client.put("/xsim/admin/faults", json={"error_rate": 1.0})
        assert put.status_code == 200 and put.json()["error_rate"] == 1.0
        assert config.faults.error_rate == 1.0
        assert await statuses(x, name, 3) == [503, 503, 503]
        for bad in ({"error_rate": 2}, {"nope": 1}, {"slow_seconds": -1}, {"drop_rate": "x"}):
            response = await x.client.put("/xsim/admin/faults", json=bad)
            assert response.status_code == 400, bad
        assert config.faults.error_rate == 1.0  # a refused update changes nothing
        config.faults.error_rate = 0.0  # tests may also change the object itself
        assert await statuses(x, name, 2) == [200, 200]


async def test_faults_are_deterministic_for_a_seed(world: World, name: str) -> None:
    shares = {"error_rate": 0.2, "hidden_429_rate": 0.2, "drop_rate": 0.1}
    runs = []
    for seed in (7, 7, 8):
        async with xsim(XsimConfig(faults=Faults(seed=seed, **shares)), world=world) as x:
            runs.append(await statuses(x, name, 200))
    assert runs[0] == runs[1]
    assert runs[0] != runs[2]
    counts = {code: runs[0].count(code) for code in (0, 200, 429, 503)}
    assert 8 <= counts[0] <= 35 and 20 <= counts[503] <= 60 and 15 <= counts[429] <= 50
    assert counts[200] == 200 - counts[0] - counts[429] - counts[503]


async def test_hidden_429_leaves_room_in_the_window(world: World, name: str) -> None:
    async with xsim(XsimConfig(faults=Faults(hidden_429_rate=1.0)), world=world) as x:
        response = await x.get(f"/2/users/by/username/{name}")
        stats = x.app.state.stats
    assert response.status_code == 429
    assert response.json()["title"] == "Too Many Requests"
    assert int(response.headers["x-rate-limit-remaining"]) > 0
    assert stats["hidden_429"] == 1 and stats.get("budget_429", 0) == 0


async def test_slow_answers_take_clock_time(world: World, name: str) -> None:
    clock = VirtualClock(START)
    async with xsim(XsimConfig(faults=Faults(slow_rate=1.0, slow_seconds=20)), world=world, clock=clock) as x:
        response = await x.get(f"/2/users/by/username/{name}")
    assert response.status_code == 200
    assert clock.now() == START + 20


async def test_a_dropped_connection_is_a_transport_error_in_process(world: World, name: str) -> None:
    async with xsim(XsimConfig(faults=Faults(drop_rate=1.0)), world=world) as x:
        with pytest.raises(httpx.RemoteProtocolError):
            await x.get(f"/2/users/by/username/{name}")
        assert x.app.state.stats["drop"] == 1
        x.config.faults.drop_rate = 0.0
        assert (await x.get(f"/2/users/by/username/{name}")).status_code == 200


async def test_limits_admin_and_reset(world: World, name: str) -> None:
    async with xsim(world=world) as x:
        put = await x.client.put("/xsim/admin/limits", json={"limits": {"user-by-username": 1}, "window_seconds": 60})
        assert put.json()["limits"]["GET /2/users/by/username/:username"] == 1
        assert put.json()["window_seconds"] == 60
        assert await statuses(x, name, 2) == [200, 429]
        assert (await x.client.post("/xsim/admin/reset-limits")).json() == {"reset": True}
        first = await x.get(f"/2/users/by/username/{name}")
        assert first.status_code == 200 and first.headers["x-rate-limit-reset"] == str(int(START) + 60)
        assert (await x.client.put("/xsim/admin/limits", json={"limits": {"nowhere": 1}})).status_code == 400
        assert (await x.get("/xsim/admin/limits")).json()["limits"]["GET /2/users/:id/tweets"] == 1500


async def test_stats_count_requests_by_endpoint_and_status(world: World, name: str) -> None:
    async with xsim(world=world) as x:
        await x.get(f"/2/users/by/username/{name}")
        await x.get("/2/users/by/username/bad-name!")
        await x.get("/2/nowhere")
        await x.client.get("/2/users", params={"ids": "1"}, headers={"Authorization": "Bearer nope"})
        stats = (await x.get("/xsim/admin/stats")).json()
    assert stats["requests"] == 3
    assert stats["unauthorized"] == 1
    assert stats["by_endpoint"] == {
        "GET /2/users/by/username/:username": {"200": 1, "400": 1},
        "GET /2/users": {"401": 1},
        "unrouted": {"404": 1},
    }
