"""The hot reads of the API: the ownership check and the snapshot read of a stats request in ONE statement, sent
straight to the driver: a reused `sqlite3` connection on the calling thread for a SQLite file, asyncpg through
SQLAlchemy's pooled connection for PostgreSQL.

Why not Core: building and caching a Core statement, its result machinery and, on SQLite, a thread hop per
cursor call cost more than SQLite's own work for these reads (measured in bench/bench_api.py). The statements
here are plain text, written once, and the drivers keep them prepared (asyncpg's statement cache, SQLite's
statement cache). They implement the same rules as `snapshots.stats_range` and
`trackers.get_owned_tracker` plus `Tracker.life` (the life window starts at the bucket the tracker was created
in and ends when it stopped); tests/integration/test_fast_lane.py checks the lane answers as the route.

Neither statement opens a transaction: each is one statement, so it reads one consistent state on both
databases. Their results are kept in memory until the data changes (see "Results kept in memory" below).
"""

from __future__ import annotations

import sqlite3
import threading
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from roost.store.changes import ChangeFeed
from roost.store.schema import snapshots
from roost.store.sql import numbered_for_sqlite, plain_rows


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

_RANGE = """
SELECT s.bucket AS found, {a}
FROM t LEFT JOIN snapshots s ON s.x_user_id = t.x_user_id AND s.bucket >= t.lo AND s.bucket <= t.hi
ORDER BY s.bucket"""

_TWO_POINT = """, e AS MATERIALIZED (  -- so PostgreSQL probes the two ends first, then fetches them by key
  SELECT x_user_id,
         (SELECT min(bucket) FROM snapshots WHERE x_user_id = t.x_user_id AND bucket >= t.lo AND bucket <= t.hi)
           AS first,
         (SELECT max(bucket) FROM snapshots WHERE x_user_id = t.x_user_id AND bucket >= t.lo AND bucket <= t.hi)
           AS last
  FROM t
)
SELECT a.bucket AS found, {a}, {b}
FROM e LEFT JOIN snapshots a ON a.x_user_id = e.x_user_id AND a.bucket = e.first
       LEFT JOIN snapshots b ON b.x_user_id = e.x_user_id AND b.bucket = e.last"""


@cache
def _statement(names: tuple[str, ...], timeline: bool) -> str:
    """The read of `names` (snapshot columns, checked against the table definition), written once per shape."""
    unknown = [n for n in names if n not in snapshots.c]
    if unknown or not names:
        raise ValueError(f"not snapshot columns: {unknown}")
    a = ", ".join(f"s.{n}" for n in names) if timeline else ", ".join(f"a.{n}" for n in names)
    if timeline:
        return _TRACKER + _RANGE.format(a=a)
    return _TRACKER + _TWO_POINT.format(a=a, b=", ".join(f"b.{n}" for n in names))


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


# --- Results kept in memory while the data stays the same -------------------------------------------------------
#
# The same stats request comes back many times between two collector passes (a dashboard, a script polling, a
# team looking at one tracker), and its answer changes only when a write commits. Kept results are dropped as soon
# as the data may have changed, so a kept answer is never older than the last commit this process can know of:
# - SQLite: `PRAGMA data_version` on the reader's connection moves when any other connection, of any process,
#   commits to the file (a check of the file's shared memory, no I/O);
# - PostgreSQL: the engine's ChangeFeed (changes.py) moves after this process's commits and on the database's
#   change notifications; without a listening connection nothing is kept.
# On top of that no result is kept longer than `max_age` seconds of the caller's clock (the bound for a change that
# bypassed the triggers, such as a restored backup), and `max_age=0` keeps nothing.

MAX_KEPT_ROWS = 100_000  # rows kept per reader or engine (a week's timeline is 168); when full, all are dropped

_Key = tuple[Any, ...]


class _Kept:
    """Results by arguments, valid for one data version."""

    __slots__ = ("results", "rows", "version")

    def __init__(self) -> None:
        self.version: object = None
        self.rows = 0
        self.results: dict[_Key, tuple[float, StatsRows]] = {}

    def get(self, version: object, key: _Key, now: float, max_age: float) -> StatsRows | None:
        if version != self.version:
            self.version, self.rows = version, 0
            self.results.clear()
            return None
        found = self.results.get(key)
        if found is None or not found[0] <= now < found[0] + max_age:
            return None
        return found[1]

    def put(self, version: object, key: _Key, found: StatsRows, now: float) -> None:
        if version != self.version:  # a change came in meanwhile
            return
        if self.rows + len(found.rows) > MAX_KEPT_ROWS:
            self.rows = 0
            self.results.clear()
        self.results[key] = (now, found)
        self.rows += len(found.rows)


_FEEDS: weakref.WeakKeyDictionary[ChangeFeed, _Kept] = weakref.WeakKeyDictionary()


# --- SQLite: the read on the event loop's own thread -----------------------------------------------------------
#
# aiosqlite runs every statement on a thread of its own and hands rows back through the event loop; with 32
# requests in flight that is 32 threads converting rows under one GIL, which costs more than SQLite's work for a
# week of snapshots. A read this small is cheaper done where the request is: a plain sqlite3 connection per thread
# and database file, reused (WAL readers never wait for the writer, and each statement sees the latest commit).

_READERS = threading.local()
_MAX_READERS = 8  # database files per thread (tests open many; a server one)


class _Reader:
    __slots__ = ("conn", "kept")

    def __init__(self, path: str) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)
        self.conn.execute("PRAGMA query_only=ON")
        self.conn.execute("PRAGMA busy_timeout=2000")  # a WAL reader waits only on rare recovery; never a 500 for it
        self.kept = _Kept()

    def version(self) -> int:
        return int(self.conn.execute("PRAGMA data_version").fetchone()[0])


def _reader(path: str) -> _Reader:
    readers: OrderedDict[str, _Reader] | None = getattr(_READERS, "by_path", None)
    if readers is None:
        readers = _READERS.by_path = OrderedDict()
    reader = readers.get(path)
    if reader is None:
        reader = readers[path] = _Reader(path)
        if len(readers) > _MAX_READERS:
            readers.popitem(last=False)[1].conn.close()
    else:
        readers.move_to_end(path)
    return reader


async def owned_stats(
    engine: AsyncEngine,
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
    (no thread hop), any other database through a pooled connection. A result read at most `max_age` seconds ago
    (`now` on the caller's clock) with no commit since may be answered from memory."""
    args = (tracker_id, account_id, start, end, interval)
    key = (*args, timeline, names)
    sql = _statement(names, timeline)
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if path and path != ":memory:":
        reader = _reader(path)
        version = reader.version() if max_age > 0 else None
        kept = reader.kept.get(version, key, now, max_age) if version is not None else None
        if kept is not None:
            return kept
        rows = reader.conn.execute(numbered_for_sqlite(sql), args).fetchall()
        found = _shape(names, rows, timeline)
        if version is not None and found is not None:
            reader.kept.put(version, key, found, now)
        return found
    feed: ChangeFeed | None = getattr(engine, "changes", None)
    memo = None
    if feed is not None and max_age > 0 and feed.live():
        generation = feed.generation
        memo = _FEEDS.get(feed) or _FEEDS.setdefault(feed, _Kept())
        kept = memo.get(generation, key, now, max_age)
        if kept is not None:
            return kept
    async with engine.connect() as conn:
        rows = await plain_rows(conn, sql, *args)
    found = _shape(names, rows, timeline)
    if memo is not None and found is not None and feed is not None and feed.live() and feed.generation == generation:
        memo.put(generation, key, found, now)  # only when no change came in during the read
    return found
