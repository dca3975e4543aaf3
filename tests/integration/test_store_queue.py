"""The collection queue and X user state: due users, leases, cursors, no double hand-out under concurrency."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from roost.core.domain import Snapshot
from roost.store import accounts as account_store
from roost.store import locks, queue
from roost.store import snapshots as snapshot_store
from roost.store import trackers as tracker_store
from roost.store import xusers as xuser_store
from roost.store.db import create_engine

T0 = 1_795_000_000
HOUR = 3600
B0 = T0 - T0 % HOUR
LEASE = 300


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str = "Someone"
    protected: bool = False


async def world(engine: AsyncEngine, *, tracked: int, untracked: int = 0, stopped: int = 0) -> list[int]:
    """X users: `tracked` with an active tracker, `untracked` with none, `stopped` whose only tracker stopped.
    Returns the ids of the tracked ones."""
    users = [User(1000 + i, f"u{i}") for i in range(tracked + untracked + stopped)]
    async with engine.begin() as conn:
        account = await account_store.create_account(
            conn, email="c@example.com", name="C", password_hash="h", tracker_slots=tracked + stopped, now=T0
        )
        await xuser_store.upsert_x_users(conn, users=users, now=T0)
        followed = users[:tracked] + users[tracked + untracked :]
        assert await tracker_store.take_slots(conn, account_id=account.id, n=len(followed))
        made = await tracker_store.create_trackers(
            conn, account_id=account.id, items=[(u.username, u.id) for u in followed], now=T0
        )
        await tracker_store.stop_trackers(conn, account_id=account.id, ids=[t.id for t in made[tracked:]], now=T0)
    return [u.id for u in users[:tracked]]


async def claim(engine: AsyncEngine, owner: str, *, now: int = T0, bucket: int = B0, limit: int = 100) -> list[int]:
    async with engine.begin() as conn:
        got = await queue.claim_due_users(conn, bucket=bucket, now=now, owner=owner, lease_seconds=LEASE, limit=limit)
    return [u.id for u in got]


async def test_only_users_with_an_active_tracker_are_due_in_batches(migrated_engine: AsyncEngine) -> None:
    tracked = await world(migrated_engine, tracked=150, untracked=5, stopped=5)
    async with migrated_engine.connect() as conn:
        assert await queue.count_due_users(conn, bucket=B0, now=T0) == 150
    first = await claim(migrated_engine, "w1")
    second = await claim(migrated_engine, "w1")
    assert first == tracked[:100] and second == tracked[100:]
    assert await claim(migrated_engine, "w2") == []
    async with migrated_engine.begin() as conn:
        (row,) = await queue.claim_due_users(
            conn, bucket=B0, now=T0 + LEASE + 1, owner="w2", lease_seconds=LEASE, limit=1
        )
        assert await queue.claim_due_users(conn, bucket=B0, now=T0, owner="w2", lease_seconds=LEASE, limit=0) == []
    assert (row.id, row.lease_owner, row.lease_until) == (tracked[0], "w2", T0 + 2 * LEASE + 1)


async def test_leases_collection_and_release(migrated_engine: AsyncEngine) -> None:
    tracked = await world(migrated_engine, tracked=4)
    assert await claim(migrated_engine, "w1", limit=3) == tracked[:3]
    assert await claim(migrated_engine, "w2", now=T0 + LEASE) == [tracked[3]]  # a lease still runs at its end
    async with migrated_engine.begin() as conn:
        # Only the lease owner can mark or release; w2 does not own tracked[0].
        assert await queue.mark_collected(conn, x_user_ids=tracked[:2], owner="w2", bucket=B0, now=T0) == 0
        assert await queue.mark_collected(conn, x_user_ids=tracked[:2], owner="w1", bucket=B0, now=T0 + 5) == 2
        assert await queue.release_users(conn, x_user_ids=[tracked[2]], owner="w1") == 1
        assert await queue.mark_collected(conn, x_user_ids=[], owner="w1", bucket=B0, now=T0) == 0
        assert await queue.release_users(conn, x_user_ids=[], owner="w1") == 0
        done = await xuser_store.get_x_user(conn, x_user_id=tracked[0])
    assert done is not None and (done.last_bucket, done.lease_owner, done.lease_until) == (B0, None, None)
    # Released: due again at once. Collected: not due again in this bucket ...
    assert await claim(migrated_engine, "w3", now=T0 + 10) == [tracked[2]]
    # ... but due in the next one, once their leases are over (w3's and w2's still run).
    assert await claim(migrated_engine, "w1", now=T0 + 20, bucket=B0 + HOUR) == tracked[:2]
    assert await claim(migrated_engine, "w1", now=T0 + LEASE + 11, bucket=B0 + HOUR) == [tracked[2]]
    # Leases that ran out without a mark (a worker died) make their users claimable again.
    late = await claim(migrated_engine, "w4", now=T0 + 2 * LEASE + 1, bucket=B0 + HOUR)
    assert late == [tracked[0], tracked[1], tracked[3]]


async def test_concurrent_claimers_never_share_a_user(migrated_engine: AsyncEngine) -> None:
    tracked = await world(migrated_engine, tracked=95)
    batches = await asyncio.gather(*(claim(migrated_engine, f"w{i}", limit=10) for i in range(12)))
    handed = [uid for batch in batches for uid in batch]
    assert sorted(handed) == tracked  # every user once, none twice


async def test_claims_take_turns_and_never_come_back_short(migrated_engine: AsyncEngine) -> None:
    """Two workers claim at the same moment. The second waits until the first's claim commits (PostgreSQL: an
    advisory transaction lock; SQLite: one writer at a time), then sees its leases and takes the next full batch:
    racing claimers that skipped each other's locked rows could come back short and cost an extra request."""
    tracked = await world(migrated_engine, tracked=150)
    started = asyncio.Event()

    async def second_claim() -> list[int]:
        started.set()
        return await claim(migrated_engine, "b")

    async with migrated_engine.begin() as a:
        first = await queue.claim_due_users(a, bucket=B0, now=T0, owner="a", lease_seconds=LEASE)
        waiting = asyncio.create_task(second_claim())
        await started.wait()
        await asyncio.sleep(0.2)  # real time on purpose: give the second claim every chance to overtake
        assert not waiting.done()
    second = await asyncio.wait_for(waiting, timeout=10)
    assert [u.id for u in first] == tracked[:100]
    assert second == tracked[100:]


async def test_user_state_and_cursor(migrated_engine: AsyncEngine) -> None:
    tracked = await world(migrated_engine, tracked=1)
    uid = tracked[0]
    async with migrated_engine.begin() as conn:
        await xuser_store.set_state(conn, x_user_id=uid, state="suspended", now=T0 + 1)
        suspended = await xuser_store.get_x_user(conn, x_user_id=uid)
        await xuser_store.set_state(conn, x_user_id=uid, state="not_found", error="gone", now=T0 + 2)
        missing = await xuser_store.get_x_user(conn, x_user_id=uid)
        await xuser_store.set_state(conn, x_user_id=uid, state="ok", now=T0 + 3)
        fine = await xuser_store.get_x_user(conn, x_user_id=uid)
    assert suspended is not None and (suspended.state, suspended.last_error) == ("suspended", "suspended")
    assert missing is not None and (missing.state, missing.last_error, missing.last_error_at) == (
        "not_found",
        "gone",
        T0 + 2,
    )
    assert fine is not None and (fine.state, fine.last_error, fine.last_error_at) == ("ok", None, None)

    async with migrated_engine.begin() as conn:
        await xuser_store.set_state(conn, x_user_id=uid, state="protected", error="private", now=T0 + 4)
        # A later lookup sees the account again: renamed, public, bucket done; last_bucket never moves back.
        await xuser_store.upsert_x_users(conn, users=[User(uid, "renamed", "New")], now=T0 + 5)
        await queue.advance_bucket(conn, x_user_ids=[uid], bucket=B0 + HOUR)
        await xuser_store.upsert_x_users(conn, users=[User(uid, "renamed", "New", True)], now=T0 + 6)
        await queue.advance_bucket(conn, x_user_ids=[uid], bucket=B0)
        await queue.set_timeline_cursor(conn, x_user_id=uid, newest_post_id=50, tweet_count_seen=7, now=T0 + 7)
        await queue.set_timeline_cursor(conn, x_user_id=uid, newest_post_id=40, tweet_count_seen=8, now=T0 + 8)
        await queue.set_timeline_cursor(
            conn, x_user_id=uid, newest_post_id=2**63 - 1, tweet_count_seen=None, now=T0 + 9
        )
        seen = await xuser_store.get_x_users(conn, x_user_ids=[uid, 424242])
        assert await xuser_store.get_x_users(conn, x_user_ids=[]) == {}
    row = seen[uid]
    assert list(seen) == [uid]
    assert (row.username, row.name, row.state) == ("renamed", "New", "protected")
    assert row.last_error == xuser_store.PROTECTED_ERROR  # the tracker says why its posts are not archived
    assert (row.last_bucket, row.newest_post_id, row.tweet_count_seen) == (B0 + HOUR, 2**63 - 1, 8)
    assert (row.created_at, row.updated_at) == (T0, T0 + 9)


def test_advisory_lock_keys_are_distinct() -> None:
    keys = [locks.MIGRATIONS, locks.SNAPSHOT_CLAIMS, locks.TIMELINE_CLAIMS]
    assert len(set(keys)) == len(keys)
    assert {queue.SNAPSHOT_LEASE.lock_key, queue.TIMELINE_LEASE.lock_key} == {
        locks.SNAPSHOT_CLAIMS,
        locks.TIMELINE_CLAIMS,
    }


@pytest.mark.postgres
async def test_a_running_migration_does_not_hold_up_claims(postgres_url: str) -> None:
    """PostgreSQL: a migrator holding its advisory lock (a server starting) leaves the collector's claims alone."""
    migrated_engine = create_engine(postgres_url)
    try:
        await _migration_lock_leaves_claims_alone(migrated_engine)
    finally:
        await migrated_engine.dispose()


async def _migration_lock_leaves_claims_alone(migrated_engine: AsyncEngine) -> None:
    tracked = await world(migrated_engine, tracked=3)
    async with migrated_engine.connect() as migrator, migrator.begin():
        await migrator.execute(select(func.pg_advisory_xact_lock(locks.MIGRATIONS)))
        got = await asyncio.wait_for(claim(migrated_engine, "w1"), timeout=10)
        async with migrated_engine.begin() as conn:
            due = await asyncio.wait_for(
                queue.claim_timeline_users(conn, now=T0, owner="w1", lease_seconds=LEASE, limit=10), timeout=10
            )
    assert got == tracked
    assert due == []  # nothing collected yet: no timeline is due, but the claim did not wait


async def test_timeline_leases(migrated_engine: AsyncEngine) -> None:
    """The timeline lease follows the snapshot lease's protocol on columns of its own."""
    tracked = await world(migrated_engine, tracked=3)
    async with migrated_engine.begin() as conn:
        assert await queue.advance_bucket(conn, x_user_ids=tracked, bucket=B0) == 3
        assert await queue.advance_bucket(conn, x_user_ids=tracked, bucket=B0 - HOUR) == 0  # never back
        await snapshot_store.upsert_snapshots(conn, rows=[Snapshot(uid, B0, 10, 1, 1, 0, T0, T0) for uid in tracked])

    async def claim_timelines(owner: str, now: int = T0) -> list[int]:
        async with migrated_engine.begin() as conn:
            due = await queue.claim_timeline_users(conn, now=now, owner=owner, lease_seconds=LEASE, limit=2)
        return [u.id for u in due]

    assert await claim_timelines("a") == tracked[:2]
    assert await claim(migrated_engine, "s", bucket=B0 + HOUR) == tracked  # the snapshot lease is another lease
    assert await claim_timelines("b") == tracked[2:]
    assert await claim_timelines("c") == []
    async with migrated_engine.begin() as conn:
        assert await queue.release_timeline(conn, x_user_ids=tracked[:2], owner="b") == 0  # not b's
        assert await queue.release_timeline(conn, x_user_ids=tracked[:1], owner="a") == 1
        await queue.finish_timeline(conn, x_user_id=tracked[1], newest_post_id=99, tweet_count_seen=10, now=T0 + 1)
        done = await xuser_store.get_x_user(conn, x_user_id=tracked[1])
    assert done is not None and (done.newest_post_id, done.tweet_count_seen) == (99, 10)
    # Released: due again. Finished: read up to its tweet_count, so quiet. Other leases run until they run out.
    assert await claim_timelines("c") == tracked[:1]
    assert await claim_timelines("d", now=T0 + LEASE + 1) == [tracked[0], tracked[2]]
