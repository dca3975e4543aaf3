"""The collector in virtual time against the emulator: exactly one snapshot per bucket, faults, outages, workers."""

from __future__ import annotations

import asyncio
import math
import signal
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from sqlalchemy import func, select

from roost.core import domain
from roost.store.schema import x_users
from roost.xsim.config import XsimConfig
from tests.integration.collector_helpers import DAY, HOUR, START, Rig, quiet_names, rig

PROJECT = Path(__file__).resolve().parents[2]


def expected_buckets(start: float, end: float) -> list[int]:
    first = domain.bucket_of(start, HOUR)
    return list(range(first, domain.bucket_of(end - 1, HOUR) + 1, HOUR))


async def lookup_requests(r: Rig) -> Counter[str]:
    stats = r.transport.app.state.stats  # type: ignore[attr-defined]
    return Counter({key: value for key, value in stats.items() if key.startswith("GET /2/users ")})


@pytest.mark.slow
@pytest.mark.parametrize("days", [1, pytest.param(7, marks=pytest.mark.long)])
async def test_a_week_of_hourly_snapshots_for_1000_trackers(database_url: str, days: int) -> None:
    """1,000 trackers, every hourly bucket. `make test` runs a day (25 buckets across a UTC midnight and its
    maintenance round: the same code paths); the full week is `pytest -m long` (two minutes more per database)."""
    async with rig(database_url) as r:
        names = quiet_names(r.world, 1000, START, START + days * DAY)
        await r.track(names)
        collector = r.collector()
        await collector.run(until=START + days * DAY)
        rows = await r.snapshot_rows()
        by_user: dict[int, list[tuple[int, int, int, int, int, int, int]]] = defaultdict(list)
        for row in rows:
            by_user[row[0]].append(row)
        assert len(by_user) == 1000
        buckets = expected_buckets(START, START + days * DAY)
        assert len(buckets) == 24 * days + 1  # starting mid-hour, a week touches 169 hours
        for user_id, series in by_user.items():
            assert [row[1] for row in series] == buckets, user_id
        # Every value is what the emulator's world said at the moment it was collected.
        for user_id in list(by_user)[::10]:
            for _, bucket, tweets, followers, following, lists, created_at in by_user[user_id]:
                assert bucket <= created_at < bucket + HOUR
                state = r.world.user(user_id, created_at)
                assert state is not None
                assert (tweets, followers, following, lists) == (
                    state.tweet_count,
                    state.followers_count,
                    state.following_count,
                    state.listed_count,
                ), (user_id, bucket)
        # One lookup of 100 ids per batch: 10 per bucket after the creation bucket (which used /2/users/by).
        assert sum(report.requests for report in collector.reports) == 10 * 24 * days


async def test_an_upstream_outage_leaves_gaps_and_collection_resumes(database_url: str) -> None:
    async with rig(database_url) as r:
        names = quiet_names(r.world, 150, START, START + DAY)
        await r.track(names)
        collector = r.collector()
        outage_start = domain.bucket_of(START, HOUR) + 5 * HOUR
        await collector.run(until=outage_start)
        r.xsim_config.faults.error_rate = 1.0
        await collector.run(until=outage_start + 3 * HOUR)
        r.xsim_config.faults.error_rate = 0.0
        await collector.run(until=START + DAY)
        rows = await r.snapshot_rows()
        per_user: dict[int, list[int]] = defaultdict(list)
        for row in rows:
            per_user[row[0]].append(row[1])
        outage = {outage_start + k * HOUR for k in range(3)}
        want = [b for b in expected_buckets(START, START + DAY) if b not in outage]
        assert len(per_user) == 150
        for series in per_user.values():
            assert series == want


@pytest.mark.parametrize("fault", ["error_rate", "hidden_429_rate", "slow_rate"])
async def test_faults_cost_no_bucket_and_never_overspend(database_url: str, fault: str) -> None:
    async with rig(database_url) as r:
        names = quiet_names(r.world, 300, START, START + DAY, offset=5000)
        await r.track(names)
        setattr(r.xsim_config.faults, fault, 0.1)
        r.xsim_config.faults.slow_seconds = 20
        await r.collector().run(until=START + DAY)
        rows = await r.snapshot_rows()
        assert Counter(row[1] for row in rows) == Counter({b: 300 for b in expected_buckets(START, START + DAY)})
        stats = r.transport.app.state.stats  # type: ignore[attr-defined]
        assert stats.get("budget_429", 0) == 0


@pytest.mark.postgres
async def test_three_workers_share_the_work(postgres_url: str) -> None:
    async with rig(postgres_url) as r:
        names = quiet_names(r.world, 1050, START, START + DAY, offset=20000)
        await r.track(names)
        workers = [r.collector(f"w{i}") for i in range(3)]
        # The test plays the clock: the three passes of a bucket run side by side, then time moves on.
        for hour in range(6):
            r.clock.set(domain.bucket_of(START, HOUR) + hour * HOUR + 180)
            await asyncio.gather(*(w.run_once() for w in workers))
        assert all(sum(rep.users for rep in w.reports) > 0 for w in workers), "every worker took a share"
        rows = await r.snapshot_rows()
        assert Counter(row[1] for row in rows) == Counter({b: 1050 for b in expected_buckets(START, START + 5 * HOUR)})
        # Creation stored the first bucket's snapshots; each later bucket costs exactly ceil(1050 / 100) lookups,
        # and no user is looked up twice in a bucket.
        per_bucket: Counter[int] = Counter()
        users_per_bucket: Counter[int] = Counter()
        for w in workers:
            for report in w.reports:
                per_bucket[report.bucket] += report.requests
                users_per_bucket[report.bucket] += report.users
        first = domain.bucket_of(START, HOUR)
        assert per_bucket == Counter({first + h * HOUR: math.ceil(1050 / 100) for h in range(1, 6)})
        assert users_per_bucket == Counter({first + h * HOUR: 1050 for h in range(1, 6)})


@pytest.mark.postgres
async def test_a_worker_killed_mid_batch_loses_nothing(postgres_url: str) -> None:
    async with rig(postgres_url) as r:
        names = quiet_names(r.world, 350, START, START + DAY, offset=40000)
        await r.track(names)
        bucket = domain.bucket_of(START, HOUR) + HOUR
        r.clock.set(bucket + 180)
        # A real worker process collects two batches of 100, claims a third, and hangs on its request.
        child = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "tests.integration.killable_worker",
            postgres_url,
            str(r.clock.now()),
            "3",
            stdout=asyncio.subprocess.PIPE,
            cwd=PROJECT,
        )
        assert child.stdout is not None
        line = await asyncio.wait_for(child.stdout.readline(), timeout=60)
        assert line.strip() == b"HANGING"
        child.send_signal(signal.SIGKILL)
        assert await child.wait() == -signal.SIGKILL
        async with r.engine.connect() as conn:
            leased = await conn.scalar(
                select(func.count()).select_from(x_users).where(x_users.c.lease_owner == "doomed")
            )
        assert leased == 100  # the dead worker's batch is still leased to it
        # A surviving worker takes the rest at once and the dead batch when its lease runs out, within the bucket.
        survivor = r.collector("survivor")
        await survivor.run(until=bucket + HOUR)
        rows = await r.snapshot_rows()
        in_bucket = [row for row in rows if row[1] == bucket]
        assert sorted(row[0] for row in in_bucket) == sorted({row[0] for row in rows})  # each user once
        assert len(in_bucket) == 350
        assert sum(report.requests for report in survivor.reports) == 2  # 50 left over, then the 100 taken back
        for user_id, _, tweets, followers, following, lists, created_at in in_bucket[::7]:
            state = r.world.user(user_id, created_at)
            assert state is not None
            assert (tweets, followers, following, lists) == (
                state.tweet_count,
                state.followers_count,
                state.following_count,
                state.listed_count,
            )


async def test_past_the_rate_limit_the_longest_waiting_users_go_first(database_url: str) -> None:
    # Two lookups per 15-minute window: 8 an hour, 800 of 1,000 users; the pass stops (no spinning) when the
    # budget is spent to the end of the bucket, and the next bucket starts with the 200 who missed this one.
    async with rig(database_url, config=XsimConfig(seed=2024, limits={"GET /2/users": 2})) as r:
        names = quiet_names(r.world, 1000, START, START + DAY, offset=60000)
        await r.track(names)
        # One request at a time: on a virtual clock, a coroutine sleeping until the next window moves time for
        # all, and would age the leases of requests still in flight past their end (in real time it cannot).
        collector = r.collector(concurrency=1)
        first = domain.bucket_of(START, HOUR)
        await collector.run(until=first + 3 * HOUR)
        per_user = Counter(row[0] for row in await r.snapshot_rows())
        assert len(per_user) == 1000
        assert Counter(per_user.values()) == Counter({2: 400, 3: 600})  # nobody missed two buckets in a row
        gaps = Counter[int]()
        for report in collector.reports:
            gaps[report.bucket] += report.gaps
            assert report.failed_batches <= collector.concurrency
        assert sum(gaps.values()) == 200  # bucket 1's misses, recorded as bucket 2 opened (bucket 2's come next)
        stats = r.transport.app.state.stats  # type: ignore[attr-defined]
        assert stats["GET /2/users 200"] == 16 and stats.get("GET /2/users 429", 0) == 0
