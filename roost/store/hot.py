"""The hot reads of the API: the ownership check and the snapshot read of a stats request in ONE statement, sent
straight to the driver: a reused `sqlite3` connection on the calling thread for a SQLite file, asyncpg through
SQLAlchemy's pooled connection for PostgreSQL.

Why not Core: building and caching a Core statement, its result machinery and, on SQLite, a thread hop per
cursor call cost more than SQLite's own work for these reads (measured in bench/bench_api.py). The statements
here are plain text, written once, and the drivers keep them prepared (asyncpg's statement cache, SQLite's
statement cache). They implement the same rules as `snapshots.stats_two_point` / `snapshots.stats_range` and
`trackers.get_owned_tracker` plus `Tracker.life` (the life window starts at the bucket the tracker was created
in and ends when it stopped); tests/integration/test_fast_lane.py checks the lane answers as the route.

Neither statement opens a transaction: each is one statement, so it reads one consistent state on both
databases.
"""

from __future__ import annotations

import re
import sqlite3
import threading
from collections import OrderedDict
from typing import Any

from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

SnapshotRow = tuple[int | None, ...]
"""A snapshot as the hot read returns it: a plain row in `domain.Snapshot`'s field order (x_user_id, bucket,
tweets, followers, following, lists, created_at, updated_at), then, in a timeline read, the five activity columns
stamped on it (originals, retweet_statuses, deleted, retweets, favorites; NULL when not known). Building a
frozen dataclass per row cost as much as reading the row; a year of hours is 8,760 of them."""

# $1 tracker id, $2 account id, $3 start, $4 end, $5 bucket length (seconds).
_LIFE = """
WITH t AS (
  SELECT x_user_id,
         CASE WHEN created_at - created_at % $5 > $3 THEN created_at - created_at % $5 ELSE $3 END AS lo,
         CASE WHEN stopped_at IS NOT NULL AND stopped_at < $4 THEN stopped_at ELSE $4 END AS hi
  FROM trackers WHERE id = $1 AND account_id = $2
)
SELECT t.x_user_id, s.bucket, s.tweets, s.followers, s.following, s.lists, s.created_at, s.updated_at,
       s.originals, s.retweet_statuses, s.deleted, s.retweets, s.favorites
FROM t LEFT JOIN snapshots s ON s.x_user_id = t.x_user_id AND """

_TWO_POINT = """
WITH t AS (
  SELECT x_user_id,
         CASE WHEN created_at - created_at % $5 > $3 THEN created_at - created_at % $5 ELSE $3 END AS lo,
         CASE WHEN stopped_at IS NOT NULL AND stopped_at < $4 THEN stopped_at ELSE $4 END AS hi
  FROM trackers WHERE id = $1 AND account_id = $2
), e AS MATERIALIZED (  -- so PostgreSQL probes the two ends first, then fetches them by key
  SELECT x_user_id,
         (SELECT min(bucket) FROM snapshots WHERE x_user_id = t.x_user_id AND bucket >= t.lo AND bucket <= t.hi)
           AS first,
         (SELECT max(bucket) FROM snapshots WHERE x_user_id = t.x_user_id AND bucket >= t.lo AND bucket <= t.hi)
           AS last
  FROM t
)
SELECT e.x_user_id, a.bucket, a.tweets, a.followers, a.following, a.lists, a.created_at, a.updated_at,
       e.x_user_id, b.bucket, b.tweets, b.followers, b.following, b.lists, b.created_at, b.updated_at
FROM e LEFT JOIN snapshots a ON a.x_user_id = e.x_user_id AND a.bucket = e.first
       LEFT JOIN snapshots b ON b.x_user_id = e.x_user_id AND b.bucket = e.last"""

_RANGE = _LIFE + "s.bucket >= t.lo AND s.bucket <= t.hi\nORDER BY s.bucket"


def _sqlite(sql: str) -> str:
    return re.sub(r"\$(\d)", r"?\1", sql)  # SQLite's numbered parameters are ?NNN


_SQL = {
    ("postgresql", False): _TWO_POINT,
    ("postgresql", True): _RANGE,
    ("sqlite", False): _sqlite(_TWO_POINT),
    ("sqlite", True): _sqlite(_RANGE),
}


async def _fetch(conn: AsyncConnection, sql_key: tuple[str, bool], args: tuple[Any, ...]) -> list[Any]:
    raw = await conn.get_raw_connection()
    driver: Any = raw.driver_connection
    sql = _SQL[sql_key]
    if sql_key[0] == "postgresql":
        return list(await driver.fetch(sql, *args))
    return list(await driver.execute_fetchall(sql, args))


def _shape(rows: list[Any], timeline: bool) -> list[SnapshotRow] | None:
    if not rows:
        return None
    if rows[0][1] is None:  # the tracker, and no snapshot in the window
        return []
    if not timeline:  # one row: the first snapshot's columns, then the last's
        row = tuple(rows[0])
        return [row[:8], row[8:]]
    return [tuple(row) for row in rows]


# --- SQLite: the read on the event loop's own thread -----------------------------------------------------------
#
# aiosqlite runs every statement on a thread of its own and hands rows back through the event loop; with 32
# requests in flight that is 32 threads converting rows under one GIL, which costs more than SQLite's work for a
# week of snapshots. A read this small is cheaper done where the request is: a plain sqlite3 connection per thread
# and database file, reused (WAL readers never wait for the writer, and each statement sees the latest commit).

_READERS = threading.local()
_MAX_READERS = 8  # database files per thread (tests open many; a server one)


def _reader(path: str) -> sqlite3.Connection:
    readers: OrderedDict[str, sqlite3.Connection] | None = getattr(_READERS, "by_path", None)
    if readers is None:
        readers = _READERS.by_path = OrderedDict()
    conn = readers.get(path)
    if conn is None:
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA query_only=ON")
        conn.execute("PRAGMA busy_timeout=2000")  # a WAL reader waits only on rare recovery; never a 500 for it
        readers[path] = conn
        if len(readers) > _MAX_READERS:
            readers.popitem(last=False)[1].close()
    else:
        readers.move_to_end(path)
    return conn


async def owned_stats(
    engine: AsyncEngine,
    *,
    account_id: int,
    tracker_id: str,
    start: int,
    end: int,
    interval: int,
    timeline: bool,
) -> list[SnapshotRow] | None:
    """The account's tracker's stats over [start, end] inside its life: every snapshot (`timeline`), or the first
    and the last (the same one twice when only one exists; [] when none). None when the account has no such
    tracker (unknown and foreign ids alike). A SQLite file is read on this thread (no thread hop), any other
    database through a pooled connection."""
    args = (tracker_id, account_id, start, end, interval)
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    if path and path != ":memory:":
        rows = _reader(path).execute(_SQL[("sqlite", timeline)], args).fetchall()
    else:
        async with engine.connect() as conn:
            rows = await _fetch(conn, (engine.dialect.name, timeline), args)
    return _shape(rows, timeline)
