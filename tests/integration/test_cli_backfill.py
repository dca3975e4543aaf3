"""`roost backfill ALIAS` against the embedded emulator: a progress bar, the newest posts archived, clear errors."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from roost.cli import app
from roost.config import Settings
from roost.core.clock import SystemClock
from roost.services import trackers as tracking
from roost.store import accounts as account_store
from roost.store.db import create_engine, transaction
from roost.store.migrate import upgrade
from roost.store.schema import tweets
from roost.xapi import XClient
from roost.xsim.app import create_app as create_xsim
from roost.xsim.config import XsimConfig
from roost.xsim.testing import find_user
from roost.xsim.transport import XsimTransport
from roost.xsim.world import World


async def test_backfill_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'roost.db'}"
    for name in ("ROOST_X_BEARER_TOKEN", "ROOST_X_API_BASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ROOST_DATABASE_URL", url)
    monkeypatch.chdir(tmp_path)  # no .env from the working tree
    await upgrade(url)
    engine = create_engine(url)
    clock = SystemClock()
    user = find_user(World(Settings().xsim_seed), clock.now(), min_posts=400)
    async with transaction(engine) as conn:
        account = await account_store.create_account(
            conn, email="op@example.com", name="op", password_hash="x", tracker_slots=2, now=int(clock.now())
        )
    transport = XsimTransport(create_xsim(XsimConfig(seed=Settings().xsim_seed), clock=clock))
    async with XClient(base_url="http://xsim.local", tokens=["xsim-token"], clock=clock, transport=transport) as x:
        outcome = await tracking.create_trackers(
            engine, x, account_id=account.id, aliases=[user.username], now=clock.now(), interval=3600
        )
    assert outcome.ok

    runner = CliRunner()
    started = time.monotonic()
    result = await _invoke(runner, ["backfill", user.username.upper(), "--depth", "250"])
    assert result.exit_code == 0, result.output
    assert "Archived 250 posts" in result.output and "in 3 requests" in result.output
    assert "250/250" in result.output  # the progress bar's last state
    assert time.monotonic() - started < 30
    async with engine.connect() as conn:
        assert (await conn.execute(select(func.count()).select_from(tweets))).scalar_one() == 250
    await engine.dispose()

    missing = await _invoke(runner, ["backfill", "nosuchalias"])
    assert missing.exit_code == 1 and "No tracker follows @nosuchalias" in missing.output


async def _invoke(runner: CliRunner, args: list[str]):  # type: ignore[no-untyped-def]
    """The command runs its own event loop (asyncio.run): give it a thread of its own."""
    import asyncio

    return await asyncio.to_thread(runner.invoke, app, args)
