"""A real Roost server for browser tests and the dashboard bench: uvicorn on a free 127.0.0.1 port in a thread,
a SQLite file, the emulator in-process as upstream, and a `VirtualClock` the test moves.

History is made by running the real collector in virtual time against the same emulator world before (or while)
the server runs, so the dashboard shows what a user of the first run would see.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import uvicorn

from roost.collector.runner import Collector
from roost.config import XSIM_DEFAULT_TOKEN, Settings
from roost.core import auth
from roost.core.clock import VirtualClock
from roost.main import create_app
from roost.services import trackers as tracking
from roost.store import accounts as account_store
from roost.store.db import create_engine, transaction
from roost.store.migrate import upgrade
from roost.xapi import XClient
from roost.xsim.app import create_app as create_xsim
from roost.xsim.config import XsimConfig
from roost.xsim.model import UserState
from roost.xsim.transport import XsimTransport
from roost.xsim.world import World

HOUR = 3600
DAY = 86400
SEED = 2024
NOW = 1_795_000_000 - 1_795_000_000 % HOUR + 600  # 2026-11-19, ten minutes into an hour
EMAIL = "e2e@example.com"
PASSWORD = "correct horse battery"
CHROMIUM = os.environ.get("ROOST_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "e2e"
T = TypeVar("T")


def log_in(page: Any, *, password: str = PASSWORD) -> None:
    """Fill in and send the login form `page` shows (the e2e account's email); with the right password, wait for
    the trackers page."""
    page.fill("input[name=email]", EMAIL)
    page.fill("input[name=password]", password)
    page.click("button[type=submit]")
    if password == PASSWORD:
        page.wait_for_url("**/dashboard")


def signed_in(browser: Any, live: Live, **options: Any) -> Any:
    """A new browser context (Playwright's `new_context` options) logged in as the e2e account."""
    ctx = browser.new_context(**options)
    page = ctx.new_page()
    page.goto(live.url + "/dashboard/login")
    log_in(page)
    page.close()
    return ctx


def shot(page: Any, name: str) -> None:
    """A full-page screenshot in test-artifacts/e2e/."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def run_async(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine to completion on a fresh loop in a helper thread (Playwright's sync API owns this thread's
    loop, so asyncio.run cannot be called here)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(coro)
        except BaseException as exc:
            box["error"] = exc

    thread = threading.Thread(target=target, name="roost-e2e-async")
    thread.start()
    thread.join()
    if "error" in box:
        raise box["error"]
    value: T = box["value"]
    return value


def _quiet(world: World, index: int, start: float) -> UserState | None:
    """The index-th catalogue account as it is at `start` when it exists and is active from then on, with no
    suspension, rename or deletion, and more than 200 followers; else None."""
    user_id = world.catalogue_id(index)
    e = world.events(user_id)
    if e is None or not e.exists or e.created_at > start - DAY:
        return None
    if e.suspensions or e.protected_from or e.deleted_at or e.rename:
        return None
    state = world.user(user_id, start)
    return state if state is not None and state.status == "active" and state.followers_count > 200 else None


def quiet_names(world: World, n: int, start: float, offset: int = 0) -> list[str]:
    """Catalogue accounts that exist and are active from `start` on, with no suspension, rename or deletion."""
    found: list[str] = []
    i = offset
    while len(found) < n:
        state = _quiet(world, i, start)
        i += 1
        if state is not None:
            found.append(state.username)
    return found


@dataclass
class Live:
    url: str
    database_url: str
    clock: VirtualClock
    world: World
    transport: XsimTransport
    status: dict[str, str]  # the running app's background status (what /healthz and the build banner show)

    def collect(self, until: float, *, timeline: bool = False) -> None:
        """Run the real collector (its own engine and client) until the clock reaches `until`."""
        run_async(self._collect(until, timeline))

    async def _collect(self, until: float, timeline: bool) -> None:
        engine = create_engine(self.database_url)
        xclient = XClient(
            base_url="http://xsim.local", tokens=[XSIM_DEFAULT_TOKEN], clock=self.clock, transport=self.transport
        )
        try:
            collector = Collector(
                engine=engine, xclient=xclient, clock=self.clock, interval=HOUR, worker_id="e2e", timeline=timeline
            )
            await collector.run(until=until)
        finally:
            await xclient.aclose()
            await engine.dispose()

    def track(self, names: list[str]) -> list[str]:
        return run_async(self._track(names))

    async def _track(self, names: list[str]) -> list[str]:
        engine = create_engine(self.database_url)
        xclient = XClient(
            base_url="http://xsim.local", tokens=[XSIM_DEFAULT_TOKEN], clock=self.clock, transport=self.transport
        )
        try:
            async with engine.connect() as conn:
                account = await account_store.get_account_by_email(conn, email=EMAIL)
            assert account is not None
            outcome = await tracking.create_trackers(
                engine, xclient, account_id=account.id, aliases=names, now=self.clock.now(), interval=HOUR
            )
            assert not outcome.errors, outcome.errors
            return [item["resourceId"] for item in outcome.ok]
        finally:
            await xclient.aclose()
            await engine.dispose()


async def _prepare(database_url: str, now: float, slots: int, account: bool) -> None:
    await upgrade(database_url)
    if not account:
        return
    engine = create_engine(database_url)
    try:
        async with transaction(engine) as conn:
            await account_store.create_account(
                conn,
                email=EMAIL,
                name="e2e",
                password_hash=auth.hash_password(PASSWORD),
                tracker_slots=slots,
                now=int(now),
            )
    finally:
        await engine.dispose()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@contextmanager
def live_server(directory: Path, *, start: float, slots: int = 10, account: bool = True) -> Iterator[Live]:
    """Migrate a fresh SQLite file, create the e2e account (unless not `account`: a first run's empty database),
    then serve the app until the block ends."""
    database_url = f"sqlite+aiosqlite:///{directory / 'roost.db'}"
    clock = VirtualClock(start)
    world = World(SEED)
    transport = XsimTransport(create_xsim(XsimConfig(seed=SEED), clock=clock, world=world))
    run_async(_prepare(database_url, start, slots, account))
    settings = Settings(database_url=database_url, _env_file=None)  # type: ignore[call-arg]
    app = create_app(settings, clock=clock, transport=transport, migrate=False)
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, name="roost-e2e-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:  # readiness polling of a real socket server, not a wait for time to pass
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the e2e server did not start")
        time.sleep(0.02)
    try:
        status = app.state.runtime.status
        yield Live(f"http://127.0.0.1:{port}", database_url, clock, world, transport, status)
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def sized_names(world: World, targets: list[int], start: float, scan: int = 3000) -> list[str]:
    """For each follower count in `targets`, the quiet catalogue account whose count at `start` is closest."""
    found = [(s.followers_count, s.username) for i in range(scan) if (s := _quiet(world, i, start)) is not None]
    picked: list[str] = []
    for target in targets:
        _, name = min((c for c in found if c[1] not in picked), key=lambda c: abs(c[0] - target))
        picked.append(name)
    return picked
