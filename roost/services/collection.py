"""`roost collect`: a collector worker as a process of its own, stopping cleanly on SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import logging.config
import signal

from roost.collector.runner import Collector
from roost.config import Settings, log_config
from roost.core.clock import SystemClock
from roost.services.backupschedule import run_schedule
from roost.services.upstream import xclient_for
from roost.store.db import create_engine
from roost.store.migrate import upgrade


async def run_collector(settings: Settings) -> None:
    logging.config.dictConfig(log_config())
    clock = SystemClock()
    await upgrade(settings.database_url)
    engine = create_engine(settings.database_url)
    xclient = xclient_for(settings, clock, engine=engine)
    collector = Collector.for_settings(settings, engine=engine, xclient=xclient, clock=clock)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, collector.stop.set)
    backups = asyncio.create_task(run_schedule(settings, clock=clock, stop=collector.stop))  # ROOST_BACKUP_DIR
    try:
        await collector.run()
    finally:
        collector.stop.set()
        await backups
        await xclient.aclose()
        await engine.dispose()
