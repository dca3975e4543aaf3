"""The hot reads of the API: the ownership check and the snapshot read of a stats request in ONE statement, sent
straight to the driver: a reused `sqlite3` connection on the calling thread for a SQLite file, a small asyncpg
pool of the reads' own for PostgreSQL.

Why not Core: building and caching a Core statement, its result machinery and, on SQLite, a thread hop per
cursor call cost more than SQLite's own work for these reads (measured in bench/bench_api.py). The statements
here are plain text, written once, and the drivers keep them prepared (asyncpg's statement cache, SQLite's
statement cache). They implement the same rules as `snapshots.stats_range` and
`trackers.get_owned_tracker` plus `Tracker.life` (the life window starts at the bucket the tracker was created
in and ends when it stopped); tests/integration/test_fast_lane.py checks the lane answers as the route.

Neither statement opens a transaction: each is one statement, so it reads one consistent state on both
databases. On PostgreSQL their results are kept in memory until the data changes (see "results kept" below).
"""

from __future__ import annotations

import asyncio
import sqlite3
from dataclasses import dataclass
from functools import cache
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine

from roost.store.changes import ChangeFeed
from roost.store.schema import snapshots
from roost.store.sql import asyncpg_params, numbered_for_sqlite


@dataclass(frozen=True, slots=True)
class StatsRows:
    """Snapshot rows and the names of their columns (read them by name: `schemas.stats.encoder`). A timeline read
    has one row per snapshot, a two-point read the first and the last (the same one twice when only one exists).
    Plain driver rows, not objects: building one per row cost as much as reading it, and a year of hours is 8,760."""

    names: tuple[str, ...]
    rows: list[Any]


# $1 tracker id, $2 account id, $3 start, $4 end, $5 bucket length (seconds). `t`: the tracker, if the account
# owns it, with the window [lo, hi] its life leaves of [start, end].
_TRACKER = """
WITH t AS (
  SELECT x_user_id,
         CASE WHEN created_at - created_at % $5 > $3 THEN created_at - created_at % $5 ELSE $3 END AS lo,
         CASE WHEN stopped_at IS NOT NULL AND stopped_at < $4 THEN stopped_at ELSE $4 END AS hi
  FROM trackers WHERE id = $1 AND account_id = $2
)"""

# Every reference to `snapshots` repeats the request's own bounds ($3, $4) beside the tracker's life: the same rows,
# but PostgreSQL can then leave out the months outside the request when it starts the statement (with the life's
# bounds alone, which come from a row, it opens every month's index and skips them one execution at a time).
_RANGE = """
SELECT s.bucket AS found, {a}
FROM t LEFT JOIN snapshots s ON s.x_user_id = t.x_user_id AND s.bucket >= t.lo AND s.bucket <= t.hi
                             AND s.bucket >= $3 AND s.bucket <= $4
ORDER BY s.bucket"""

# The first and the last snapshot: min/max over the partitioned table is a merge of every month in the range (a
# probe of each: a year is 13), so each end is looked for first within two buckets of its edge of the request,
# where it nearly always is, and only if it is not there over the whole range (COALESCE evaluates the second
# subquery only then). Measured at 175 million snapshots: 0.8-1.1 ms of the server's CPU a read before, 0.3-0.5
# after (BENCHMARKS.md, issue 23).
# {in_life}: a snapshot of the tracker `t`, inside its life.
_IN_LIFE = "x_user_id = t.x_user_id AND bucket >= t.lo AND bucket <= t.hi"
_TWO_POINT = """, e AS MATERIALIZED (  -- so PostgreSQL probes the two ends first, then fetches them by key
  SELECT x_user_id,
         COALESCE(
           (SELECT min(bucket) FROM snapshots WHERE {in_life}
              AND bucket >= $3 AND bucket <= $3 + 2 * $5),
           (SELECT min(bucket) FROM snapshots WHERE {in_life}
              AND bucket >= $3 AND bucket <= $4)) AS first,
         COALESCE(
           (SELECT max(bucket) FROM snapshots WHERE {in_life}
              AND bucket >= $4 - 2 * $5 AND bucket <= $4),
           (SELECT max(bucket) FROM snapshots WHERE {in_life}
              AND bucket >= $3 AND bucket <= $4)) AS last
  FROM t
)
SELECT a.bucket AS found, {a}, {b}
FROM e LEFT JOIN snapshots a ON a.x_user_id = e.x_user_id AND a.bucket = e.first AND a.bucket >= $3 AND a.bucket <= $4
       LEFT JOIN snapshots b ON b.x_user_id = e.x_user_id AND b.bucket = e.last AND b.bucket >= $3 AND b.bucket <= $4"""


@cache
def _statement(names: tuple[str, ...], timeline: bool) -> str:
    """The read of `names` (snapshot columns, checked against the table definition), written once per shape."""
    unknown = [n for n in names if n not in snapshots.c]
    if unknown or not names:
        raise ValueError(f"not snapshot columns: {unknown}")
    a = ", ".join(f"s.{n}" for n in names) if timeline else ", ".join(f"a.{n}" for n in names)
    if timeline:
        return _TRACKER + _RANGE.format(a=a)
    return _TRACKER + _TWO_POINT.format(a=a, b=", ".join(f"b.{n}" for n in names), in_life=_IN_LIFE)


def _shape(names: tuple[str, ...], rows: list[Any], timeline: bool) -> StatsRows | None:
    if not rows:
        return None  # no such tracker for this account
    named = ("found", *names)
    if rows[0][0] is None:  # the tracker, and no snapshot in the window
        return StatsRows(named, [])
    if not timeline:  # one row: the first snapshot's columns, then the last's
        row = tuple(rows[0])
        return StatsRows(named, [row[: len(named)], (row[0], *row[len(named) :])])
    return StatsRows(named, rows)


# --- PostgreSQL: results kept in memory while the data stays the same -------------------------------------------
#
# The same stats request comes back many times between two collector passes (a dashboard, a script polling, a
# team looking at one tracker), and its answer changes only when trackers or snapshots change. On PostgreSQL a
# kept answer saves a round trip to the server; it is dropped as soon as the data may have changed: the engine's
# ChangeFeed (changes.py) moves after this process's commits and on the triggers' notifications of changes to
# trackers and snapshots (migration 0005); without a listening connection nothing is kept. No result is kept longer
# than `max_age` seconds of the caller's clock (the bound for a change that bypassed the triggers, such as a
# restored backup), and `max_age=0` keeps nothing. SQLite keeps nothing: its read is on this thread, with no round
# trip to save, and measured alike with and without keeping (BENCHMARKS.md, issue 20).

MAX_KEPT_ROWS = 100_000  # rows kept (a week's timeline is 168); when full, all are dropped

_Key = tuple[Any, ...]


class _Kept:
    """Results by arguments, valid for one generation of the change feed."""

    __slots__ = ("generation", "results", "rows")

    def __init__(self) -> None:
        self.generation: object = None
        self.rows = 0
        self.results: dict[_Key, tuple[float, StatsRows]] = {}

    def get(self, generation: object, key: _Key, now: float, max_age: float) -> StatsRows | None:
        if generation != self.generation:
            self.generation, self.rows = generation, 0
            self.results.clear()
            return None
        found = self.results.get(key)
        if found is None or not found[0] <= now < found[0] + max_age:
            return None
        return found[1]

    def put(self, generation: object, key: _Key, found: StatsRows, now: float) -> None:
        if generation != self.generation:  # a change came in meanwhile
            return
        if self.rows + len(found.rows) > MAX_KEPT_ROWS:
            self.rows = 0
            self.results.clear()
        self.results[key] = (now, found)
        self.rows += len(found.rows)


# --- SQLite: the read on the event loop's own thread -----------------------------------------------------------
#
# aiosqlite runs every statement on a thread of its own and hands rows back through the event loop; with 32
# requests in flight that is 32 threads converting rows under one GIL, which costs more than SQLite's work for a
# week of snapshots. A read this small is cheaper done where the request is: a plain sqlite3 connection, opened on
# first use by the thread that serves the requests and reused (WAL readers never wait for the writer, and each
# statement sees the latest commit).


def _sqlite_reader(path: str) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA query_only=ON")
    conn.execute("PRAGMA busy_timeout=2000")  # a WAL reader waits only on rare recovery; never a 500 for it
    return conn


# --- PostgreSQL: a few connections of the stats reads' own --------------------------------------------------------
#
# A checkout from SQLAlchemy's pool (its AsyncConnection, the greenlet bridge, the pool's events and reset) cost
# more than the read itself: 32 concurrent two-point reads took 0.64 ms each through `engine.connect()` and 0.27 ms
# through asyncpg's own pool of 4 connections (in-process, same statement, same database). Two connections a
# process are enough: one answers a read in a fraction of a millisecond, so 32 requests in flight queue briefly
# for them instead of holding 32 of the server's connections. More add PostgreSQL backends competing with the
# server for the same cores: at 175 million snapshots, 2 server processes, 32 connections on the two-point read,
# 4 a process gave 3,057 req/s but a p99 of 79 ms, 2 a process 2,518 req/s and a p99 of 25 ms (BENCHMARKS.md).

HOT_CONNECTIONS = 2


async def _nothing_to_reset(conn: asyncpg.Connection) -> None:
    """These connections only ever run the two SELECTs above, which leave no session state behind (no SET, no
    LISTEN, no cursor, no advisory lock, no transaction), so there is nothing to reset when one is given back.
    asyncpg's default reset sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL;`: a second
    round trip for every read (in-process, 16 concurrent two-point reads at 175 million snapshots: 0.20 ms of the
    client's CPU a read with it, 0.145 without)."""


async def _pg_pool(engine: AsyncEngine) -> asyncpg.Pool:
    params = asyncpg_params(engine, "roost-stats")
    return await asyncpg.create_pool(**params, min_size=1, max_size=HOT_CONNECTIONS, reset=_nothing_to_reset)


class HotReads:
    """The stats read of one engine, with what it keeps between requests (owned by the services' Runtime, closed
    with it): the SQLite reader connection, or PostgreSQL's answers kept until the data changes."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        path = engine.url.database if engine.dialect.name == "sqlite" else None
        self._path = path if path and path != ":memory:" else None
        self._reader: sqlite3.Connection | None = None
        self._kept = _Kept()
        self._pg: asyncpg.Pool | None = None
        self._turns = asyncio.Semaphore(HOT_CONNECTIONS)  # the pool's connections, in arrival order (_fetch)

    async def aclose(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._pg is not None:
            pool, self._pg = self._pg, None
            await pool.close()

    async def _fetch(self, sql: str, args: tuple[Any, ...]) -> list[Any]:
        if self._pg is None:
            self._pg = await _pg_pool(self.engine)
        # The pool's connections are taken in arrival order. asyncpg's pool hands a released connection to whoever
        # asks next in the same loop turn, and a waiter woken for it that finds it gone goes to the back of the
        # line: under load, some reads lost that race again and again (175 million snapshots, 32 connections on
        # the 30-day timeline: p50 35 ms but p99 191-250 ms; through this gate p50 41 and p99 65-82 ms at the same
        # rate, BENCHMARKS.md). asyncio's Semaphore hands a release to its first waiter and lets no newcomer pass.
        async with self._turns:
            return list(await self._pg.fetch(sql, *args))

    async def owned_stats(
        self,
        *,
        names: tuple[str, ...],
        account_id: int,
        tracker_id: str,
        start: int,
        end: int,
        interval: int,
        timeline: bool,
        now: float,
        max_age: float,
    ) -> StatsRows | None:
        """The snapshot columns `names` of the account's tracker over [start, end] inside its life: every snapshot
        (`timeline`), or the first and the last (the same one twice when only one exists; no rows when none). None
        when the account has no such tracker (unknown and foreign ids alike). A SQLite file is read on this thread
        (no thread hop), PostgreSQL through a pooled connection, where a result read at most `max_age` seconds ago
        (`now` on the caller's clock) with no change to trackers or snapshots since may be answered from memory."""
        args = (tracker_id, account_id, start, end, interval)
        sql = _statement(names, timeline)
        if self._path is not None:
            if self._reader is None:
                self._reader = _sqlite_reader(self._path)
            return _shape(names, self._reader.execute(numbered_for_sqlite(sql), args).fetchall(), timeline)
        key = (*args, timeline, names)
        feed: ChangeFeed | None = getattr(self.engine, "changes", None)
        live = feed is not None and max_age > 0 and feed.live()
        generation = feed.generation if feed is not None and live else None
        if live:
            kept = self._kept.get(generation, key, now, max_age)
            if kept is not None:
                return kept
        rows = await self._fetch(sql, args)
        found = _shape(names, rows, timeline)
        if live and found is not None and feed is not None and feed.live() and feed.generation == generation:
            self._kept.put(generation, key, found, now)  # only when no change came in during the read
        return found
