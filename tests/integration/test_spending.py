"""The meter, the pauses and the budget in virtual time against the emulator, on both databases: what Roost
records equals what the answers held (deduplicated per UTC day), a reached post cap pauses the archive within one
request while snapshots go on and lifts on the reset day, spent credits pause everything with at most one probe
every 10 minutes, and a budget of a few dollars is never passed."""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import orjson
from sqlalchemy import select

from roost.collector.meter import StoreMeter
from roost.collector.spending import SpendingGate
from roost.core import domain
from roost.core.billing import PriceTable
from roost.core.metering import POST_ENDPOINTS, billables, cost, day_start
from roost.store.schema import budget_decisions, upstream_pauses, x_usage
from roost.xapi import XClient
from roost.xsim.transport import XsimTransport
from tests.integration.collector_helpers import HOUR, Rig, quiet_names, rig
from tests.integration.failing_upstream import CAP_BODY

# 2026-11-29 00:02 UTC: the billing month (starting on the 1st) resets two days later.
START = int(datetime(2026, 11, 29, 0, 2, tzinfo=UTC).timestamp())
RESET = int(datetime(2026, 12, 1, tzinfo=UTC).timestamp())
ENDPOINTS = {"/2/users": "GET /2/users", "/2/users/by": "GET /2/users/by", "/2/tweets": "GET /2/tweets"}


class Billing(httpx.AsyncBaseTransport):
    """The emulator, plus X's way of saying stop: a monthly post cap (429 UsageCapExceeded with quota left in the
    headers) and spent credits (402). It keeps what X would bill: (day, resource, id) of every answer."""

    def __init__(self, inner: XsimTransport, now: object) -> None:
        self.inner = inner
        self.now = now
        self.post_cap: int | None = None
        self.credits_spent = False
        self.billed: set[tuple[int, str, int]] = set()
        self.sent: list[tuple[float, str, int]] = []  # (time, endpoint, status)

    def _endpoint(self, path: str) -> str:
        if path in ENDPOINTS:
            return ENDPOINTS[path]
        return "GET /2/users/:id/tweets" if path.endswith("/tweets") else "GET /2/users/:id"

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        endpoint, now = self._endpoint(request.url.path), self.now()  # type: ignore[operator]
        posts_read = sum(1 for (_, kind, _) in self.billed if kind == "post")
        refuse: tuple[int, dict[str, str]] | None = None
        if self.credits_spent:
            refuse = (402, {"title": "CreditsDepleted", "detail": "no credits"})
        elif self.post_cap is not None and endpoint in POST_ENDPOINTS and posts_read >= self.post_cap:
            refuse = (429, CAP_BODY)
        if refuse is not None:
            self.sent.append((now, endpoint, refuse[0]))
            headers = {"x-rate-limit-remaining": "100", "x-rate-limit-limit": "900", "x-rate-limit-reset": "0"}
            return httpx.Response(refuse[0], content=orjson.dumps(refuse[1]), headers=headers, request=request)
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.sent.append((now, endpoint, response.status_code))
        if response.status_code == 200:
            for item in billables(endpoint, orjson.loads(response.content)):
                self.billed.add((day_start(now), item.kind, item.id))
        return response

    def bill(self, prices: PriceTable) -> Decimal:
        kinds = Counter(kind for _, kind, _ in self.billed)
        return cost(prices, users=kinds["user"], posts=kinds["post"])


@asynccontextmanager
async def metered(database_url: str, **kwargs: object) -> AsyncIterator[tuple[Rig, Billing]]:
    async with rig(database_url, start=START, **kwargs) as r:  # type: ignore[arg-type]
        billing = Billing(r.transport, r.clock.now)

        async def reset(now: float) -> float:
            return float(RESET)

        r.xclient = XClient(
            base_url="http://xsim.local", tokens=["xsim-token"], clock=r.clock, transport=billing,
            meter=StoreMeter(r.engine, r.clock, cap_reset=reset),
        )  # fmt: skip
        try:
            yield r, billing
        finally:
            await r.xclient.aclose()


async def ledger(r: Rig) -> set[tuple[int, str, int]]:
    async with r.engine.connect() as conn:
        rows = await conn.execute(select(x_usage.c.day, x_usage.c.resource, x_usage.c.resource_id))
        return {(int(d), str(k), int(i)) for d, k, i in rows}


async def per_bucket(r: Rig) -> Counter[int]:
    return Counter(bucket for _, bucket, *_ in await r.snapshot_rows())


async def test_a_reached_cap_pauses_the_archive_at_once_snapshots_go_on_and_it_resumes_on_the_reset_day(
    database_url: str,
) -> None:
    async with metered(database_url) as (r, billing):
        names = quiet_names(r.world, 5, START - 3 * 86400, RESET + 86400, offset=40)
        await r.track(names)
        billing.post_cap = 150  # reached during the first backfills
        collector = r.collector(timeline=True, backfill_depth=200)
        await collector.run(until=RESET - HOUR)
        refused = [(t, e) for t, e, status in billing.sent if status == 429]
        assert len(refused) == 1, refused  # paused within one request: nothing more was asked until the reset
        capped_at = refused[0][0]
        assert not [t for t, e, _ in billing.sent if e in POST_ENDPOINTS and t > capped_at]
        async with r.engine.connect() as conn:
            pause = (await conn.execute(select(upstream_pauses))).one()
        assert (pause.kind, pause.reason, pause.until) == ("posts", "cap", RESET)
        # Snapshots went on every hour.
        buckets = range(domain.bucket_of(START, HOUR), domain.bucket_of(RESET - HOUR, HOUR), HOUR)
        counts = await per_bucket(r)
        assert {b: counts[b] for b in buckets} == dict.fromkeys(buckets, 5)

        billing.post_cap = None  # the new month's cap
        await collector.run(until=RESET + 3 * HOUR)
        assert [t for t, e, status in billing.sent if e in POST_ENDPOINTS and status == 200 and t >= RESET]
        async with r.engine.connect() as conn:
            assert (await conn.execute(select(upstream_pauses))).first() is None
        # What Roost metered is what the answers held, deduplicated per UTC day.
        assert await ledger(r) == billing.billed


async def test_spent_credits_pause_every_request_with_one_probe_per_10_minutes(database_url: str) -> None:
    async with metered(database_url) as (r, billing):
        names = quiet_names(r.world, 4, START - 3 * 86400, START + 86400, offset=80)
        await r.track(names)
        collector = r.collector(timeline=True, backfill_depth=100)
        await collector.run(until=START + 2 * HOUR)
        billing.credits_spent = True
        spent_at = r.clock.now()
        await collector.run(until=spent_at + 3 * HOUR)
        after = [t for t, _, _ in billing.sent if t >= spent_at]
        assert after and all(status == 402 for t, _, status in billing.sent if t >= spent_at)
        assert all(b - a >= 600 for a, b in itertools.pairwise(after)), after
        assert len(after) <= 3 * HOUR // 600 + 1
        async with r.engine.connect() as conn:
            assert (await conn.execute(select(upstream_pauses.c.kind))).scalars().all() == ["all"]
        billing.credits_spent = False  # credits added: the next probe succeeds and lifts the pause
        resumed_from = r.clock.now()
        await collector.run(until=resumed_from + 2 * HOUR)
        async with r.engine.connect() as conn:
            assert (await conn.execute(select(upstream_pauses))).first() is None
        counts = await per_bucket(r)
        assert counts[domain.bucket_of(resumed_from + HOUR, HOUR)] == 4


async def test_meter_deduplicates_across_two_workers_on_postgresql(postgres_url: str) -> None:
    async with metered(postgres_url) as (r, billing):
        names = quiet_names(r.world, 30, START - 3 * 86400, START + 2 * 86400, offset=120)
        await r.track(names)
        second = XClient(
            base_url="http://xsim.local", tokens=["xsim-token"], clock=r.clock, transport=billing,
            meter=StoreMeter(r.engine, r.clock),
        )  # fmt: skip
        one = r.collector("w1", timeline=True, backfill_depth=100)
        two = r.collector("w2", timeline=True, backfill_depth=100)
        two.xclient = second
        try:
            await asyncio.gather(one.run(until=START + 30 * HOUR), two.run(until=START + 30 * HOUR))
        finally:
            await second.aclose()
        got = await ledger(r)
        assert got == billing.billed
        days = Counter(day for day, kind, _ in got if kind == "user")
        assert set(days.values()) == {30}  # each tracked user charged once a UTC day, read by two workers hourly


async def test_a_budget_of_a_few_dollars_is_never_passed_and_backfills_are_cut_first(database_url: str) -> None:
    prices = PriceTable()
    async with metered(database_url) as (r, billing):
        names = quiet_names(r.world, 10, START - 3 * 86400, START + 3 * 86400, offset=200)
        await r.track(names)
        gate = SpendingGate(engine=r.engine, clock=r.clock, prices=prices, budget=Decimal("3.00"))
        collector = r.collector(timeline=True, backfill_depth=3200, spending=gate)
        await collector.run(until=START + 2 * 86400)
        assert billing.bill(prices) <= Decimal("3.00")
        # Snapshots kept every hour (ten accounts cost $0.10 a UTC day).
        counts = await per_bucket(r)
        buckets = range(domain.bucket_of(START, HOUR), domain.bucket_of(START + 2 * 86400, HOUR), HOUR)
        assert {b: counts[b] for b in buckets} == dict.fromkeys(buckets, 10)
        async with r.engine.connect() as conn:
            decisions = (await conn.execute(select(budget_decisions.c.purpose, budget_decisions.c.decision))).all()
        assert ("backfills", "cut") in decisions
        assert ("snapshots", "cut") not in decisions
        assert await ledger(r) == billing.billed


async def test_when_even_snapshots_no_longer_fit_the_snapshot_pass_stops_spending_and_says_so(
    database_url: str,
) -> None:
    from roost.store import spending as decision_store

    prices = PriceTable()
    async with metered(database_url) as (r, billing):
        names = quiet_names(r.world, 10, START - 3 * 86400, START + 3 * 86400, offset=260)
        await r.track(names)  # the creation lookups: ten user reads, $0.10
        gate = SpendingGate(engine=r.engine, clock=r.clock, prices=prices, budget=Decimal("0.25"))
        collector = r.collector(timeline=True, backfill_depth=100, spending=gate)
        await collector.run(until=START + 5 * 86400)
        # Ten accounts cost $0.10 a UTC day: in each billing month (November ends two days in) two days fit, a
        # third does not.
        for month in (lambda day: day < RESET, lambda day: day >= RESET):
            kinds = Counter(kind for day, kind, _ in billing.billed if month(day))
            assert cost(prices, users=kinds["user"], posts=kinds["post"]) <= Decimal("0.25")
        assert any(report.budget_cut for report in collector.reports)
        async with r.engine.connect() as conn:
            assert "snapshots" in await decision_store.cut_purposes(conn)
        assert await ledger(r) == billing.billed


async def test_day_one_backfills_leave_the_months_new_posts_their_share_of_the_budget(database_url: str) -> None:
    """On the first day nothing has a history to project new posts from: the budget projects them from the
    archived accounts' posting rates, and a backfill must also fit its own account's month of new posts, so
    backfills stop while the month's snapshots and new posts still fit (the old gate let them spend it all)."""
    from roost.services.simulate import pick_accounts

    month_start = int(datetime(2026, 11, 2, 0, 2, tzinfo=UTC).timestamp())
    prices = PriceTable()
    async with rig(database_url, start=month_start) as r:
        billing = Billing(r.transport, r.clock.now)
        r.xclient = XClient(
            base_url="http://xsim.local", tokens=["xsim-token"], clock=r.clock, transport=billing,
            meter=StoreMeter(r.engine, r.clock),
        )  # fmt: skip
        try:
            picked = pick_accounts(r.world, 4, start=month_start, end=month_start + 86400, rate=5.0)
            await r.track([name for name, _ in picked])
            # Snapshots ~$1.20 for the month, backfills $1 each, the new posts of all four ~$6: not everything fits.
            budget = Decimal("8.00")
            gate = SpendingGate(engine=r.engine, clock=r.clock, prices=prices, budget=budget)
            collector = r.collector(timeline=True, backfill_depth=200, spending=gate)
            await collector.run(until=month_start + 3 * HOUR)
            outlook = await gate.outlook()
        finally:
            await r.xclient.aclose()
        assert outlook.projected["new_posts"] > Decimal("1.00")  # projected from rates, with no history yet
        committed = outlook.spent + sum(outlook.projected.values(), Decimal(0))
        assert committed <= budget, (outlook, committed)  # the month's snapshots and new posts still fit
        async with r.engine.connect() as conn:
            decisions = (await conn.execute(select(budget_decisions.c.purpose, budget_decisions.c.decision))).all()
            query = select(x_usage.c.x_user_id).where(x_usage.c.purpose == "backfills", x_usage.c.resource == "post")
            backfilled = set((await conn.execute(query.distinct())).scalars())
        assert ("backfills", "cut") in decisions and ("new_posts", "cut") not in decisions
        assert 1 <= len(backfilled) < 4, backfilled  # some accounts were read back, not all four
        assert billing.bill(prices) == outlook.spent
