"""`roost collect` as a real process: it collects what is due, beats a heartbeat that /healthz reports, and stops
cleanly on SIGTERM."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import httpx
from sqlalchemy import func, select, update

from roost.config import XSIM_DEFAULT_TOKEN, Settings
from roost.core import auth
from roost.core.clock import SystemClock
from roost.main import create_app
from roost.services import trackers as tracking
from roost.services.demo import DEMO_ACCOUNTS
from roost.store import accounts as account_store
from roost.store.db import create_engine, transaction
from roost.store.schema import collector_heartbeats, snapshots, x_users
from roost.xapi import XClient
from roost.xsim.app import create_app as create_xsim
from roost.xsim.config import XsimConfig
from roost.xsim.transport import XsimTransport
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]


async def count(url: str, table: object) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int((await conn.execute(select(func.count()).select_from(table))).scalar_one())  # type: ignore[arg-type]
    finally:
        await engine.dispose()


async def test_roost_collect_collects_beats_and_stops_on_sigterm(database_url: str) -> None:
    clock = SystemClock()
    engine = create_engine(database_url)
    xclient = XClient(
        base_url="http://xsim.local",
        tokens=[XSIM_DEFAULT_TOKEN],
        clock=clock,
        transport=XsimTransport(create_xsim(XsimConfig(seed=2024), clock=clock)),
    )
    async with transaction(engine) as conn:
        account = await account_store.create_account(
            conn, email="ops@example.com", name="ops", password_hash=auth.hash_password("x"), tracker_slots=5,
            now=int(clock.now()),
        )  # fmt: skip
    outcome = await tracking.create_trackers(
        engine, xclient, account_id=account.id, aliases=list(DEMO_ACCOUNTS), now=clock.now(), interval=3600
    )
    assert len(outcome.ok) == 4
    async with transaction(engine) as conn:  # as if the creation bucket had been missed: due right now
        await conn.execute(update(x_users).values(last_bucket=0))
    await xclient.aclose()
    await engine.dispose()
    before = await count(database_url, snapshots)

    env = {k: v for k, v in os.environ.items() if not k.startswith("ROOST_")}
    env |= {"ROOST_DATABASE_URL": database_url, "ROOST_TIMELINE": "false"}
    worker = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "roost.cli", "collect", cwd=ROOT, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
    )  # fmt: skip
    try:
        await eventually(lambda: _has_heartbeat(database_url), 60, 0.2)
        # The four users were due, so their snapshots of this bucket are refreshed in place: no new row.
        assert await count(database_url, snapshots) == before
        engine = create_engine(database_url)
        async with engine.connect() as conn:
            buckets = (await conn.execute(select(x_users.c.last_bucket))).scalars().all()
        await engine.dispose()
        assert all(b > 0 for b in buckets)

        settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
        app = create_app(settings, transport=XsimTransport(create_xsim(XsimConfig(seed=2024), clock=clock)))
        transport = httpx.ASGITransport(app=app)
        async with app.router.lifespan_context(app), httpx.AsyncClient(transport=transport, base_url="http://r") as c:
            health = (await c.get("/healthz")).json()
        assert health["status"] == "ok"
        assert health["collector"]["heartbeatAge"] is not None and health["collector"]["heartbeatAge"] < 60
        assert health["collector"]["worker"].endswith(f":{worker.pid}")
    finally:
        worker.send_signal(signal.SIGTERM)
        output, _ = await asyncio.wait_for(worker.communicate(), timeout=30)
    assert worker.returncode == 0, output.decode()
    assert b"stopped" in output


async def _has_heartbeat(url: str) -> bool:
    return await count(url, collector_heartbeats) > 0
