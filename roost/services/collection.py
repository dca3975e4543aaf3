"""`roost collect`: a collector worker as a process of its own, stopping cleanly on SIGTERM or Ctrl-C."""

from __future__ import annotations

import asyncio
import logging.config
import signal

from roost.config import Settings, log_config
from roost.services.backupschedule import run_schedule
from roost.services.runtime import open_runtime


async def run_collector(settings: Settings) -> None:
    logging.config.dictConfig(log_config())
    async with open_runtime(settings) as rt:
        collector = rt.collector()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, collector.stop.set)
        backups = asyncio.create_task(run_schedule(settings, clock=rt.clock, stop=collector.stop))  # ROOST_BACKUP_DIR
        try:
            await collector.run()
        finally:
            collector.stop.set()
            await backups
