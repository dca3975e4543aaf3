"""No bucket skipped, snapshots first in time: one collector with a long backfill against a slow, rate-limited
upstream still takes every hourly bucket's snapshots, and the backfill finishes in the meantime.

`make test` runs 100 accounts under a limit of 50 timeline requests a window; `pytest -m long` runs 300 under 150.
Both read three pages an account, so both backfills last six rate-limit windows and span the same buckets."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import func, select

from roost.core import domain
from roost.store.schema import tweets, x_users
from roost.xsim.config import Faults, XsimConfig
from tests.integration.collector_helpers import HOUR, SEED, START, quiet_names, rig

DEPTH = 300  # three pages an account: 3 x accounts timeline requests, six rate-limit windows


@pytest.mark.slow
@pytest.mark.parametrize("accounts", [100, pytest.param(300, marks=pytest.mark.long)])
async def test_a_long_backfill_on_a_slow_upstream_skips_no_bucket(database_url: str, accounts: int) -> None:
    # A tenth of the answers take two minutes: reads in flight at a bucket's end finish in the next bucket.
    config = XsimConfig(
        seed=SEED,
        limits={"timeline": accounts // 2},  # six windows of 15 minutes for the 3 x accounts requests
        faults=Faults(slow_rate=0.1, slow_seconds=120, seed=3),
    )
    end = START + 5 * HOUR
    async with rig(database_url, config=config) as r:
        names = quiet_names(r.world, accounts, START, end)
        await r.track(names)
        collector = r.collector(timeline=True, backfill_depth=DEPTH)
        await collector.run(until=end)

        per_bucket = Counter(bucket for _, bucket, *_ in await r.snapshot_rows())
        buckets = range(domain.bucket_of(START, HOUR), domain.bucket_of(end, HOUR), HOUR)
        assert {b: per_bucket[b] for b in buckets} == dict.fromkeys(buckets, accounts)
        assert sum(report.gaps for report in collector.reports) == 0
        # Each snapshot pass ran inside its own bucket, even behind reads that were still going.
        for report in collector.reports:
            assert report.bucket <= report.finished_at < report.bucket + HOUR
        # The backfill did not start over at each bucket's end: it finished, every account read once.
        stopped = sum(1 for t in collector.timeline_reports if t.users)
        assert stopped >= 2, "the backfill should have spanned several buckets"
        async with r.engine.connect() as conn:
            unread = await conn.scalar(select(func.count()).where(x_users.c.tweet_count_seen.is_(None)))
            posts = await conn.scalar(select(func.count()).select_from(tweets))
        assert unread == 0
        assert posts is not None and posts >= accounts
