"""Scripted events through the admin API of a real `roost xsim` process (real HTTP, virtual clock): a burst, a
suspension, a protection, a rename and a deletion show in lookups and timelines from their instant on."""

from __future__ import annotations

import asyncio
import os
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from roost.xsim.testing import START, find_user
from roost.xsim.world import World

# Fixed ports: every module that binds one runs on the same xdist worker, one test at a time.
pytestmark = pytest.mark.xdist_group("fixed-ports")

ROOT = Path(__file__).resolve().parents[2]
PORT = 18711
HOUR = 3600


@pytest.fixture
async def xsim_url() -> AsyncIterator[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOST_")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "roost.cli", "xsim", "--virtual", "--port", str(PORT), "--start", str(int(START)),
        cwd=ROOT, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{PORT}"
    try:
        deadline = time.monotonic() + 60
        async with httpx.AsyncClient() as client:
            while True:
                try:
                    if (await client.get(f"{url}/xsim/admin/clock")).status_code == 200:
                        break
                except httpx.TransportError:
                    if time.monotonic() > deadline:
                        raise
                await asyncio.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        await asyncio.wait_for(proc.wait(), timeout=30)


async def test_scripted_events_show_in_lookups_and_timelines(xsim_url: str) -> None:
    world = World(2024)
    a, b, c, d = (find_user(world, START, min_posts=5, start=s).username for s in (0, 200, 400, 600))
    headers = {"Authorization": "Bearer xsim-token"}
    async with httpx.AsyncClient(base_url=xsim_url, headers=headers) as x:

        async def lookup(name: str) -> dict[str, object]:
            r = await x.get(f"/2/users/by/username/{name}", params={"user.fields": "public_metrics,protected"})
            return dict(r.json())

        async def advance(seconds: int) -> None:
            assert (await x.post("/xsim/admin/clock", json={"advance": seconds})).status_code == 200

        before = await lookup(a)
        user_a = before["data"]["id"]  # type: ignore[index]
        events = [
            {"kind": "burst", "username": a, "at": START + HOUR, "followers": 5000, "hours": 2},
            {"kind": "suspend", "username": b, "at": START + HOUR, "until": START + 5 * HOUR},
            {"kind": "protect", "username": c, "at": START + HOUR},
            {"kind": "rename", "username": d, "at": START + HOUR, "new_name": "Renamed_D1"},
        ]
        for event in events:
            r = await x.post("/xsim/admin/events", json=event)
            assert r.status_code == 201, r.text
        assert [e["kind"] for e in (await x.get("/xsim/admin/events")).json()["events"]] == [
            "burst", "suspend", "protect", "rename",
        ]  # fmt: skip

        # Nothing changes before the events' instant.
        assert (await lookup(b))["data"]["id"]  # type: ignore[index]
        assert (await lookup(c))["data"]["protected"] is False  # type: ignore[index]

        await advance(3 * HOUR)  # two hours past the events: the burst is complete
        after = await lookup(a)
        unscripted = world.user(int(user_a), START + 3 * HOUR)  # type: ignore[call-overload]
        assert unscripted is not None
        assert after["data"]["public_metrics"]["followers_count"] == unscripted.followers_count + 5000  # type: ignore[index]
        suspended = await lookup(b)
        assert "data" not in suspended and suspended["errors"][0]["title"] == "Forbidden"  # type: ignore[index]
        assert (await lookup(c))["data"]["protected"] is True  # type: ignore[index]
        c_id = (await lookup(c))["data"]["id"]  # type: ignore[index]
        timeline = (await x.get(f"/2/users/{c_id}/tweets")).json()
        assert "data" not in timeline and timeline["errors"][0]["title"] == "Authorization Error"
        assert "errors" in await lookup(d)  # the old name no longer resolves
        renamed = await lookup("renamed_d1")
        assert renamed["data"]["username"] == "renamed_d1"  # type: ignore[index]
        by_id = (await x.get("/2/users", params={"ids": renamed["data"]["id"]})).json()  # type: ignore[index]
        assert by_id["data"][0]["username"] == "renamed_d1"

        await advance(3 * HOUR)  # the suspension ended
        assert (await lookup(b))["data"]["username"].lower() == b.lower()  # type: ignore[index]

        r = await x.post("/xsim/admin/events", json={"kind": "delete", "id": user_a})
        assert r.status_code == 201
        assert "errors" in await lookup(a)
        assert "errors" in (await x.get("/2/users", params={"ids": user_a})).json()

        # Bad input is refused with the field named; nothing is added.
        for bad, word in [
            ({"kind": "explode", "username": a}, "kind"),
            ({"kind": "burst", "username": c}, "followers"),
            ({"kind": "suspend"}, "username"),
            ({"kind": "suspend", "username": c, "until": START}, "until"),
            ({"kind": "rename", "username": c, "new_name": "bad name!"}, "new_name"),
            ({"kind": "burst", "username": c, "followers": 1, "colour": "red"}, "colour"),
        ]:
            r = await x.post("/xsim/admin/events", json=bad)
            assert r.status_code == 400 and word in r.json()["detail"], (bad, r.text)
        r = await x.post("/xsim/admin/events", json={"kind": "protect", "username": "nosuchname0"})
        assert r.status_code in (201, 404)  # every valid name may exist in the world; the answer is never a 500
        assert (await x.delete("/xsim/admin/events")).json() == {"events": []}
        assert (await lookup(c))["data"]["protected"] is False  # type: ignore[index]
