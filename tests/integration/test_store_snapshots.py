"""Snapshots: the idempotent upsert and the two stats reads, clipped to a tracker's life."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from sqlalchemy import delete, insert
from sqlalchemy.ext.asyncio import AsyncEngine

from roost.core.domain import Snapshot
from roost.store import hot
from roost.store import snapshots as snapshot_store
from roost.store import xusers as xuser_store
from roost.store.schema import accounts, trackers

T0 = 1_795_000_000
HOUR = 3600
B0 = T0 - T0 % HOUR
USER = 155351236
OTHER = 2**63 - 1  # the largest id a signed BIGINT holds


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str = ""
    protected: bool = False


def snap(bucket: int, followers: int, *, user: int = USER, at: int | None = None) -> Snapshot:
    stamp = bucket + 120 if at is None else at
    return Snapshot(user, bucket, 1000, followers, 50, 3, stamp, stamp)


@pytest.fixture
async def engine(migrated_engine: AsyncEngine) -> AsyncEngine:
    async with migrated_engine.begin() as conn:
        await xuser_store.upsert_x_users(conn, users=[User(USER, "osasuna"), User(OTHER, "big")], now=T0)
    return migrated_engine


async def test_a_second_write_in_a_bucket_refreshes_counts_and_keeps_created_at(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await snapshot_store.upsert_snapshots(conn, rows=[snap(B0, 100, at=B0 + 60), snap(B0, 7, user=OTHER)])
    async with engine.begin() as conn:
        await snapshot_store.upsert_snapshots(conn, rows=[snap(B0, 150, at=B0 + 900)])
        await snapshot_store.upsert_snapshots(conn, rows=[])
    async with engine.connect() as conn:
        (row,) = await snapshot_store.stats_range(conn, x_user_id=USER, start=0, end=2**40, lo=0, hi=None)
        (big,) = await snapshot_store.stats_range(conn, x_user_id=OTHER, start=0, end=2**40, lo=0, hi=None)
    assert (row.followers, row.created_at, row.updated_at) == (150, B0 + 60, B0 + 900)
    assert (big.x_user_id, big.followers) == (OTHER, 7)


async def test_a_batch_may_repeat_a_key_and_the_last_row_wins(engine: AsyncEngine) -> None:
    async with engine.begin() as conn:
        await snapshot_store.upsert_snapshots(conn, rows=[snap(B0, 1), snap(B0 + HOUR, 2), snap(B0, 3)])
    async with engine.connect() as conn:
        rows = await snapshot_store.stats_range(conn, x_user_id=USER, start=0, end=2**40, lo=0, hi=None)
    assert [(r.bucket, r.followers) for r in rows] == [(B0, 3), (B0 + HOUR, 2)]


async def test_range_and_two_point_reads_are_clipped_to_the_request_and_the_life(engine: AsyncEngine) -> None:
    buckets = [B0 + i * HOUR for i in range(10)]
    async with engine.begin() as conn:
        await snapshot_store.upsert_snapshots(conn, rows=[snap(b, 1000 + i) for i, b in enumerate(buckets)])
        await snapshot_store.upsert_snapshots(conn, rows=[snap(B0 + 3 * HOUR, 1, user=OTHER)])

    async with engine.begin() as conn:
        await conn.execute(
            insert(accounts).values(
                id=1, email="a@x", name="a", password_hash="-", tracker_slots_total=5, created_at=T0, updated_at=T0
            )
        )

    async def both(start: int, end: int, lo: int, hi: int | None) -> tuple[list[int], list[int]]:
        """Buckets of the range read and of the two-point read (store.hot, the one every stats answer uses) of a
        tracker created at `lo` and stopped at `hi`."""
        async with engine.begin() as conn:
            await conn.execute(delete(trackers))
            status = "active" if hi is None else "stopped"
            await conn.execute(
                insert(trackers).values(
                    id="t", account_id=1, x_user_id=USER, alias="osasuna", status=status, created_at=lo,
                    updated_at=lo, stopped_at=hi,
                )
            )  # fmt: skip
        async with engine.connect() as conn:
            every = await snapshot_store.stats_range(conn, x_user_id=USER, start=start, end=end, lo=lo, hi=hi)
        reads = hot.HotReads(engine)
        read = {
            timeline: await reads.owned_stats(
                names=("bucket",), account_id=1, tracker_id="t", start=start, end=end, interval=HOUR,
                timeline=timeline, now=0, max_age=0,
            )
            for timeline in (True, False)
        }  # fmt: skip
        await reads.aclose()
        assert read[True] is not None and read[False] is not None
        bucket = read[True].names.index("bucket")
        assert [r[bucket] for r in read[True].rows] == [s.bucket for s in every]
        return [s.bucket for s in every], [r[bucket] for r in read[False].rows]

    b = buckets
    # Inclusive bounds, oldest first; two points are the first and the last inside.
    assert await both(b[2], b[5], 0, None) == (b[2:6], [b[2], b[5]])
    # Bounds between buckets: the first bucket at or after start, the last at or before end.
    assert await both(b[2] + 1, b[5] - 1, 0, None) == (b[3:5], [b[3], b[4]])
    # The life window clips: created in b[4]'s bucket, stopped during b[7].
    assert await both(b[0], b[9], b[4], b[7] + 10) == (b[4:8], [b[4], b[7]])
    assert await both(b[5], b[9], b[4], b[7] + 10) == (b[5:8], [b[5], b[7]])
    # One snapshot in range: the same one twice. None: nothing.
    assert await both(b[6], b[6] + 100, 0, None) == ([b[6]], [b[6], b[6]])
    assert await both(b[9] + 1, b[9] + HOUR, 0, None) == ([], [])
    assert await both(b[0], b[3], b[4], None) == ([], [])  # the range ends before the life began
    assert await both(b[8], b[9], b[0], b[5]) == ([], [])  # ... or starts after it ended
    assert await both(b[5], b[4], 0, None) == ([], [])
    async with engine.connect() as conn:
        latest = await snapshot_store.latest_snapshot(conn, x_user_id=USER, lo=b[2], hi=b[6] + 5)
        assert latest is not None and latest.bucket == b[6]
        latest = await snapshot_store.latest_snapshot(conn, x_user_id=USER, lo=b[2], hi=None)
        assert latest is not None and (latest.bucket, latest.followers) == (b[9], 1009)
        assert await snapshot_store.latest_snapshot(conn, x_user_id=USER, lo=b[9] + 1, hi=None) is None


async def test_big_batches_are_split_under_the_parameter_limits(engine: AsyncEngine) -> None:
    rows = [snap(B0 - i * HOUR, i) for i in range(4200)]  # 33,600 values: over both drivers' limits at once
    async with engine.begin() as conn:
        await snapshot_store.upsert_snapshots(conn, rows=rows)
        await xuser_store.upsert_x_users(conn, users=[User(10**6 + i, f"n{i}") for i in range(4700)], now=T0)
    async with engine.connect() as conn:
        got = await snapshot_store.stats_range(conn, x_user_id=USER, start=0, end=2**40, lo=0, hi=None)
        assert len(got) == 4200 and got[0].followers == 4199
        assert len(await xuser_store.get_x_users(conn, x_user_ids=[10**6, 10**6 + 4699, 10**6 + 4700])) == 2
