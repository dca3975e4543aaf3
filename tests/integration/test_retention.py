"""The retention policy on both databases: past the hourly window only each UTC day's close is kept (the last good
snapshot of the day), the answers for what it keeps do not change, and a second round changes nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from roost.core import analytics
from roost.store import maintenance, retention
from roost.store.db import create_engine
from roost.store.schema import snapshots
from tests.integration.api_helpers import START
from tests.integration.history_data import DAY, HOUR, T0, USERS, answers, fill, follower_count, table_rows

NOW = int(START)
HOURLY_MONTHS = 1
CUT = retention.cutoff(NOW, HOURLY_MONTHS)
END = T0 + 100 * DAY - HOUR  # the last snapshot
INSIDE = [(CUT, END), (CUT + 3 * DAY + 7 * HOUR, CUT + 9 * DAY)]  # ranges in the hourly window
WHOLE = [(T0, END), (T0 + 12 * DAY, END)]  # ranges over thinned and hourly months alike
VALUES = ("followers", "following", "tweets", "lists")


def period_values(growth: dict[str, Any]) -> list[tuple[Any, ...]]:
    """Each period's values at its end, and its changes but the first period's (measured from the range's first
    good snapshot, which thinning moves to the first day's close)."""
    rows = growth["rows"]
    return [
        (r["_id"], *(r[v] for v in VALUES), *((r[f"{v}Change"] for v in VALUES) if k else ()))
        for k, r in enumerate(rows)
    ]


def test_a_days_close_is_its_last_good_snapshot() -> None:
    day = T0 + 40 * DAY
    buckets = [day + h * HOUR for h in range(24)] + [day + DAY + h * HOUR for h in range(3)]
    values = {m: [100] * len(buckets) for m in analytics.METRICS}
    values["followers"] = [100] * 22 + [5, 6] + [100] * 3  # 22:00 and 23:00 collapse and recover: glitches
    assert retention.closes(buckets, values, day, day + DAY) == [day + 21 * HOUR]
    values["followers"] = [100] * 24 + [100] * 3
    assert retention.closes(buckets, values, day, day + 2 * DAY) == [day + 23 * HOUR, day + DAY + 2 * HOUR]


async def test_retention_keeps_daily_closes_and_the_answers(database_url: str) -> None:
    token = await fill(database_url)
    growth_before = [a for a in await answers(database_url, token, WHOLE) if a[1] == "growth"]
    inside_before = await answers(database_url, token, INSIDE)
    engine = create_engine(database_url)
    try:
        before = await table_rows(engine)
        report = await maintenance.run(engine, now=NOW, hourly_months=HOURLY_MONTHS)
        after = await table_rows(engine)
        again = await maintenance.run(engine, now=NOW, hourly_months=HOURLY_MONTHS)
        async with engine.connect() as conn:
            per_day = await conn.execute(
                select(snapshots.c.x_user_id, func.count())
                .where(snapshots.c.bucket < CUT)
                .group_by(snapshots.c.x_user_id, snapshots.c.bucket - snapshots.c.bucket % DAY)
            )
            assert {n for _, n in per_day} == {1}  # one snapshot a day before the cut
    finally:
        await engine.dispose()
    assert report.thinned_months and again.thinned_months == [] and again.snapshots_removed == 0
    old = [r for r in before["snapshots"] if r[1] < CUT]
    kept = [r for r in after["snapshots"] if r[1] < CUT]
    assert report.snapshots_removed == len(before["snapshots"]) - len(after["snapshots"]) == len(old) - len(kept)
    assert set(kept) <= set(old)  # rows are kept whole (counts, times, activity), never rewritten
    assert [r for r in after["snapshots"] if r[1] >= CUT] == [r for r in before["snapshots"] if r[1] >= CUT]
    # The glitch of day 40 (10:00 and 11:00) is gone; each day's close is its 23:00 snapshot.
    glitch_day = T0 + 40 * DAY
    assert {r[1] for r in kept if r[0] == USERS[0] and glitch_day <= r[1] < glitch_day + DAY} == {
        glitch_day + 23 * HOUR
    }
    assert all(r[3] == follower_count(r[0], (r[1] - T0) // HOUR) for r in kept)
    # Every answer about the hourly window is the same; growth over thinned months reads the same closes.
    assert await answers(database_url, token, INSIDE) == inside_before
    growth_after = [a for a in await answers(database_url, token, WHOLE) if a[1] == "growth"]
    assert len(growth_after) == len(growth_before) > 0
    for (tracker, _, params, was), (_, _, _, now) in zip(growth_before, growth_after, strict=True):
        assert period_values(now) == period_values(was), (tracker, params)
