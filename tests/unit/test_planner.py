"""The planner's arithmetic against hand-worked cases (X's prices, UTC-day dedup, rate limits, storage)."""

from __future__ import annotations

import math
from decimal import Decimal

import pytest

from roost.core.billing import PriceTable, parse_refresh_schedule
from roost.core.planner import (
    DAYS_PER_MONTH,
    POST_BYTES,
    SNAPSHOT_BYTES,
    PlanInput,
    backfill_refresh_reads,
    plan,
    reads_per_post,
)

H, D = 3600, 86400


def schedule(text: str) -> tuple[int, ...]:
    return parse_refresh_schedule(text)


@pytest.mark.parametrize(
    ("text", "reads"),
    [
        ("none", Decimal(1)),
        # 1h after the first read: a new UTC day 1 time in 24; 23h later: 23 in 24; 6 days later: always.
        ("1h,24h,7d", Decimal(3)),
        ("1h,24h", Decimal(2)),
        ("6h", Decimal("1.25")),
        ("2d", Decimal(2)),
        ("12h,36h", Decimal("2.5")),
    ],
)
def test_charged_reads_a_post(text: str, reads: Decimal) -> None:
    assert reads_per_post(schedule(text)) == reads


def test_one_account_posting_five_a_day_at_1h_24h() -> None:
    p = plan(PlanInput(accounts=1, posts_per_day=5, backfill=200, refresh=schedule("1h,24h")))
    by_kind = {m.kind: m for m in p.monthly}
    assert by_kind["snapshots"].usd_per_month == Decimal("0.010") * DAYS_PER_MONTH == Decimal("0.30")
    assert by_kind["new_posts"].usd_per_month == Decimal("0.75")
    assert by_kind["refreshes"].usd_per_month == Decimal("0.75")
    assert p.usd_per_month == Decimal("1.80") == p.usd_per_account_month
    assert p.usd_per_day == Decimal("0.06")
    assert p.posts_per_day == 10 and p.users_per_day == 1
    # Start-up: the user read, 200 posts, and the five posts younger than a day, half of whose 24h refreshes
    # fall on a new day: 2.5 reads.
    assert p.startup_usd_per_account == Decimal("0.010") + Decimal("0.005") * Decimal("202.5") == Decimal("1.0225")
    assert p.startup_requests == 2


def test_the_issue_s_cost_today_is_reproduced() -> None:
    """Issue 19's table: a 3,200-post backfill is $16 once; refreshing every 6 hours for a week: $5.25 a month,
    $6.30 in all."""
    every_6h = tuple(range(6 * H, 7 * D + 1, 6 * H))
    p = plan(PlanInput(accounts=1, posts_per_day=5, backfill=3200, refresh=every_6h))
    assert reads_per_post(every_6h) == 8  # 28 reads a post over 7 days: one charge per day it spans
    # The 35 posts of the last week still have (7 d - age) / 1 d days of refreshes ahead: 3.5 each on average.
    assert p.startup_usd_per_account - Decimal("0.010") - Decimal("0.005") * 3200 == Decimal("0.005") * Decimal("122.5")
    assert {m.kind: m.usd_per_month for m in p.monthly}["refreshes"] == Decimal("5.25")
    assert p.usd_per_month == Decimal("6.30")


def test_backfilled_posts_keep_only_their_pending_refreshes() -> None:
    assert backfill_refresh_reads(schedule("1h,24h"), 200, 5) == Decimal("2.5")
    assert backfill_refresh_reads(schedule("1h,24h,7d"), 200, 5) == Decimal(35)  # every post of the last week
    assert backfill_refresh_reads(schedule("1h,24h,7d"), 10, 5) == Decimal("12.5")  # two days deep: 5 x 1.5 + 5 x 1
    assert backfill_refresh_reads((), 200, 5) == 0
    assert backfill_refresh_reads(schedule("1h"), 200, 0) == 0


def test_requests_and_tokens_against_xs_limits() -> None:
    p = plan(PlanInput(accounts=100_000, posts_per_day=5, refresh=schedule("1h,24h")))
    loads = {load.endpoint: load for load in p.endpoints}
    assert loads["GET /2/users"].per_window == 1000 and loads["GET /2/users"].tokens_needed == 4
    active = 100_000 * (1 - math.exp(-5 / 24))  # accounts with a new post since the last hourly pass
    assert loads["GET /2/users/:id/tweets"].per_window == pytest.approx(active)
    assert loads["GET /2/users/:id/tweets"].tokens_needed == math.ceil(active / 1500) == 13
    assert loads["GET /2/tweets"].per_window == math.ceil(100_000 * 5 / 24 * 2 / 100) == 417
    assert p.tokens_needed == 13 and not p.fits_rate_limits
    assert plan(PlanInput(accounts=100_000, posts_per_day=5, tokens=13)).fits_rate_limits
    # Snapshots every 5 minutes: three passes share a 15-minute window.
    fast = plan(PlanInput(accounts=1000, posts_per_day=0, snapshot_interval=300))
    assert fast.endpoints[0].per_window == 30 and fast.endpoints[0].requests_per_hour == 120
    assert fast.usd_per_month == Decimal("0.010") * 1000 * DAYS_PER_MONTH  # still one user read a day


def test_post_cap_and_storage() -> None:
    p = plan(PlanInput(accounts=100, posts_per_day=5, backfill=200, refresh=schedule("1h,24h"), post_cap=15_000))
    assert p.post_reads_per_month == 30_000 and not p.fits_post_cap
    assert p.first_month_post_reads == 30_000 + 100 * Decimal("202.5")
    assert plan(PlanInput(accounts=100, posts_per_day=5)).fits_post_cap  # pay-per-use: 2,000,000
    assert p.snapshot_rows_per_year == 100 * 24 * 36525 // 100 == 876_600
    assert p.post_rows_per_year == round(500 * Decimal("365.25")) == 182_625
    assert p.storage_bytes_per_year["sqlite"] == 876_600 * SNAPSHOT_BYTES["sqlite"] + 182_625 * POST_BYTES["sqlite"]
    assert p.storage_bytes_per_year["postgresql"] == (
        876_600 * SNAPSHOT_BYTES["postgresql"] + 182_625 * POST_BYTES["postgresql"]
    )


def test_a_negotiated_price_table() -> None:
    prices = PriceTable(user=Decimal("0.02"), post=Decimal("0.001"))
    p = plan(PlanInput(accounts=10, posts_per_day=1, backfill=0, refresh=()), prices)
    assert p.usd_per_month == (Decimal("0.2") + Decimal("0.01")) * DAYS_PER_MONTH
    assert p.startup_usd_per_account == Decimal("0.02")


@pytest.mark.parametrize(
    ("given", "message"),
    [
        (PlanInput(accounts=0, posts_per_day=1), "--accounts"),
        (PlanInput(accounts=1, posts_per_day=-1), "--posts-per-day"),
        (PlanInput(accounts=1, posts_per_day=float("nan")), "--posts-per-day"),
        (PlanInput(accounts=1, posts_per_day=1, backfill=3201), "--backfill"),
        (PlanInput(accounts=1, posts_per_day=1, tokens=0), "--tokens"),
        (PlanInput(accounts=1, posts_per_day=1, post_cap=-5), "--post-cap"),
        (PlanInput(accounts=1, posts_per_day=1, snapshot_interval=10), "snapshot interval"),
    ],
)
def test_bad_input_names_the_option(given: PlanInput, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan(given)
