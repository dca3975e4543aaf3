"""Stats answers kept in memory on PostgreSQL (roost/store/hot.py) are never served after a commit that changes
them, nor past their age limit: commits of this process, of another engine (another process) and a lost listening
connection. On SQLite nothing is kept, and the same tests show every read sees the latest commit."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text

from roost.core.domain import Snapshot
from roost.schemas import stats as stats_schema
from roost.store import accounts as account_store
from roost.store import changes, hot
from roost.store import snapshots as snapshot_store
from roost.store import trackers as tracker_store
from roost.store import xusers as xuser_store
from roost.store.db import RoostEngine, create_engine, transaction

HOUR = 3600
T0 = 1_700_000_000 - 1_700_000_000 % HOUR
X_USER = 42


@dataclass(frozen=True)
class _User:
    id: int
    username: str
    name: str
    protected: bool = False


@dataclass(frozen=True)
class World:
    engine: RoostEngine
    url: str
    account_id: int
    tracker_id: str
    hot: hot.HotReads

    @property
    def keeps(self) -> bool:
        """Answers are kept on PostgreSQL only."""
        return self.url.startswith("postgresql")


def _snapshot(k: int, followers: int) -> Snapshot:
    bucket = T0 + k * HOUR
    return Snapshot(X_USER, bucket, 10 + k, followers, 3, 1, bucket + 5, bucket + 5)


async def _populate(engine: RoostEngine, url: str, *, snapshots: int) -> World:
    """An account tracking one X user with `snapshots` hourly snapshots from T0."""
    async with transaction(engine) as conn:
        account = await account_store.create_account(
            conn, email="ana@example.com", name="Ana", password_hash="-", tracker_slots=5, now=T0
        )
        await xuser_store.upsert_x_users(conn, users=[_User(X_USER, "ana", "Ana")], now=T0)
        assert await tracker_store.take_slots(conn, account_id=account.id, n=1)
        [tracker] = await tracker_store.create_trackers(conn, account_id=account.id, items=[("ana", X_USER)], now=T0)
        await snapshot_store.upsert_snapshots(conn, rows=[_snapshot(k, 1000 + k) for k in range(snapshots)])
    return World(engine, url, account.id, tracker.id, hot.HotReads(engine))


@pytest.fixture
async def world(database_url: str) -> AsyncIterator[World]:
    engine = create_engine(database_url)
    try:
        w = await _populate(engine, database_url, snapshots=10)
        await engine.changes.caught_up()  # PostgreSQL: listening from here on (SQLite: nothing to wait for)
        yield w
        await w.hot.aclose()
    finally:
        await engine.dispose()


async def _read(w: World, *, now: float = 0.0, max_age: float = 5.0, timeline: bool = False) -> Any:
    return await w.hot.owned_stats(
        names=stats_schema.columns(timeline),
        account_id=w.account_id,
        tracker_id=w.tracker_id,
        start=T0,
        end=T0 + 100 * HOUR,
        interval=HOUR,
        timeline=timeline,
        now=now,
        max_age=max_age,
    )


def _followers(found: Any) -> list[int]:
    followers = found.names.index("followers")  # rows are read by name
    return [row[followers] for row in found.rows]


async def test_an_answer_is_kept_until_this_process_commits(world: World) -> None:
    first = await _read(world)
    assert _followers(first) == [1000, 1009]
    assert (await _read(world) is first) == world.keeps  # from memory on PostgreSQL
    async with transaction(world.engine) as conn:
        await snapshot_store.upsert_snapshots(conn, rows=[_snapshot(10, 5000)])
    assert _followers(await _read(world)) == [1000, 5000]  # at once, no notification needed


async def test_a_commit_of_another_process_drops_kept_answers(world: World) -> None:
    week = await _read(world, timeline=True)
    assert (await _read(world, timeline=True) is week) == world.keeps
    other = create_engine(world.url)  # another process's engine: its commits reach us only through the database
    try:
        async with transaction(other) as conn:
            await snapshot_store.upsert_snapshots(conn, rows=[_snapshot(3, 7)])
        await world.engine.changes.caught_up()  # PostgreSQL: the notification is in (SQLite: the file tells)
        assert _followers(await _read(world, timeline=True))[3] == 7
        assert _followers(await _read(world)) == [1000, 1009]
        async with transaction(other) as conn:  # the tracker stops: its life, so the answer, ends there
            await tracker_store.stop_trackers(conn, account_id=world.account_id, ids=[world.tracker_id], now=T0 + 5)
        await world.engine.changes.caught_up()
        assert _followers(await _read(world)) == [1000, 1000]
        async with transaction(other) as conn:
            await conn.execute(text("DELETE FROM snapshots"))
        await world.engine.changes.caught_up()
        assert (await _read(world)).rows == []
    finally:
        await other.dispose()


async def test_nothing_is_kept_past_its_age(world: World) -> None:
    first = await _read(world, now=100.0)
    if not world.keeps:
        assert await _read(world, now=100.0) is not first
        return
    assert await _read(world, now=104.9) is first
    again = await _read(world, now=105.0)
    assert again == first and again is not first
    assert await _read(world, now=99.0) is not again  # a clock that went back trusts nothing
    uncached = await _read(world, max_age=0)
    assert await _read(world, max_age=0) is not uncached


@pytest.mark.postgres
async def test_a_change_during_the_read_is_not_kept(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    engine = create_engine(postgres_url)
    try:
        w = await _populate(engine, postgres_url, snapshots=3)
        assert await engine.changes.caught_up()
        real, reads = hot.HotReads._fetch, []

        async def racing(self: hot.HotReads, *args: Any) -> Any:
            rows = await real(self, *args)
            reads.append(rows)
            engine.changes.changed()  # a commit lands while the answer is on its way
            return rows

        monkeypatch.setattr(hot.HotReads, "_fetch", racing)
        await _read(w)
        monkeypatch.setattr(hot.HotReads, "_fetch", real)
        first = await _read(w)  # read again: the racing answer was not kept
        assert len(reads) == 1 and await _read(w) is first
        await w.hot.aclose()
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_a_lost_listening_connection_keeps_nothing(postgres_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # No reconnection within this test, however long the terminated backend takes to exit on a loaded machine (a
    # run saw the feed listening again, RETRY_SECONDS after it noticed the loss, by the time it was asked).
    monkeypatch.setattr(changes, "RETRY_SECONDS", 3600.0)
    engine = create_engine(postgres_url)
    other = create_engine(postgres_url)
    try:
        w = await _populate(engine, postgres_url, snapshots=3)
        assert await engine.changes.caught_up()
        first = await _read(w)
        assert await _read(w) is first
        admin = await asyncpg.connect(postgres_url.replace("postgresql+asyncpg://", "postgresql://"))
        try:  # the server drops the listening connection (a restart, a proxy, an administrator)
            killed = await admin.fetchval(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND application_name = 'roost-changes'"
            )
            # pg_terminate_backend only signals: wait until the backend has gone (a loaded machine seen answering
            # the listener's next query before it exited).
            for _ in range(600):
                left = await admin.fetchval(
                    "SELECT count(*) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND application_name = 'roost-changes'"
                )
                if left == 0:
                    break
                await asyncio.sleep(0.05)
        finally:
            await admin.close()
        assert killed == 1
        assert left == 0
        assert not await engine.changes.caught_up()  # it finds out; reconnecting waits RETRY_SECONDS
        async with transaction(other) as conn:  # a change nobody is notified of
            await snapshot_store.upsert_snapshots(conn, rows=[_snapshot(2, 77)])
        fresh = await _read(w)
        assert _followers(fresh) == [1000, 77]
        assert await _read(w) is not fresh  # nothing is kept while nothing listens
        await w.hot.aclose()
    finally:
        await other.dispose()
        await engine.dispose()
