"""Build the real API over a real database, with the emulator in-process as its upstream, in virtual time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx

from roost.config import Settings
from roost.core import auth
from roost.core.clock import VirtualClock
from roost.main import create_app
from roost.store import accounts as account_store
from roost.store import tokens as token_store
from roost.store.db import create_engine
from roost.xsim.app import create_app as create_xsim
from roost.xsim.config import XsimConfig
from roost.xsim.transport import XsimTransport
from roost.xsim.world import World

START = 1_795_000_000.0  # 2026-11-19T... a fixed instant, so runs are reproducible
SEED = 2024


@dataclass
class Harness:
    client: httpx.AsyncClient
    clock: VirtualClock
    world: World
    xsim_stats: httpx.AsyncClient
    database_url: str

    async def account(self, email: str, *, slots: int = 10, password: str = "correct horse") -> str:
        """Create an account and return a bearer token for it."""
        engine = create_engine(self.database_url)
        try:
            async with engine.begin() as conn:
                account = await account_store.create_account(
                    conn,
                    email=email,
                    name=email.split("@")[0],
                    password_hash=auth.hash_password(password),
                    tracker_slots=slots,
                    now=int(self.clock.now()),
                )
                token, _ = await token_store.issue_login_token(conn, account_id=account.id, now=int(self.clock.now()))
        finally:
            await engine.dispose()
        return token


@asynccontextmanager
async def harness(
    database_url: str, *, xsim_config: XsimConfig | None = None, **settings_: Any
) -> AsyncIterator[Harness]:
    """`settings_` are Settings fields to set (e.g. login_failures_per_email=3)."""
    clock = VirtualClock(START)
    world = World(SEED)
    xsim = create_xsim(xsim_config or XsimConfig(seed=SEED), clock=clock, world=world)
    settings = Settings(database_url=database_url, _env_file=None, **settings_)  # type: ignore[call-arg]
    app = create_app(settings, clock=clock, transport=XsimTransport(xsim))
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://roost.test") as client,
            httpx.AsyncClient(transport=httpx.ASGITransport(app=xsim), base_url="http://xsim.test") as xsim_client,
        ):
            yield Harness(client=client, clock=clock, world=world, xsim_stats=xsim_client, database_url=database_url)
