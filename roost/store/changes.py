"""How a process learns that the data of its hot reads changed, so it may keep their results in memory.

A `ChangeFeed` belongs to an engine. Its `generation` moves whenever the data may have changed:

- after every write transaction this process commits through the engine (`RoostEngine.begin`), so a request
  always reads what an earlier request of the same process wrote;
- on PostgreSQL, on every notification of the database's change triggers (migration 0005: any statement that
  writes `trackers` or `snapshots`, from any process or tool, notifies the `roost_changes` channel when it
  commits). One connection per process LISTENs; the feed is `live` only while it does. A lost or refused
  listening connection makes the feed not live (callers then keep nothing) and moves the generation; it is
  opened again on demand, at most every `RETRY_SECONDS`.

SQLite has no notifications: its hot reads ask the file itself (`PRAGMA data_version`, see `hot.py`).

A result read while the generation was g may be kept only if the generation is still g when the read ends: a
change committed during the read moves it, so an older answer is never kept past a newer commit.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from sqlalchemy.engine import Engine

from roost.store.sql import asyncpg_params

CHANNEL = "roost_changes"
RETRY_SECONDS = 5.0  # how often a lost or refused listening connection is tried again
CONNECT_TIMEOUT = 5.0
APPLICATION_NAME = "roost-changes"  # how the listening connections show in pg_stat_activity


class ChangeFeed:
    def __init__(self, sync_engine: Engine) -> None:
        self.generation = 0
        self._engine = sync_engine
        self._conn: Any = None  # the asyncpg connection that LISTENs, while it does
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._retry_at = 0.0

    def changed(self, *_: object) -> None:
        """The data may have changed (also asyncpg's listener callback)."""
        self.generation += 1

    def live(self) -> bool:
        """Whether changes committed by other processes reach this feed. Starts listening when it does not yet
        (the answer stays False until the listening connection is up). Always False for SQLite."""
        if self._engine.dialect.name != "postgresql":
            return False
        loop = asyncio.get_running_loop()
        if self._conn is not None and self._loop is loop and not self._conn.is_closed():
            return True
        if self._conn is not None:  # closed, or opened on an event loop that is gone
            self._drop()
        if (self._task is None or self._task.done()) and time.monotonic() >= self._retry_at:
            self._task = loop.create_task(self._listen())
        return False

    async def caught_up(self) -> bool:
        """Listen if not yet, then return once the notifications of every commit made before this call have been
        received (one round trip on the listening connection: PostgreSQL sends pending notifications before it
        answers). False when nothing listens (SQLite, a refused or lost connection)."""
        self.live()
        if self._task is not None and not self._task.done():
            await self._task
        if not self.live():
            return False
        try:
            await self._conn.fetchval("SELECT 1")
        except Exception:  # the connection died (asyncpg raises several kinds): it is lost
            self._lost()
            return False
        return True

    async def _listen(self) -> None:
        import asyncpg

        conn = None
        try:
            conn = await asyncpg.connect(**asyncpg_params(self._engine, APPLICATION_NAME), timeout=CONNECT_TIMEOUT)
            await conn.add_listener(CHANNEL, self.changed)
        except Exception:  # refused, unreachable, timed out, or a proxy without LISTEN: try again later
            if conn is not None:
                conn.terminate()
            self._retry_at = time.monotonic() + RETRY_SECONDS
            return
        conn.add_termination_listener(self._lost)
        self._conn, self._loop = conn, asyncio.get_running_loop()
        self.changed()  # what was read before now was not watched

    def _lost(self, *_: object) -> None:
        self._drop()
        self._retry_at = time.monotonic() + RETRY_SECONDS

    def _drop(self) -> None:
        self._conn = self._loop = None
        self.changed()

    async def close(self) -> None:
        """Stop listening (the engine is being disposed)."""
        loop = asyncio.get_running_loop()
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            if task.get_loop() is loop:
                with contextlib.suppress(asyncio.CancelledError):
                    await task
        conn, same_loop = self._conn, self._loop is loop
        if conn is None:
            return
        self._conn = self._loop = None
        try:
            if same_loop and not conn.is_closed():
                await conn.close(timeout=CONNECT_TIMEOUT)
            else:
                conn.terminate()
        except Exception:  # the server or the loop is already gone: nothing is left to close
            conn.terminate()
