"""Roost's meter against the emulator's own bill (which bills like X: data and includes, once per id per UTC day
of its clock): over three virtual days with faults on (503s, hidden 429s, dropped connections, slow answers) and
the emulator's real post cap (429 UsageCapExceeded with quota left), the two agree by day and kind to the read,
and so to the cent; the cap pauses the archive after one refused request and snapshots go on."""

from __future__ import annotations

import functools
from collections import Counter
from datetime import UTC, datetime

import httpx
from sqlalchemy import select

from roost.collector.meter import StoreMeter
from roost.config import Settings
from roost.core import domain
from roost.services.upstream import cap_reset
from roost.store import usage
from roost.store.schema import upstream_pauses
from roost.xapi import XClient
from roost.xsim.billing import BillingSettings
from roost.xsim.config import Faults, XsimConfig
from tests.integration.collector_helpers import DAY, HOUR, SEED, quiet_names, rig

START = int(datetime(2026, 11, 20, 0, 2, tzinfo=UTC).timestamp())


async def test_meter_equals_the_emulators_bill_by_day_and_kind_with_faults_and_a_cap(database_url: str) -> None:
    faults = Faults(error_rate=0.05, hidden_429_rate=0.03, drop_rate=0.02, slow_rate=0.05, slow_seconds=30, seed=5)
    config = XsimConfig(seed=SEED, faults=faults, billing=BillingSettings(post_cap=2500, cap_reset_day=1))
    async with rig(database_url, config=config, start=START) as r:
        names = quiet_names(r.world, 20, START - 3 * DAY, START + 4 * DAY, offset=500)
        await r.track(names)
        meter = StoreMeter(r.engine, r.clock)
        metered = XClient(
            base_url="http://xsim.local", tokens=["xsim-token"], clock=r.clock, transport=r.transport, meter=meter
        )
        # The cap's reset day comes from the emulator's GET /2/usage/tweets (cap_reset_day 1), as in production.
        settings = Settings(database_url="sqlite+aiosqlite://", x_billing_day=15, _env_file=None)  # type: ignore[call-arg]
        meter.cap_reset = functools.partial(cap_reset, metered, settings)
        r.xclient = metered
        try:
            collector = r.collector(timeline=True, backfill_depth=200)
            await collector.run(until=START + 3 * DAY)
        finally:
            await metered.aclose()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=r.transport.app), base_url="http://x") as c:
            bill = (await c.get("/xsim/admin/bill")).json()
        emulator = {
            row["date"]: (row["user"], row["post"]) for project in bill["projects"].values() for row in project["days"]
        }
        async with r.engine.connect() as conn:
            rows = await usage.totals(conn, start_day=0, end_day=START + 10 * DAY, by="day")
            pause = (await conn.execute(select(upstream_pauses))).first()
        ours = {datetime.fromtimestamp(int(row.key), UTC).date().isoformat(): (row.users, row.posts) for row in rows}
        assert ours == emulator
        # The cap was reached (2500 posts) and held: the archive paused, snapshots every hour regardless.
        assert sum(posts for _, posts in ours.values()) >= 2500
        assert pause is not None and (pause.kind, pause.reason) == ("posts", "cap")
        assert pause.until == int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())
        stats = r.transport.app.state.stats  # type: ignore[attr-defined]
        # Refused: at most the requests already in flight together when the first refusal came back (the timeline
        # pass reads four accounts at once); none was sent after it.
        assert 1 <= stats["usage_capped_429"] <= 4, stats
        counts = Counter(bucket for _, bucket, *_ in await r.snapshot_rows())
        buckets = range(domain.bucket_of(START, HOUR), domain.bucket_of(START + 3 * DAY, HOUR), HOUR)
        missing = {b for b in buckets if counts[b] < 20}
        assert len(missing) <= 2, missing  # a fault can cost a bucket at most a retried batch, not hours
