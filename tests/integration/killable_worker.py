"""A collector worker process for the SIGKILL test: it collects the bucket at a fixed virtual time, and its
upstream hangs (after printing HANGING) on request number `hang_at`, holding that batch's lease until killed.

    python -m tests.integration.killable_worker DATABASE_URL NOW HANG_AT
"""

from __future__ import annotations

import asyncio
import sys

import httpx

from roost.collector.runner import Collector
from roost.config import XSIM_DEFAULT_TOKEN
from roost.core.clock import VirtualClock
from roost.store.db import create_engine
from roost.xapi import XClient
from roost.xsim.app import create_app as create_xsim
from roost.xsim.config import XsimConfig
from roost.xsim.transport import XsimTransport
from tests.integration.collector_helpers import HOUR, SEED


class HangingTransport(httpx.AsyncBaseTransport):
    def __init__(self, inner: httpx.AsyncBaseTransport, hang_at: int) -> None:
        self.inner = inner
        self.hang_at = hang_at
        self.sent = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent += 1
        if self.sent == self.hang_at:
            print("HANGING", flush=True)
            await asyncio.Event().wait()  # until SIGKILL
        return await self.inner.handle_async_request(request)


async def main(database_url: str, now: float, hang_at: int) -> None:
    clock = VirtualClock(now)
    transport = HangingTransport(XsimTransport(create_xsim(XsimConfig(seed=SEED), clock=clock)), hang_at)
    engine = create_engine(database_url)
    xclient = XClient(base_url="http://xsim.local", tokens=[XSIM_DEFAULT_TOKEN], clock=clock, transport=transport)
    collector = Collector(engine=engine, xclient=xclient, clock=clock, interval=HOUR, worker_id="doomed", concurrency=1)
    await collector.run_once()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], float(sys.argv[2]), int(sys.argv[3])))
