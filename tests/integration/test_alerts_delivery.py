"""Alert delivery against real receivers: a webhook server that verifies Standard Webhooks signatures and an SMTP
server (aiosmtpd), on both databases. Retries with backoff, one delivery per event with two workers, the test
command, bad channel input."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from roost.collector.delivery import Deliverer
from roost.config import Settings
from roost.core import auth
from roost.core.clock import VirtualClock
from roost.services import alerts
from roost.services.errors import Invalid, NotFound
from roost.services.runtime import Runtime
from roost.store import accounts as account_store
from roost.store import alerts as alert_store
from roost.store import outbox
from roost.store.accounts import Account
from roost.store.alert_schema import alert_attempts, alert_deliveries
from roost.store.db import create_engine, transaction
from tests.e2e.live import free_port
from tests.integration.alert_receivers import payload_of, smtp_server, webhook_receiver
from tests.waiting import eventually

# Fixed ports: every module that binds one runs on the same xdist worker, one test at a time.

T0 = 1_795_000_000


@dataclass
class Setup:
    runtime: Runtime
    engine: AsyncEngine
    clock: VirtualClock
    account: Account


@asynccontextmanager
async def setup(database_url: str) -> AsyncIterator[Setup]:
    clock = VirtualClock(T0)
    engine = create_engine(database_url)
    async with transaction(engine) as conn:
        account = await account_store.create_account(
            conn, email="alerts@example.com", name="a", password_hash=auth.hash_password("x"), tracker_slots=5, now=T0
        )
    runtime = Runtime(Settings(database_url=database_url, _env_file=None), clock, engine)  # type: ignore[call-arg]
    try:
        yield Setup(runtime, engine, clock, account)
    finally:
        await engine.dispose()


async def fire(s: Setup, title: str) -> str:
    """An event as the collector's hook writes it (the hook itself is tested in test_alerts_rules.py)."""
    async with transaction(s.engine) as conn:
        return await alert_store.add_event(
            conn, account_id=s.account.id, rule_id=None, kind="change", x_user_id=None, tracker_id=None,
            at=int(s.clock.now()), title=title,
            payload={"type": "alert.change", "timestamp": "2026-11-19T08:26:40Z", "data": {"title": title}},
            now=int(s.clock.now()),
        )  # fmt: skip


async def pending(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        rows = await conn.execute(select(alert_deliveries.c.id).where(alert_deliveries.c.status == "pending"))
        return len(rows.all())


async def attempt_times(engine: AsyncEngine) -> list[int]:
    async with engine.connect() as conn:
        return list((await conn.scalars(select(alert_attempts.c.at).order_by(alert_attempts.c.id))).all())


async def test_a_running_worker_takes_a_dead_workers_delivery_the_second_its_lease_ends_and_a_nudge_sends_at_once(
    database_url: str,
) -> None:
    async with setup(database_url) as s:
        with webhook_receiver(free_port()) as receiver:
            hook = await alerts.add_channel(s.runtime, s.account, url=receiver.url)
            receiver.secret = hook.secret or ""
            await fire(s, "first")
            async with transaction(s.engine) as conn:  # a worker claims it for 3 s and dies
                assert len(await outbox.claim(conn, now=T0, owner="dead", lease_seconds=3, limit=5)) == 1
            async with s.engine.connect() as conn:
                assert await outbox.next_claimable(conn) == T0 + 4  # the first second past the lease
            worker = Deliverer(s.engine, s.clock, "w2")
            running = asyncio.create_task(worker.run())
            try:
                # The clock jumps to each sleeper's deadline: the worker slept until T0 + 4, not a 5 s poll.
                await eventually(lambda: len(receiver.accepted) == 1)
                assert await attempt_times(s.engine) == [T0 + 4]
                # Time stops moving by itself; only a nudge can wake the idle worker now.
                s.clock.autojump = False
                await eventually(lambda: bool(s.clock._waiters))  # the worker asleep on the clock, waiting
                at = s.clock.now()
                await fire(s, "second")
                worker.nudge()
                await eventually(lambda: len(receiver.accepted) == 2)
                assert (await attempt_times(s.engine))[1] == int(at) == int(s.clock.now())
            finally:
                worker.stop.set()
                await running


async def test_a_receiver_failing_five_times_gets_the_event_on_the_sixth_try(database_url: str) -> None:
    async with setup(database_url) as s:
        with webhook_receiver(free_port(), fail_first=5) as receiver, smtp_server(smtp := free_port()) as mailbox:
            hook = await alerts.add_channel(s.runtime, s.account, url=receiver.url, name="team hook")
            assert hook.kind == "webhook" and hook.secret is not None and hook.secret.startswith("whsec_")
            receiver.secret = hook.secret
            mail = f"mailto://127.0.0.1:{smtp}?from=roost@example.com&to=team@example.com&mode=insecure"
            assert (await alerts.add_channel(s.runtime, s.account, url=mail)).kind == "apprise"
            event_id = await fire(s, "@tole68: followers +5.2% in 1 d")
            worker = Deliverer(s.engine, s.clock, "w1")
            tries = 0
            while await pending(s.engine):
                assert await worker.run_once() > 0
                tries += 1
                async with s.engine.connect() as conn:
                    rows = await conn.execute(
                        select(alert_deliveries.c.next_at).where(alert_deliveries.c.status == "pending")
                    )
                    waits = [n for (n,) in rows]
                if waits:
                    s.clock.set(max(s.clock.now(), min(waits)))
            await worker.http.aclose()
            assert tries == 6
            assert receiver.requests == [receiver.requests[0]] * 6  # one idempotency key on every attempt
            assert receiver.bad_signatures == 0 and len(receiver.accepted) == 1
            payload = payload_of(receiver, event_id)
            assert payload is not None and payload["data"]["title"].startswith("@tole68")
            assert len(mailbox.messages) == 1  # the mail went out on the first try, and only once
            _, recipients, content = mailbox.messages[0]
            assert recipients == ["team@example.com"] and b"@tole68: followers +5.2% in 1 d" in content
            log = {d.channel_kind: d for d in await alerts.deliveries(s.runtime, s.account)}
            webhook = log["webhook"]
            assert webhook.status == "delivered" and webhook.attempts == 6
            assert [a.status_code for a in webhook.log] == [500] * 5 + [204]
            assert [a.at - webhook.log[0].at for a in webhook.log] == [0, 30, 150, 750, 2550, 6150]  # the backoff
            assert log["apprise"].status == "delivered" and log["apprise"].attempts == 1


async def test_two_workers_deliver_each_event_once(database_url: str) -> None:
    async with setup(database_url) as s:
        with webhook_receiver(free_port()) as receiver:
            hook = await alerts.add_channel(s.runtime, s.account, url=receiver.url)
            receiver.secret = hook.secret or ""
            ids = [await fire(s, f"event {k}") for k in range(40)]
            engines = [create_engine(s.runtime.settings.database_url) for _ in range(2)]
            workers = [Deliverer(engine, s.clock, f"w{k}") for k, engine in enumerate(engines)]

            async def drain(worker: Deliverer) -> None:
                while await worker.run_once():
                    pass

            try:
                await asyncio.gather(*(drain(w) for w in workers))
                while await pending(s.engine):  # an attempt that failed on a loaded machine: its retry, same key
                    s.clock.advance(outbox.BACKOFF[-1])
                    await asyncio.gather(*(drain(w) for w in workers))
            finally:
                for w, engine in zip(workers, engines, strict=True):
                    await w.http.aclose()
                    await engine.dispose()
            async with s.engine.connect() as conn:
                failed = len((await conn.execute(select(alert_attempts.c.id).where(alert_attempts.c.ok == 0))).all())
            assert len(set(receiver.requests)) == 40  # one key per event...
            assert len(receiver.requests) == 40 + failed  # ...sent once, plus a retry for each failed attempt only
            assert {p["data"]["eventId"] for p in receiver.accepted.values()} == set(ids)
            assert await pending(s.engine) == 0


async def test_the_test_command_sends_through_one_channel_and_bad_channels_are_refused(database_url: str) -> None:
    async with setup(database_url) as s:
        with webhook_receiver(free_port()) as receiver:
            hook = await alerts.add_channel(s.runtime, s.account, url=receiver.url)
            receiver.secret = hook.secret or ""
            board = await alerts.add_channel(s.runtime, s.account, url="dashboard")
            result = await alerts.test_channel(s.runtime, s.account, hook.id)
            assert result.status == "delivered" and result.attempts == 1 and len(receiver.accepted) == 1
            assert (await alerts.test_channel(s.runtime, s.account, board.id)).status == "delivered"
            assert len(await alerts.notifications(s.runtime, s.account)) == 1  # the dashboard's test shows there
        for url, field in [("ftp://example.com/x", "url"), ("https://", "url"), ("not a url", "url"),
                           ("dashboard", "url"), ("x" * 2100, "url")]:  # fmt: skip
            with pytest.raises(Invalid) as refused:
                await alerts.add_channel(s.runtime, s.account, url=url)
            assert refused.value.field == field
        with pytest.raises(NotFound):
            await alerts.test_channel(s.runtime, s.account, "no-such-channel")
        assert len(await alerts.list_channels(s.runtime, s.account)) == 2  # nothing partial was written
