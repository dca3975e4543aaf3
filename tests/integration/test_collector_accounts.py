"""Account changes seen by the collector: renames, suspensions, deletions, protected accounts, and the
`lastError` a tracker shows while something is wrong. Each case starts two hours before the world's event."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from roost.core import domain
from roost.store import tracker_list
from roost.store.trackers import TrackerView
from roost.xsim.personas import AccountEvents
from roost.xsim.world import World
from tests.integration.collector_helpers import HOUR, SEED, START, Rig, rig

DAY = 86400


def find(world: World, pick: Callable[[AccountEvents], float | None]) -> tuple[int, float]:
    """The first catalogue account for which `pick` gives an event time (at least a day after its creation)."""
    for index in range(500_000):
        user_id = world.catalogue_id(index)
        events = world.events(user_id)
        if events is None or not events.exists:
            continue
        at = pick(events)
        if at is not None and at > events.created_at + DAY:
            return user_id, at
    raise AssertionError("no such account in the world")


def short_suspension(e: AccountEvents) -> float | None:
    if e.suspensions and e.suspensions[0][1] - e.suspensions[0][0] <= 2 * DAY:
        return e.suspensions[0][0]
    return None


@asynccontextmanager
async def tracking(database_url: str, user_id: int, start: float) -> AsyncIterator[Rig]:
    """A rig whose clock starts at `start`, with one tracker of the user, created then."""
    async with rig(database_url, start=start) as r:
        state = r.world.user(user_id, start)
        assert state is not None
        await r.track([state.username])
        yield r


async def view(r: Rig) -> TrackerView:
    async with r.engine.connect() as conn:
        views, total = await tracker_list.list_trackers(conn, account_id=r.account_id, interval=HOUR)
    assert total == 1
    return views[0]


async def buckets(r: Rig, user_id: int) -> list[int]:
    return [row[1] for row in await r.snapshot_rows() if row[0] == user_id]


def hours(first: float, last: float) -> list[int]:
    """Buckets from the one holding `first` to the one holding `last`, inclusive."""
    return list(range(domain.bucket_of(first, HOUR), domain.bucket_of(last, HOUR) + 1, HOUR))


def start_before(at: float) -> float:
    return domain.bucket_of(at, HOUR) - 2 * HOUR + 120


async def test_a_rename_moves_the_tracker_to_the_new_name(database_url: str) -> None:
    world = World(SEED)
    user_id, at = find(world, lambda e: e.rename[0] if e.rename else None)
    start = start_before(at)
    async with tracking(database_url, user_id, start) as r:
        old = r.world.user(user_id, start)
        assert old is not None
        await r.collector().run(until=at + 2 * HOUR)
        tracker = await view(r)
        new = r.world.user(user_id, at + HOUR)
        assert new is not None and new.username.lower() != old.username.lower()
        assert tracker.username == new.username
        assert tracker.tracker.alias.lower() == old.username.lower()  # the alias stays as asked
        assert tracker.last_error is None
        assert await buckets(r, user_id) == hours(start, at + 2 * HOUR - 1)


async def test_a_suspension_pauses_collection_and_its_end_resumes_it(database_url: str) -> None:
    world = World(SEED)
    user_id, at = find(world, short_suspension)
    events = world.events(user_id)
    assert events is not None
    until = events.suspensions[0][1]
    start = start_before(at)
    async with tracking(database_url, user_id, start) as r:
        collector = r.collector()
        await collector.run(until=at + 2 * HOUR)
        during = await view(r)
        assert during.user_state == "suspended"
        assert during.last_error is not None and "suspended" in during.last_error
        await collector.run(until=until + 2 * HOUR)
        after = await view(r)
        assert after.user_state == "ok" and after.last_error is None
        # Retried (one lookup) every bucket while suspended; a snapshot in every bucket it was visible.
        per_bucket = Counter[int]()
        for report in collector.reports:
            per_bucket[report.bucket] += report.requests
        assert set(per_bucket.values()) == {0, 1} and per_bucket[domain.bucket_of(start, HOUR)] == 0
        # Each bucket is collected as it opens: a snapshot exactly for those that opened outside [at, until).
        want = [b for b in hours(start, until + 2 * HOUR - 1) if b < at or b >= until]
        got = await buckets(r, user_id)
        assert got == want and len(got) < len(hours(start, until + 2 * HOUR - 1))


async def test_a_deleted_account_keeps_its_history_and_says_why_it_stopped(database_url: str) -> None:
    world = World(SEED)
    user_id, at = find(world, lambda e: e.deleted_at)
    start = start_before(at)
    async with tracking(database_url, user_id, start) as r:
        collector = r.collector()
        await collector.run(until=at + 3 * HOUR)
        tracker = await view(r)
        assert tracker.user_state == "not_found"
        assert tracker.last_error is not None and "not found" in tracker.last_error
        assert tracker.tracker.status == "active"  # still retried each bucket, in case it comes back
        assert [report.requests for report in collector.reports[-2:]] == [1, 1]
        assert await buckets(r, user_id) == hours(start, at)


async def test_a_protected_account_is_still_counted_and_flagged(database_url: str) -> None:
    world = World(SEED)
    user_id, at = find(world, lambda e: e.protected_from)
    start = start_before(at)
    async with tracking(database_url, user_id, start) as r:
        await r.collector().run(until=at + 2 * HOUR)
        tracker = await view(r)
        assert tracker.user_state == "protected"
        assert tracker.last_error is not None and "protected" in tracker.last_error
        assert await buckets(r, user_id) == hours(start, at + 2 * HOUR - 1)


def plain(e: AccountEvents) -> float | None:
    return None if e.suspensions or e.deleted_at or e.protected_from or e.rename else e.created_at + 2 * DAY


async def test_a_missed_bucket_is_shown_until_the_next_lookup_succeeds(database_url: str) -> None:
    world = World(SEED)
    user_id, _ = find(world, plain)
    start = START
    async with tracking(database_url, user_id, start) as r:
        collector = r.collector()
        r.xsim_config.faults.error_rate = 1.0
        await collector.run(until=start - 120 + 2 * HOUR)
        missed = await view(r)
        assert missed.last_error is not None and "could not be reached" in missed.last_error
        assert collector.reports[-1].gaps == 1
        r.xsim_config.faults.error_rate = 0.0
        await collector.run(until=start - 120 + 3 * HOUR)
        assert (await view(r)).last_error is None
        assert await buckets(r, user_id) == [domain.bucket_of(start, HOUR), domain.bucket_of(start, HOUR) + 2 * HOUR]
