"""Snapshots, one per X user and bucket, shared by every tracker of that user. Every read is one range scan on
the primary key (x_user_id, bucket), clipped to the reading tracker's life."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import fields
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncConnection

from roost.core.analytics import METRICS, Series
from roost.core.domain import Snapshot
from roost.store.schema import snapshots
from roost.store.sql import dialect_insert, plain_rows

_FIELDS = tuple(f.name for f in fields(Snapshot))  # columns are read in Snapshot's field order
_COLUMNS = tuple(snapshots.c[name] for name in _FIELDS)


def _snapshot(row: Sequence[Any]) -> Snapshot:
    # Positional: half the cost of keywords, for the 8,760 rows of a year.
    x_user_id, bucket, tweets, followers, following, lists, created_at, updated_at = row
    return Snapshot(x_user_id, bucket, tweets, followers, following, lists, created_at, updated_at)


def _upsert_statement(conn: AsyncConnection) -> Any:
    """Built once per dialect and run with executemany, so SQLAlchemy compiles it once (a multi-row VALUES
    statement is compiled anew for every call, which cost more than the database's own work)."""
    stmt = dialect_insert(conn, snapshots)
    return stmt.on_conflict_do_update(
        index_elements=[snapshots.c.x_user_id, snapshots.c.bucket],
        set_={name: stmt.excluded[name] for name in ("tweets", "followers", "following", "lists", "updated_at")},
    )


_UPSERTS: dict[str, Any] = {}


async def upsert_snapshots(conn: AsyncConnection, *, rows: Sequence[Snapshot]) -> None:
    """Write snapshots. A second write in the same bucket refreshes the counts and updatedAt and keeps the first
    createdAt, so collecting a bucket twice (two workers, a retry) is harmless."""
    if not rows:
        return
    latest = list({(s.x_user_id, s.bucket): s for s in rows}.values())
    stmt = _UPSERTS.get(conn.dialect.name)
    if stmt is None:
        stmt = _UPSERTS[conn.dialect.name] = _upsert_statement(conn)
    await conn.execute(stmt, [{name: getattr(s, name) for name in _FIELDS} for s in latest])


def _window(start: int, end: int, lo: int, hi: int | None) -> tuple[int, int] | None:
    """The buckets both asked for ([start, end]) and inside the tracker's life ([lo, hi], hi None while active)."""
    low, high = max(start, lo), end if hi is None else min(end, hi)
    return (low, high) if low <= high else None


def _in(x_user_id: int, window: tuple[int, int]) -> Select[tuple[int, ...]]:
    return select(*_COLUMNS).where(
        snapshots.c.x_user_id == x_user_id, snapshots.c.bucket >= window[0], snapshots.c.bucket <= window[1]
    )


async def stats_range(
    conn: AsyncConnection, *, x_user_id: int, start: int, end: int, lo: int, hi: int | None
) -> list[Snapshot]:
    """Every snapshot with start <= bucket <= end inside the life window lo <= bucket <= hi, oldest first."""
    window = _window(start, end, lo, hi)
    if window is None:
        return []
    result = await conn.execute(_in(x_user_id, window).order_by(snapshots.c.bucket))
    return [_snapshot(row) for row in result]


_SERIES = f"""SELECT bucket, {", ".join(METRICS)} FROM snapshots
WHERE x_user_id = $1 AND bucket >= $2 AND bucket <= $3 ORDER BY bucket"""


async def series_range(
    conn: AsyncConnection, *, x_user_id: int, start: int, end: int, lo: int, hi: int | None
) -> Series:
    """The snapshots in the window as columns of the bucket and the four counts, all that growth reads: one plain
    statement and no object per snapshot."""
    window = _window(start, end, lo, hi)
    rows = await plain_rows(conn, _SERIES, x_user_id, *window) if window else []
    columns = list(zip(*rows, strict=True)) or [()] * (1 + len(METRICS))
    return Series(buckets=columns[0], values=dict(zip(METRICS, columns[1:], strict=True)))


async def latest_snapshot(conn: AsyncConnection, *, x_user_id: int, lo: int, hi: int | None) -> Snapshot | None:
    """The newest snapshot inside lo <= bucket <= hi."""
    window = _window(lo, hi if hi is not None else 2**62, lo, hi)
    if window is None:
        return None
    row = (await conn.execute(_in(x_user_id, window).order_by(snapshots.c.bucket.desc()).limit(1))).first()
    return _snapshot(row) if row else None
