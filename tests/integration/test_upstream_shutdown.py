"""`roost serve` and `roost collect` as real processes exit within 5 s of SIGTERM whatever the upstream does:
answering a reached post cap, out of credits (paused, probing), down, or in the middle of a slow backfill."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import update

from roost.core import auth
from roost.core.clock import SystemClock
from roost.services import trackers as tracking
from roost.store import accounts as account_store
from roost.store.db import create_engine, transaction
from roost.store.schema import x_users
from roost.xapi import XClient
from tests.e2e.live import free_port
from tests.integration.failing_upstream import FailingUpstream
from tests.waiting import eventually

ROOT = Path(__file__).resolve().parents[2]


async def seed(database_url: str, upstream: FailingUpstream, names: list[str]) -> None:
    """Trackers of `names`, their users due now (as if their creation bucket had been missed)."""
    clock = SystemClock()
    engine = create_engine(database_url)
    xclient = XClient(base_url=upstream.base_url, tokens=["t"], clock=clock)
    async with transaction(engine) as conn:
        account = await account_store.create_account(
            conn, email="ops@example.com", name="ops", password_hash=auth.hash_password("x"), tracker_slots=50,
            now=int(clock.now()),
        )  # fmt: skip
    outcome = await tracking.create_trackers(
        engine, xclient, account_id=account.id, aliases=names, now=clock.now(), interval=3600
    )
    assert len(outcome.ok) == len(names), outcome.errors
    async with transaction(engine) as conn:
        await conn.execute(update(x_users).values(last_bucket=0))
    await xclient.aclose()
    await engine.dispose()


@pytest.mark.parametrize("command", ["serve", "collect"])
@pytest.mark.parametrize("mode", ["cap", "credits", "down", "slow"])
async def test_sigterm_ends_the_process_within_5_seconds(
    database_url: str, command: str, mode: str, tmp_path: Path
) -> None:
    # Free ports of this run's own: xdist workers run this module's cases side by side.
    UPSTREAM_PORT, SERVE_PORT = free_port(), free_port()
    with FailingUpstream(UPSTREAM_PORT) as upstream:
        await seed(database_url, upstream, [f"acct{i}" for i in range(3)])
        upstream.mode = mode
        upstream.requests.clear()
        env = {k: v for k, v in os.environ.items() if not k.startswith("ROOST_")}
        env |= {
            "ROOST_DATABASE_URL": database_url,
            "ROOST_X_API_BASE": upstream.base_url,
            "ROOST_X_BEARER_TOKEN": "t",
            "ROOST_PORT": str(SERVE_PORT),
        }
        args = ["serve", "--port", str(SERVE_PORT)] if command == "serve" else ["collect"]
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "roost.cli", *args, cwd=tmp_path, env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT,
        )  # fmt: skip
        try:
            # In the thick of it: the collector has asked X for posts (cap, slow) or anything (credits, down).
            wanted = "posts" if mode in ("cap", "slow") else "users"
            await eventually(lambda: upstream.requests[wanted] > 0)
            await asyncio.sleep(0.3)  # the answer taken in: a pause, a retry's wait, a read still in flight
            if command == "serve" and mode in ("cap", "credits"):
                async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{SERVE_PORT}") as client:
                    health: dict[str, Any] = {}

                    async def degraded() -> bool:
                        health.update((await client.get("/healthz")).json())
                        return health["status"] == "degraded"

                    await eventually(degraded, 10)
                assert health["upstream"]["paused"][0]["kind"] == ("posts" if mode == "cap" else "all")
        finally:
            sent = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            output, _ = await asyncio.wait_for(proc.communicate(), timeout=30)
            took = time.monotonic() - sent
        assert took < 5, f"{command} took {took:.1f} s to exit after SIGTERM:\n{output.decode()[-2000:]}"
        if mode == "cap":  # paused within one request: no retry storm
            assert upstream.requests["posts"] == 1, output.decode()[-2000:]
        if mode == "credits":  # one refusal, then nothing until a probe is due (10 minutes)
            assert upstream.requests["users"] + upstream.requests["posts"] == 1, output.decode()[-2000:]
