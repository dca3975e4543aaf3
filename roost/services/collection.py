"""`roost collect`: a collector worker as a process of its own, stopping cleanly on SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import logging
import signal

from roost.collector.runner import Collector
from roost.config import Settings
from roost.core.clock import SystemClock
from roost.services.upstream import xclient_for
from roost.store.db import create_engine
from roost.store.migrate import upgrade


async def run_collector(settings: Settings) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    clock = SystemClock()
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    xclient = xclient_for(settings, clock, engine=engine)
    collector = Collector.for_settings(settings, engine=engine, xclient=xclient, clock=clock)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, collector.stop.set)
    try:
        await collector.run()
    finally:
        await xclient.aclose()
        await engine.dispose()
