"""What every use case runs against: the settings, the clock, the database engine, the X API clients and the
collector, all built here from the settings (`open_runtime`) and nowhere else.

One `Runtime` per process: the web app's lifespan (`roost.main`) opens one, `roost collect` one, the CLI one per
command, the demo's build and `roost simulate` one each; use cases receive it and build no engine or client of
their own. Tests pass a virtual clock and an in-process emulator transport. The X client is built on first use,
so commands that never call X (accounts, keys, reports) neither build nor announce the emulator. Everything a
runtime built is closed with it.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine

from roost.collector.runner import Collector
from roost.config import Settings
from roost.core import auth
from roost.core.clock import Clock, SystemClock
from roost.core.throttle import SlidingWindow
from roost.services.tokencache import TokenCache
from roost.services.upstream import upstream_transport, xclient_for
from roost.store.db import create_engine
from roost.store.hot import HotReads
from roost.store.migrate import upgrade
from roost.xapi import XClient


class Runtime:
    def __init__(
        self,
        settings: Settings,
        clock: Clock,
        engine: AsyncEngine,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        max_attempts: int = 3,
        max_wait: float = 10.0,
    ) -> None:
        self.settings = settings
        self.clock = clock
        self.engine = engine
        self._transport = transport
        self._transport_built = transport is not None
        self._client_options = {"max_attempts": max_attempts, "max_wait": max_wait}
        self._xclient: XClient | None = None
        self._worker_clients: list[XClient] = []
        self.status: dict[str, str] = {}  # background work operators can see in /healthz (e.g. the demo build)
        # Password checks at once, and failed logins in this process (services.accounts throttles with them).
        self.password_checks = asyncio.Semaphore(auth.KDF_THREADS)
        window = settings.login_failure_window
        self.failed_logins_by_email = SlidingWindow(limit=settings.login_failures_per_email, window=window)
        self.failed_logins_by_address = SlidingWindow(limit=settings.login_failures_per_address, window=window)
        self.tokens = TokenCache()  # resolved bearer tokens (services.accounts.authenticate)
        self.hot = HotReads(engine)  # the stats read and what it keeps (services.reports.owned_stats)

    def now(self) -> int:
        return int(self.clock.now())

    @property
    def interval(self) -> int:
        """Seconds per snapshot bucket."""
        return self.settings.snapshot_interval

    @property
    def upstream(self) -> httpx.AsyncBaseTransport | None:
        """The transport to X (the embedded emulator without a token; None means the network)."""
        if not self._transport_built:
            self._transport = upstream_transport(self.settings, self.clock)
            self._transport_built = True
        return self._transport

    @property
    def xclient(self) -> XClient:
        """The client request-serving use cases call X with: a few attempts, never a long rate-limit wait."""
        if self._xclient is None:
            self._xclient = xclient_for(
                self.settings, self.clock, transport=self.upstream, engine=self.engine, **self._client_options
            )
        return self._xclient

    def worker_xclient(self) -> XClient:
        """A client of its own for background work (a collector, a backfill), which may wait out rate-limit
        windows; closed with the runtime."""
        client = xclient_for(self.settings, self.clock, transport=self.upstream, engine=self.engine)
        self._worker_clients.append(client)
        return client

    def collector(self, worker_id: str | None = None) -> Collector:
        """The collector the settings describe (what `roost serve` and `roost collect` run), on a worker client."""
        collector = Collector.for_settings(
            self.settings, engine=self.engine, xclient=self.worker_xclient(), clock=self.clock
        )
        if worker_id is not None:
            collector.worker_id = worker_id
        return collector

    async def aclose(self) -> None:
        for client in self._worker_clients:
            await client.aclose()
        if self._xclient is not None:
            await self._xclient.aclose()
        await self.hot.aclose()
        await self.engine.dispose()


@asynccontextmanager
async def open_runtime(
    settings: Settings,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    migrate: bool = True,
) -> AsyncIterator[Runtime]:
    """Migrate (unless told not to) and connect; everything is closed on the way out."""
    if migrate:
        await upgrade(settings.database_url)
    runtime = Runtime(settings, clock or SystemClock(), create_engine(settings.database_url), transport=transport)
    try:
        yield runtime
    finally:
        await runtime.aclose()
