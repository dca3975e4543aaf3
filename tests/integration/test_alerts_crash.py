"""An event survives `kill -9` of the collector between its commit and its delivery, and is delivered once after a
restart, under the same idempotency key. Real processes: `roost xsim`, `roost collect` (twice), a webhook receiver
that verifies Standard Webhooks signatures; on both databases."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import Awaitable
from pathlib import Path

import httpx
import pytest
from sqlalchemy import func, select, update

from roost.config import XSIM_DEFAULT_TOKEN, Settings
from roost.core import auth
from roost.core.clock import SystemClock
from roost.services import alerts
from roost.services import trackers as tracking
from roost.services.runtime import Runtime
from roost.store import accounts as account_store
from roost.store.alert_schema import alert_attempts, alert_deliveries, alert_events
from roost.store.db import create_engine, transaction
from roost.store.schema import x_users
from roost.xapi import XClient
from roost.xsim.testing import find_user
from roost.xsim.world import World
from tests.e2e.live import free_port
from tests.integration.alert_receivers import webhook_receiver
from tests.waiting import eventually

# Fixed ports: every module that binds one runs on the same xdist worker, one test at a time.
pytestmark = pytest.mark.xdist_group("fixed-ports")

ROOT = Path(__file__).resolve().parents[2]


async def scalar(url: str, query: object) -> object:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(query)).scalar_one()  # type: ignore[call-overload]
    finally:
        await engine.dispose()


def spawn(*args: str, env: dict[str, str]) -> Awaitable[asyncio.subprocess.Process]:
    return asyncio.create_subprocess_exec(
        sys.executable, "-m", "roost.cli", *args, cwd=ROOT, env=env,
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def test_an_event_survives_kill_9_and_is_delivered_once_after_restart(database_url: str) -> None:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ROOST_")}
    # Ports of this case's own: the previous case's emulator may still hold its port while it exits, and an
    # emulator found there would carry that case's scripted suspension.
    XSIM_PORT, HOOK_PORT = free_port(), free_port()
    xsim = await spawn("xsim", "--port", str(XSIM_PORT), env=base)
    xsim_url = f"http://127.0.0.1:{XSIM_PORT}"
    collectors: list[asyncio.subprocess.Process] = []
    try:
        async with httpx.AsyncClient(base_url=xsim_url) as admin:

            async def xsim_up() -> bool:
                try:
                    return (await admin.get("/xsim/admin/clock")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(xsim_up, 90, 0.2)
            now = (await admin.get("/xsim/admin/clock")).json()["now"]
            world = World(2024)
            names = [find_user(world, now, min_posts=5, start=s).username for s in (0, 300)]

            clock = SystemClock()
            engine = create_engine(database_url)
            xclient = XClient(base_url=xsim_url, tokens=[XSIM_DEFAULT_TOKEN], clock=clock)
            async with transaction(engine) as conn:
                account = await account_store.create_account(
                    conn, email="crash@example.com", name="c", password_hash=auth.hash_password("x"),
                    tracker_slots=5, now=int(now),
                )  # fmt: skip
            created = await tracking.create_trackers(
                engine, xclient, account_id=account.id, aliases=names, now=clock.now(), interval=3600
            )
            assert len(created.ok) == 2
            await xclient.aclose()
            settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
            runtime = Runtime(settings, clock, engine)
            with webhook_receiver(HOOK_PORT, hang_first=True) as receiver:
                hook = await alerts.add_channel(runtime, account, url=receiver.url)
                receiver.secret = hook.secret or ""
                await alerts.add_rule(runtime, account, kind="state", tracker=None, tag=None, options={})
                async with transaction(engine) as conn:  # due now, as if the creation bucket had been missed
                    await conn.execute(update(x_users).values(last_bucket=0))
                await engine.dispose()
                r = await admin.post("/xsim/admin/events", json={"kind": "suspend", "username": names[1]})
                assert r.status_code == 201

                env = base | {
                    "ROOST_DATABASE_URL": database_url, "ROOST_X_API_BASE": xsim_url,
                    "ROOST_X_BEARER_TOKEN": XSIM_DEFAULT_TOKEN, "ROOST_TIMELINE": "false",
                    "ROOST_ALERT_LEASE_SECONDS": "2",
                }  # fmt: skip
                collectors.append(await spawn("collect", env=env))
                # The suspension's event is committed with the lookup; its delivery is in flight when we kill.
                await eventually(lambda: asyncio.to_thread(receiver.got_first.wait, 0.1), 90, 0.2)
                assert await scalar(database_url, select(func.count()).select_from(alert_events)) == 1
                collectors[0].send_signal(signal.SIGKILL)
                await collectors[0].wait()
                receiver.release.set()
                assert await scalar(database_url, select(alert_deliveries.c.status)) == "pending"

                collectors.append(await spawn("collect", env=env))

                async def delivered() -> bool:
                    return await scalar(database_url, select(alert_deliveries.c.status)) == "delivered"

                await eventually(delivered, 90, 0.2)
                assert len(receiver.requests) == 2 and receiver.requests[0] == receiver.requests[1]  # one key
                assert len(receiver.accepted) == 1 and receiver.bad_signatures == 0
                payload = next(iter(receiver.accepted.values()))
                assert payload["type"] == "alert.state" and "suspended" in payload["data"]["title"]
                # The killed attempt was never recorded; the one after the restart was. No second event either.
                assert await scalar(database_url, select(func.count()).select_from(alert_attempts)) == 1
                assert await scalar(database_url, select(func.count()).select_from(alert_events)) == 1
    finally:
        for proc in [*collectors, xsim]:
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
                await asyncio.wait_for(proc.wait(), timeout=30)
