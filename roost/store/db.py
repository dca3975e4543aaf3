"""Engines and transactions for SQLite (a file, WAL) and PostgreSQL (asyncpg).

One rule for both databases: `transaction(engine)` is a write transaction, all or nothing; `engine.connect()`
(or `connect(engine)`) is for reading. Roost's code says `transaction(engine)`; `engine.begin()` on a
`RoostEngine` is the same thing, so the idiom stays safe where it is typed out of habit (tests, scripts).

SQLite needs care to stay correct under concurrent writers. We take BEGIN over from the sqlite3 module (SQLAlchemy's
documented recipe) so that a write transaction starts with `BEGIN IMMEDIATE`: it takes the single write lock up
front and queues on `busy_timeout` behind other writers. A plain deferred transaction that reads and then writes
would instead fail at once with "database is locked" (SQLITE_BUSY_SNAPSHOT) when another writer committed in
between, which no timeout can cure. Reads stay deferred, so in WAL mode they never wait for writers.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import URL, Connection, Engine, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from roost.store.changes import ChangeFeed
from roost.store.sql import PG_SERVER_SETTINGS

SQLITE_BUSY_TIMEOUT_MS = 30_000
_WRITE = "roost_write"  # execution option: this connection's next BEGIN is a write transaction


def normalize_url(url: str | URL) -> URL:
    """Accept the plain forms people type (postgresql://, postgres://, sqlite:///) and pick the async drivers."""
    parsed = make_url(url)
    if parsed.drivername in ("postgresql", "postgres", "postgresql+psycopg2", "postgresql+psycopg"):
        parsed = parsed.set(drivername="postgresql+asyncpg")
    elif parsed.drivername in ("sqlite", "sqlite+pysqlite"):
        parsed = parsed.set(drivername="sqlite+aiosqlite")
    return parsed


class RoostEngine(AsyncEngine):
    """An AsyncEngine whose `begin()` opens a write transaction (BEGIN IMMEDIATE on SQLite).

    So the idiom everybody reaches for, `async with engine.begin() as conn`, is the safe one on SQLite too. On
    SQLite, writers of this process also take turns on an asyncio lock (first come, first served) before they
    BEGIN: only one can write at a time anyway, and waiting on the lock costs nothing, where SQLite's busy
    handler polls with sleeps of up to 100 ms. The busy timeout still orders writers of other processes.
    Do not open a write transaction while holding another on the same engine: the inner one would wait for
    the outer forever (on SQLite it fails after the busy timeout instead).
    """

    __slots__ = ("_writer", "changes")

    def __init__(self, sync_engine: Engine) -> None:
        super().__init__(sync_engine)
        self._writer = asyncio.Lock() if sync_engine.dialect.name == "sqlite" else None
        self.changes = ChangeFeed(sync_engine)  # moved after each commit below; see changes.py

    @asynccontextmanager
    async def _turn(self) -> AsyncIterator[None]:
        if self._writer is None:
            yield
            return
        async with asyncio.timeout(SQLITE_BUSY_TIMEOUT_MS / 1000):
            await self._writer.acquire()
        try:
            yield
        finally:
            self._writer.release()

    @asynccontextmanager
    async def begin(self) -> AsyncIterator[AsyncConnection]:
        async with self._turn(), self.connect() as conn:
            await conn.execution_options(**{_WRITE: True})
            async with conn.begin():
                yield conn
        self.changes.changed()  # committed: results read before it must not be kept

    async def dispose(self, close: bool = True) -> None:
        await self.changes.close()
        await super().dispose(close)


def create_engine(url: str | URL, *, foreign_keys: bool = True, **kwargs: Any) -> RoostEngine:
    """An engine for `url`. SQLite: the file's directory is created, WAL, foreign keys on, writers queue.

    `foreign_keys=False` is for migrations only: SQLite's batch mode rebuilds tables by copying them, which
    enforced foreign keys would break (the migration runner checks them afterwards instead).
    """
    parsed = normalize_url(url)
    if parsed.get_backend_name() != "sqlite":
        # Enough kept-open connections for 32 concurrent requests (one connection each) without opening and
        # closing overflow connections under load; at most 40 per process, as before. No pre-ping: asyncpg's
        # costs three round trips per checkout (BEGIN, a ping, ROLLBACK), more than a stats read. A connection
        # the server dropped fails one statement, and SQLAlchemy then discards every older pooled connection;
        # connections are also recycled hourly.
        kwargs.setdefault("pool_size", 20)
        kwargs.setdefault("max_overflow", 20)
        kwargs.setdefault("pool_recycle", 3600)
        connect_args = kwargs.setdefault("connect_args", {})
        connect_args["server_settings"] = {**PG_SERVER_SETTINGS, **connect_args.get("server_settings", {})}
        return RoostEngine(create_async_engine(parsed, **kwargs).sync_engine)
    if parsed.database and parsed.database != ":memory:" and not parsed.database.startswith("file:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    # 32 concurrent requests hold one connection each: keep that many open (an overflow connection is an aiosqlite
    # thread started and stopped per request). Returning one rolls back only when a transaction is open (see
    # _sqlite_setup): the unconditional rollback was a thread hop per request.
    kwargs.setdefault("pool_size", 32)
    kwargs.setdefault("max_overflow", 18)
    kwargs.setdefault("pool_reset_on_return", None)
    engine = RoostEngine(create_async_engine(parsed, **kwargs).sync_engine)
    _sqlite_setup(engine, foreign_keys=foreign_keys)
    return engine


def _use_wal(cursor: Any) -> None:
    """Switch the file to WAL once (the mode persists in the file). Processes opening a new file together race
    for the switch, and SQLite answers the loser "database is locked" without waiting: retry briefly."""
    for attempt in range(100):
        cursor.execute("PRAGMA journal_mode")
        if str(cursor.fetchone()[0]).lower() == "wal":
            return
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except Exception as exc:  # the driver's OperationalError, whichever adapter wraps it
            if "locked" not in str(exc) or attempt == 99:
                raise
            time.sleep(0.02)


def _in_transaction(dbapi_connection: Any) -> bool:
    """Whether the sqlite3 connection under SQLAlchemy's aiosqlite adapter has a transaction open (True when it
    cannot tell, so the caller rolls back). Reading the flag needs no hop to aiosqlite's thread."""
    try:
        return bool(dbapi_connection._connection._conn.in_transaction)
    except Exception:  # closed, or another adapter: roll back to be safe
        return True


def _sqlite_setup(engine: AsyncEngine, *, foreign_keys: bool) -> None:
    @event.listens_for(engine.sync_engine, "connect")
    def _connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see _begin)
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        _use_wal(cursor)  # readers never block the writer, nor it them
        cursor.execute(f"PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'}")
        cursor.execute("PRAGMA synchronous=NORMAL")  # durable across crashes in WAL mode; fsync at checkpoints
        cursor.close()

    @event.listens_for(engine.sync_engine, "reset")
    def _reset(dbapi_connection: Any, _record: Any, _state: Any) -> None:
        # The pool's reset (pool_reset_on_return=None hands it to us): roll back only an open transaction.
        if _in_transaction(dbapi_connection):
            dbapi_connection.rollback()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Connection) -> None:
        # Writes take the write lock up front. Reads open no transaction: each statement reads the latest commit,
        # which is what PostgreSQL's READ COMMITTED gives the same code, and it spares every read connection its
        # BEGIN statement and makes its ROLLBACK a no-op (measured: a quarter of a stats request's time).
        if conn.get_execution_options().get(_WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")


@asynccontextmanager
async def transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A write transaction: commits when the block ends, rolls everything back on an exception.

    On SQLite it holds the write lock from its first statement, so read-then-write logic inside is race-free.
    """
    if isinstance(engine, RoostEngine):
        async with engine.begin() as conn:
            yield conn
        return
    async with engine.connect() as conn:
        await conn.execution_options(**{_WRITE: True})
        async with conn.begin():
            yield conn


@asynccontextmanager
async def connect(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reading. Writes here are not atomic with each other and, on SQLite, may hit a lock."""
    async with engine.connect() as conn:
        yield conn
