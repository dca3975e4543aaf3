"""Trackers and tracker slots in the store, on SQLite and PostgreSQL, including real concurrency."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

from roost.core.domain import Snapshot
from roost.core.listquery import Filter, ListQuery, Order
from roost.store import accounts as account_store
from roost.store import snapshots as snapshot_store
from roost.store import tags as tag_store
from roost.store import tracker_list
from roost.store import trackers as tracker_store
from roost.store import xusers as xuser_store
from roost.store.db import create_engine
from roost.store.schema import trackers, x_users

T0 = 1_795_000_000
HOUR = 3600
B0 = T0 - T0 % HOUR  # the bucket T0 falls in


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str = "Someone"
    protected: bool = False


async def setup(engine: AsyncEngine, *, slots: int, users: int) -> tuple[int, list[User]]:
    """An account with `slots` slots and `users` known X users (ids up in the 64-bit range)."""
    people = [User(id=2**62 + i, username=f"user{i}") for i in range(users)]
    async with engine.begin() as conn:
        account = await account_store.create_account(
            conn, email="ana@example.com", name="Ana", password_hash="h", tracker_slots=slots, now=T0
        )
        await xuser_store.upsert_x_users(conn, users=people, now=T0)
    return account.id, people


async def used_slots(engine: AsyncEngine, account_id: int) -> int:
    async with engine.connect() as conn:
        balance = await account_store.get_balance(conn, account_id=account_id)
    assert balance is not None
    return balance.used


async def test_take_slots(migrated_engine: AsyncEngine) -> None:
    account_id, _ = await setup(migrated_engine, slots=3, users=0)
    async with migrated_engine.begin() as conn:
        assert await tracker_store.take_slots(conn, account_id=account_id, n=2)
        assert not await tracker_store.take_slots(conn, account_id=account_id, n=2)  # all or none
        assert await tracker_store.take_up_to(conn, account_id=account_id, n=5) == 1
        assert await tracker_store.take_up_to(conn, account_id=account_id, n=5) == 0
        assert not await tracker_store.take_slots(conn, account_id=9999, n=1)
        assert await tracker_store.take_up_to(conn, account_id=9999, n=1) == 0
    assert await used_slots(migrated_engine, account_id) == 3  # slots come back only by stopping (stop_trackers)


async def test_a_failed_transaction_writes_nothing(migrated_engine: AsyncEngine) -> None:
    account_id, people = await setup(migrated_engine, slots=5, users=2)
    with pytest.raises(RuntimeError, match="boom"):
        async with migrated_engine.begin() as conn:
            assert await tracker_store.take_slots(conn, account_id=account_id, n=2)
            await tracker_store.create_trackers(
                conn, account_id=account_id, items=[("user0", people[0].id), ("user1", people[1].id)], now=T0
            )
            raise RuntimeError("boom")
    assert await used_slots(migrated_engine, account_id) == 0
    async with migrated_engine.connect() as conn:
        assert (await conn.execute(select(trackers.c.id))).all() == []


async def create_one(engine: AsyncEngine, account_id: int, user: User, *, partial: bool) -> bool:
    """One API-like create: read, take a slot, insert the tracker, all in one write transaction."""
    async with engine.begin() as conn:
        await tracker_store.active_tracker_user_ids(conn, account_id=account_id)  # read first, then write
        if partial:
            taken = await tracker_store.take_up_to(conn, account_id=account_id, n=1) == 1
        else:
            taken = await tracker_store.take_slots(conn, account_id=account_id, n=1)
        if taken:
            await tracker_store.create_trackers(conn, account_id=account_id, items=[(user.username, user.id)], now=T0)
        return taken


@pytest.mark.parametrize("engines", [1, 5], ids=["one-engine", "five-engines"])
@pytest.mark.parametrize("partial", [False, True], ids=["take_slots", "take_up_to"])
async def test_fifty_concurrent_creates_against_ten_slots_make_exactly_ten(
    migrated_engine: AsyncEngine, database_url: str, partial: bool, engines: int
) -> None:
    """Each task runs in its own transaction on its own pooled connection. Five engines stand for five processes:
    on SQLite, writers of one engine take turns on its lock, and writers of different engines queue on
    BEGIN IMMEDIATE + busy_timeout, so no "database is locked" escapes; on PostgreSQL the conditional UPDATE
    serializes on the account's row lock."""
    account_id, people = await setup(migrated_engine, slots=10, users=50)
    pool = [migrated_engine] + [create_engine(database_url) for _ in range(engines - 1)]
    try:
        results = await asyncio.gather(
            *(create_one(pool[i % engines], account_id, u, partial=partial) for i, u in enumerate(people))
        )
    finally:
        for extra in pool[1:]:
            await extra.dispose()
    assert sum(results) == 10
    assert await used_slots(migrated_engine, account_id) == 10
    async with migrated_engine.connect() as conn:
        made = (await conn.execute(select(trackers.c.x_user_id).where(trackers.c.status == "active"))).scalars()
        assert len(set(made)) == 10


async def test_create_get_and_the_one_active_tracker_rule(migrated_engine: AsyncEngine) -> None:
    account_id, people = await setup(migrated_engine, slots=10, users=2)
    async with migrated_engine.begin() as conn:
        other = await account_store.create_account(
            conn, email="bob@example.com", name="Bob", password_hash="h", tracker_slots=5, now=T0
        )
        assert await tracker_store.take_slots(conn, account_id=account_id, n=2)
        made = await tracker_store.create_trackers(
            conn, account_id=account_id, items=[("@User0", people[0].id), ("user1", people[1].id)], now=T0
        )
    assert [(t.alias, t.x_user_id, t.status, t.stopped_at) for t in made] == [
        ("User0", people[0].id, "active", None),
        ("user1", people[1].id, "active", None),
    ]
    async with migrated_engine.connect() as conn:
        assert await tracker_store.get_owned_tracker(conn, account_id=account_id, tracker_id=made[0].id) == made[0]
        assert await tracker_store.get_owned_tracker(conn, account_id=other.id, tracker_id=made[0].id) is None
        assert await tracker_store.get_owned_tracker(conn, account_id=account_id, tracker_id="not-a-uuid") is None
        assert await tracker_store.active_tracker_user_ids(conn, account_id=account_id) == {u.id for u in people}
        assert await tracker_store.active_aliases(conn, account_id=account_id) == {"user0", "user1"}
        among = await tracker_store.active_aliases(conn, account_id=account_id, among=["user1", "nobody"])
        assert among == {"user1"}
        assert await tracker_store.active_tracker_user_ids(conn, account_id=account_id, among=[people[1].id, 1]) == {
            people[1].id
        }
        owned = await tracker_store.get_owned_trackers(conn, account_id=account_id, ids=[made[1].id, "nope"])
        assert owned == [made[1]]
    # A second active tracker of the same user for the same account is refused by the partial unique index ...
    with pytest.raises(IntegrityError):
        async with migrated_engine.begin() as conn:
            await tracker_store.create_trackers(conn, account_id=account_id, items=[("x", people[0].id)], now=T0)
    async with migrated_engine.begin() as conn:
        # ... another account may track it, and once stopped it may be tracked again (a new tracker).
        assert await tracker_store.take_slots(conn, account_id=other.id, n=1)
        await tracker_store.create_trackers(conn, account_id=other.id, items=[("user0", people[0].id)], now=T0)
        for t in (T0 + 1, T0 + 3):
            await tracker_store.stop_trackers(conn, account_id=account_id, ids=[made[0].id], now=t)
            assert await tracker_store.take_slots(conn, account_id=account_id, n=1)
            made = await tracker_store.create_trackers(
                conn, account_id=account_id, items=[("user0", people[0].id)], now=t + 1
            )
    async with migrated_engine.connect() as conn:
        rows = (await conn.execute(select(trackers.c.status).where(trackers.c.x_user_id == people[0].id))).scalars()
        assert sorted(rows) == ["active", "active", "stopped", "stopped"]


async def test_stop_gives_each_slot_back_exactly_once(migrated_engine: AsyncEngine) -> None:
    account_id, people = await setup(migrated_engine, slots=3, users=3)
    async with migrated_engine.begin() as conn:
        other = await account_store.create_account(
            conn, email="bob@example.com", name="Bob", password_hash="h", tracker_slots=1, now=T0
        )
        assert await tracker_store.take_slots(conn, account_id=account_id, n=3)
        made = await tracker_store.create_trackers(
            conn, account_id=account_id, items=[(u.username, u.id) for u in people], now=T0
        )
        assert await tracker_store.take_slots(conn, account_id=other.id, n=1)
        foreign = await tracker_store.create_trackers(conn, account_id=other.id, items=[("u", people[0].id)], now=T0)
    a, b, c = (t.id for t in made)
    async with migrated_engine.begin() as conn:
        outcome = await tracker_store.stop_trackers(
            conn, account_id=account_id, ids=[a, "unknown", a, foreign[0].id], now=T0 + 60
        )
    assert outcome == [(a, "ok"), ("unknown", "not_found"), (foreign[0].id, "not_found")]
    assert await used_slots(migrated_engine, account_id) == 2
    assert await used_slots(migrated_engine, other.id) == 1  # a foreign tracker is untouched
    async with migrated_engine.begin() as conn:
        outcome = await tracker_store.stop_trackers(conn, account_id=account_id, ids=[a, b], now=T0 + 120)
        assert await tracker_store.stop_trackers(conn, account_id=account_id, ids=[], now=T0) == []
    assert outcome == [(a, "already_stopped"), (b, "ok")]
    assert await used_slots(migrated_engine, account_id) == 1
    async with migrated_engine.connect() as conn:
        stopped = await tracker_store.get_owned_tracker(conn, account_id=account_id, tracker_id=a)
    assert stopped is not None and (stopped.status, stopped.stopped_at, stopped.updated_at) == (
        "stopped",
        T0 + 60,
        T0 + 60,
    )

    async def stop_c() -> list[tuple[str, tracker_store.StopResult]]:
        async with migrated_engine.begin() as conn:
            return await tracker_store.stop_trackers(conn, account_id=account_id, ids=[c], now=T0 + 180)

    results = await asyncio.gather(*(stop_c() for _ in range(8)))  # concurrent stops of one tracker
    assert sorted(r[0][1] for r in results) == ["already_stopped"] * 7 + ["ok"]
    assert await used_slots(migrated_engine, account_id) == 0


async def test_list_trackers_newest_first_with_filters_names_tags_and_last_snapshot(
    migrated_engine: AsyncEngine,
) -> None:
    account_id, people = await setup(migrated_engine, slots=10, users=3)
    u0, u1, u2 = people

    def snap(user: User, bucket: int, followers: int) -> Snapshot:
        return Snapshot(user.id, bucket, 10, followers, 5, 1, bucket + 30, bucket + 30)

    async with migrated_engine.begin() as conn:
        assert await tracker_store.take_slots(conn, account_id=account_id, n=3)
        first = await tracker_store.create_trackers(conn, account_id=account_id, items=[("User0", u0.id)], now=T0)
        second = await tracker_store.create_trackers(conn, account_id=account_id, items=[("user1", u1.id)], now=T0 + 10)
        third = await tracker_store.create_trackers(conn, account_id=account_id, items=[("user2", u2.id)], now=T0 + 20)
        await tracker_store.stop_trackers(conn, account_id=account_id, ids=[second[0].id], now=B0 + 2 * HOUR + 5)
        await snapshot_store.upsert_snapshots(
            conn,
            rows=[
                snap(u0, B0 - HOUR, 1),  # before any tracker of u0 existed: never its last snapshot
                snap(u1, B0, 100),
                snap(u1, B0 + HOUR, 101),
                snap(u1, B0 + 2 * HOUR, 102),  # bucket starts before the stop: inside the life
                snap(u1, B0 + 3 * HOUR, 103),  # after the stop: outside
                snap(u2, B0 + 5 * HOUR, 500),
            ],
        )
        tag = await tag_store.create_tag(conn, account_id=account_id, name="clubs", now=T0)
        assert tag is not None
        await tag_store.assign(conn, account_id=account_id, add=[tag], remove=[], tracker_ids=[third[0].id], now=T0)
        await xuser_store.upsert_x_users(conn, users=[User(u2.id, "renamed", "New Name")], now=T0 + 30)
        await xuser_store.set_state(
            conn, x_user_id=u0.id, state="suspended", error="The X account is suspended.", now=T0
        )

    async with migrated_engine.connect() as conn:
        views, total = await tracker_list.list_trackers(conn, account_id=account_id, interval=HOUR)
        assert total == 3
        assert [v.tracker.id for v in views] == [third[0].id, second[0].id, first[0].id]
        v2, v1, v0 = views
        assert (v2.username, v2.name, v2.tag_ids, v2.user_state) == ("renamed", "New Name", (tag,), "ok")
        assert v2.last_snapshot is not None and v2.last_snapshot.followers == 500
        assert v1.tracker.status == "stopped" and v1.last_snapshot is not None
        assert (v1.last_snapshot.bucket, v1.last_snapshot.followers) == (B0 + 2 * HOUR, 102)
        assert v0.last_snapshot is None and v0.tag_ids == ()
        assert (v0.user_state, v0.last_error) == ("suspended", "The X account is suspended.")

        page, total = await tracker_list.list_trackers(conn, account_id=account_id, interval=HOUR, offset=1, limit=1)
        assert (total, [v.tracker.id for v in page]) == (3, [second[0].id])
        active, total = await tracker_list.list_trackers(conn, account_id=account_id, interval=HOUR, status="active")
        assert (total, {v.tracker.id for v in active}) == (2, {first[0].id, third[0].id})
        stopped, total = await tracker_list.list_trackers(conn, account_id=account_id, interval=HOUR, status="stopped")
        assert (total, [v.tracker.id for v in stopped]) == (1, [second[0].id])
        for query in ("user0", "@USER0", "User0"):
            found, total = await tracker_list.list_trackers(conn, account_id=account_id, interval=HOUR, alias=query)
            assert (total, [v.tracker.id for v in found]) == (1, [first[0].id])
        none, total = await tracker_list.list_trackers(conn, account_id=account_id, interval=HOUR, alias="user")
        assert (none, total) == ([], 0)
        others, total = await tracker_list.list_trackers(conn, account_id=account_id + 1, interval=HOUR)
        assert (others, total) == ([], 0)


async def test_a_page_is_the_slice_of_the_whole_list_with_its_total(migrated_engine: AsyncEngine) -> None:
    """The list cuts the page before it reads snapshots and tags: every page (ordered by a field, filtered, past
    the end) holds the rows of the whole list at those positions, the total, and each row's own tags, sorted."""
    account_id, people = await setup(migrated_engine, slots=10, users=7)
    async with migrated_engine.begin() as conn:
        assert await tracker_store.take_slots(conn, account_id=account_id, n=7)
        made = [
            (await tracker_store.create_trackers(conn, account_id=account_id, items=[(u.username, u.id)], now=T0 + k))[
                0
            ]
            for k, u in enumerate(people)
        ]
        await tracker_store.stop_trackers(conn, account_id=account_id, ids=[made[2].id, made[5].id], now=T0 + HOUR)
        await snapshot_store.upsert_snapshots(
            conn, rows=[Snapshot(u.id, B0 + k * HOUR, 1, 10 * k, 1, 1, B0, B0) for k, u in enumerate(people)]
        )
        tags = []
        for name in ("a", "b", "c"):
            tag = await tag_store.create_tag(conn, account_id=account_id, name=name, now=T0)
            assert tag is not None
            tags.append(tag)
        await tag_store.assign(conn, account_id=account_id, add=tags, remove=[], tracker_ids=[made[1].id], now=T0)
        await tag_store.assign(conn, account_id=account_id, add=tags[:1], remove=[], tracker_ids=[made[4].id], now=T0)

    queries = [
        None,
        ListQuery(order=Order("alias", descending=False)),
        ListQuery(order=Order("stoppedAt", descending=True)),
        ListQuery(filters=(Filter("status", "eq", ("active",)),), order=Order("createdAt", descending=False)),
        ListQuery(filters=(Filter("alias", "nin", ("USER0", "@user3")),)),
    ]
    async with migrated_engine.connect() as conn:
        for query in queries:
            every, total = await tracker_list.list_trackers(conn, account_id=account_id, interval=HOUR, query=query)
            assert total == len(every) > 0
            for offset, limit in ((0, 2), (1, 3), (4, 10), (len(every), 5), (len(every) + 3, 1)):
                page, page_total = await tracker_list.list_trackers(
                    conn, account_id=account_id, interval=HOUR, query=query, offset=offset, limit=limit
                )
                assert page_total == total, (query, offset)
                assert page == every[offset : offset + limit], (query, offset)
        views, _ = await tracker_list.list_trackers(conn, account_id=account_id, interval=HOUR)
    by_id = {v.tracker.id: v for v in views}
    assert by_id[made[1].id].tag_ids == tuple(sorted(tags))
    assert by_id[made[4].id].tag_ids == (tags[0],) and by_id[made[0].id].tag_ids == ()
    assert [by_id[t.id].last_snapshot.followers for t in made if by_id[t.id].last_snapshot] == [0, 10, 30, 40, 60]


async def test_first_and_last_snapshots_are_the_lifes_ends_wherever_they_lie(migrated_engine: AsyncEngine) -> None:
    """The list looks for a tracker's newest snapshot near its user's last collected bucket and its oldest near its
    creation first (store.tracker_list): months away from those, or past them, the ends are still the true ones."""
    account_id, (u0, u1) = await setup(migrated_engine, slots=4, users=2)
    day = 24 * HOUR
    born = B0 - 120 * day  # four months of history, both ends far from the edges the list probes first
    async with migrated_engine.begin() as conn:
        other = await account_store.create_account(
            conn, email="bob@example.com", name="Bob", password_hash="h", tracker_slots=1, now=born
        )
        assert await tracker_store.take_slots(conn, account_id=account_id, n=2)
        assert await tracker_store.take_slots(conn, account_id=other.id, n=1)
        gap = (await tracker_store.create_trackers(conn, account_id=account_id, items=[("user0", u0.id)], now=born))[0]
        old = (await tracker_store.create_trackers(conn, account_id=account_id, items=[("user1", u1.id)], now=born))[0]
        await tracker_store.create_trackers(conn, account_id=other.id, items=[("user1", u1.id)], now=born)
        await tracker_store.stop_trackers(conn, account_id=account_id, ids=[old.id], now=B0 - 60 * day + 5)
        rows = [
            # u0: first collected 30 days after the tracker was made; the last collected bucket is B0 - 10 days,
            # and one newer snapshot came later from elsewhere (an import).
            *(Snapshot(u0.id, b, 1, b // HOUR % 1000, 1, 1, b, b) for b in (born + 30 * day, B0 - 10 * day)),
            Snapshot(u0.id, B0 - 3 * day, 1, 7, 1, 1, B0, B0),
            # u1: collected from the start to B0 for Bob; the stopped tracker's life ends 60 days before B0.
            *(Snapshot(u1.id, b, 1, b // HOUR % 1000, 1, 1, b, b) for b in range(born, B0 + HOUR, 5 * day)),
        ]
        await snapshot_store.upsert_snapshots(conn, rows=rows)
        await conn.execute(x_users.update().where(x_users.c.id == u0.id).values(last_bucket=B0 - 10 * day))
        await conn.execute(x_users.update().where(x_users.c.id == u1.id).values(last_bucket=B0))

    async with migrated_engine.connect() as conn:
        views, _ = await tracker_list.list_trackers(conn, account_id=account_id, interval=HOUR)
    by_id = {v.tracker.id: v for v in views}
    u1_life = [b for b in range(born, B0 + HOUR, 5 * day) if b <= B0 - 60 * day + 5]
    assert by_id[gap.id].first_bucket == born + 30 * day
    assert by_id[gap.id].last_snapshot is not None and by_id[gap.id].last_snapshot.bucket == B0 - 3 * day
    assert by_id[old.id].first_bucket == born
    assert by_id[old.id].last_snapshot is not None and by_id[old.id].last_snapshot.bucket == u1_life[-1]
