"""The FastAPI application: `create_app(settings)` wires the store, the X API client and the routers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from roost import __version__
from roost.api.errors import install_error_handlers
from roost.api.responses import JSONResponse
from roost.clock import Clock, SystemClock
from roost.collector.runner import Collector
from roost.config import Settings
from roost.store.db import create_engine
from roost.store.migrate import upgrade
from roost.upstream import upstream_transport, xclient_for
from roost.xapi import XClient


@dataclass
class Services:
    """What request handlers need, built once per app (stored on app.state.services)."""

    settings: Settings
    clock: Clock
    engine: AsyncEngine
    xclient: XClient


async def announce_demo(settings: Settings, engine: AsyncEngine, clock: Clock) -> None:
    """First run on the emulator: make the demo account (see roost.demo) and tell the user how to log in."""
    from roost.demo import ensure_demo

    login = await ensure_demo(settings, engine, now=clock.now())
    if login is None:
        return
    base = f"http://{settings.host}:{settings.port}"
    print(
        f"\n  Roost is ready with a demo account (simulated data from the built-in X API emulator).\n"
        f"  Dashboard: {base}/dashboard   email: {login.email}   password: {login.password}\n"
        f"  API:       curl -s {base}/authorize/email/login -H 'Content-Type: application/json' "
        f"""-d '{{"email": "{login.email}", "password": "{login.password}"}}'\n""",
        flush=True,
    )


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    migrate: bool = True,
    collector: bool = False,
) -> FastAPI:
    """The API. With `collector`, a collector worker runs in the same process (what `roost serve` does)."""
    settings = settings or Settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        if migrate:
            await upgrade(settings.database_url)
        engine = create_engine(settings.database_url)
        upstream = transport or upstream_transport(settings, clock)
        # An API request never waits out a 15-minute window.
        xclient = xclient_for(settings, clock, transport=upstream, max_attempts=3, max_wait=10.0)
        app.state.services = Services(settings=settings, clock=clock, engine=engine, xclient=xclient)
        if settings.demo and settings.uses_embedded_emulator and transport is None:
            await announce_demo(settings, engine, clock)
        worker: Collector | None = None
        task: asyncio.Task[None] | None = None
        if collector:
            worker = Collector.for_settings(
                settings, engine=engine, xclient=xclient_for(settings, clock, transport=upstream), clock=clock
            )
            task = asyncio.create_task(worker.run())
        try:
            yield
        finally:
            if worker is not None and task is not None:
                worker.stop.set()
                await task
                await worker.xclient.aclose()
            await xclient.aclose()
            await engine.dispose()

    app = FastAPI(
        title="Roost",
        version=__version__,
        description="Tweet Binder-compatible User Trackers API, with Roost's extensions.",
        default_response_class=JSONResponse,
        lifespan=lifespan,
    )
    install_error_handlers(app)
    from roost.api.routes import accounts, growth, health, tags, timeline, trackers

    app.include_router(health.router)
    app.include_router(accounts.router)
    app.include_router(tags.router)  # before trackers: /user-trackers/tags must not match /{resourceId}
    app.include_router(growth.router)  # before trackers too: /user-trackers/compare is not a resourceId
    app.include_router(timeline.router)
    app.include_router(trackers.router)
    from roost.web.views import mount_dashboard

    mount_dashboard(app)  # /dashboard pages, /static files, / redirects to the dashboard
    return app
