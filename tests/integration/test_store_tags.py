"""Tags: per-account names, all-or-nothing assignment, listing with members."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from roost.store import accounts as account_store
from roost.store import tags as tag_store
from roost.store import tracker_list
from roost.store import trackers as tracker_store
from roost.store import xusers as xuser_store
from roost.store.schema import tracker_tags

T0 = 1_795_000_000


@dataclass(frozen=True)
class User:
    id: int
    username: str
    name: str = ""
    protected: bool = False


async def account_with_trackers(engine: AsyncEngine, email: str, n: int, first_user: int) -> tuple[int, list[str]]:
    users = [User(first_user + i, f"u{first_user + i}") for i in range(n)]
    async with engine.begin() as conn:
        account = await account_store.create_account(
            conn, email=email, name="x", password_hash="h", tracker_slots=n, now=T0
        )
        await xuser_store.upsert_x_users(conn, users=users, now=T0)
        assert await tracker_store.take_slots(conn, account_id=account.id, n=n)
        made = await tracker_store.create_trackers(
            conn, account_id=account.id, items=[(u.username, u.id) for u in users], now=T0
        )
    return account.id, [t.id for t in made]


async def test_tags_are_unique_per_account(migrated_engine: AsyncEngine) -> None:
    ana, _ = await account_with_trackers(migrated_engine, "ana@example.com", 0, 1)
    bob, _ = await account_with_trackers(migrated_engine, "bob@example.com", 0, 1)
    async with migrated_engine.begin() as conn:
        clubs = await tag_store.create_tag(conn, account_id=ana, name="clubs", now=T0)
        assert clubs is not None
        assert await tag_store.create_tag(conn, account_id=ana, name="clubs", now=T0) is None
        assert await tag_store.create_tag(conn, account_id=ana, name="Clubs", now=T0) is not None
        assert await tag_store.create_tag(conn, account_id=bob, name="clubs", now=T0) is not None
    async with migrated_engine.connect() as conn:
        tags, total = await tag_store.list_tags(conn, account_id=ana)
        assert (total, [t.name for t in tags]) == (2, ["Clubs", "clubs"])
        page, total = await tag_store.list_tags(conn, account_id=ana, offset=1, limit=1)
        assert (total, [t.id for t in page]) == (2, [clubs])


async def test_assign_and_unassign_all_or_nothing(migrated_engine: AsyncEngine) -> None:
    ana, (t1, t2, t3) = await account_with_trackers(migrated_engine, "ana@example.com", 3, 100)
    bob, (foreign,) = await account_with_trackers(migrated_engine, "bob@example.com", 1, 200)
    async with migrated_engine.begin() as conn:
        clubs = await tag_store.create_tag(conn, account_id=ana, name="clubs", now=T0)
        rivals = await tag_store.create_tag(conn, account_id=ana, name="rivals", now=T0)
        bobs = await tag_store.create_tag(conn, account_id=bob, name="mine", now=T0)
    assert clubs and rivals and bobs

    async def assign(add: list[str], remove: list[str], trackers: list[str], now: int = T0 + 10) -> list[str]:
        async with migrated_engine.begin() as conn:
            return await tag_store.assign(conn, account_id=ana, add=add, remove=remove, tracker_ids=trackers, now=now)

    assert await assign([clubs, rivals], [], [t1, t2]) == []
    assert await assign([clubs], [], [t1, t3]) == []  # (t1, clubs) exists already: fine
    # Any unknown or foreign id: nothing is written, and the ids are reported.
    assert await assign([clubs], [], [t2, foreign]) == [foreign]
    assert await assign([bobs, "nope"], [], [t3]) == sorted([bobs, "nope"])
    assert await assign([], [rivals], [t1], now=T0 + 20) == []
    assert await assign([rivals], [rivals], [t3], now=T0 + 30) == []  # removal first: t3 ends up in rivals
    assert await assign([], [], [t1]) == []

    async with migrated_engine.connect() as conn:
        tags, _ = await tag_store.list_tags(conn, account_id=ana)
        by_name = {t.name: t for t in tags}
        assert by_name["clubs"].tracker_ids == tuple(sorted([t1, t2, t3]))
        assert by_name["rivals"].tracker_ids == tuple(sorted([t2, t3]))
        assert (by_name["rivals"].created_at, by_name["rivals"].updated_at) == (T0, T0 + 30)
        assert await tag_store.tracker_ids_for_tag(conn, account_id=ana, tag_id=rivals) == sorted([t2, t3])
        assert await tag_store.tracker_ids_for_tag(conn, account_id=ana, tag_id=bobs) is None
        assert await tag_store.tracker_ids_for_tag(conn, account_id=ana, tag_id="nope") is None
        views, _ = await tracker_list.list_trackers(conn, account_id=ana, interval=3600)
        assert {v.tracker.id: v.tag_ids for v in views}[t2] == tuple(sorted([clubs, rivals]))
        assert (await conn.execute(select(func.count()).select_from(tracker_tags))).scalar_one() == 5
