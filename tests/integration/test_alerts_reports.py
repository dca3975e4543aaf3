"""Scheduled reports and budget rules (issue 22), on both databases, in virtual time.

- A weekly report at Monday 09:00 Europe/Madrid goes out once per period across the end of summer time (07:00 UTC
  before 25 Oct 2026, 08:00 UTC after), through the real collector against the emulator: a real SMTP server
  (aiosmtpd) receives the mail with the PNG chart and the CSV attached, a real webhook receiver verifies the
  Standard Webhooks signature and gets the links; the report's numbers are the ones compare shows for the period.
- Two collector workers on PostgreSQL send a report once.
- A budget rule fires once when the meter passes the share, and again in the next billing month.
"""

from __future__ import annotations

import asyncio
import email
import json
from datetime import UTC, datetime
from decimal import Decimal
from email.message import Message
from typing import Any

import pytest
from sqlalchemy import func, select

from roost.collector import budget_alerts
from roost.collector.delivery import Deliverer
from roost.collector.spending import SpendingGate
from roost.config import Settings
from roost.core.billing import PriceTable
from roost.core.metering import Billable, Receipt
from roost.services import alert_reports, alerts, reports
from roost.services.errors import Invalid, ServiceError
from roost.services.runtime import Runtime
from roost.store import accounts as account_store
from roost.store import usage
from roost.store.accounts import Account
from roost.store.alert_schema import alert_deliveries, alert_events
from roost.store.db import transaction
from roost.store.report_schema import alert_report_runs
from tests.e2e.live import free_port
from tests.integration.alert_receivers import smtp_server, webhook_receiver
from tests.integration.collector_helpers import Rig, rig

NAMES = ["tole68", "GAB521"]
BASE = "https://roost.example.com"


def utc(month: int, day: int, hour: int = 0) -> float:
    return datetime(2026, month, day, hour, tzinfo=UTC).timestamp()


async def runtime_of(r: Rig, database_url: str, **settings: Any) -> tuple[Runtime, Account]:
    s = Settings(database_url=database_url, public_url=BASE, _env_file=None, **settings)  # type: ignore[call-arg]
    runtime = Runtime(s, r.clock, r.engine)
    async with r.engine.connect() as conn:
        account = await account_store.get_account(conn, account_id=r.account_id)
    assert account is not None
    return runtime, account


async def deliver_all(r: Rig) -> None:
    worker = Deliverer(r.engine, r.clock, "deliverer")
    try:
        while await worker.run_once():
            pass
    finally:
        await worker.http.aclose()


async def report_events(r: Rig) -> list[tuple[int, dict[str, Any]]]:
    async with r.engine.connect() as conn:
        rows = await conn.execute(
            select(alert_events.c.at, alert_events.c.payload).where(alert_events.c.kind == "report")
            .order_by(alert_events.c.at, alert_events.c.id)
        )  # fmt: skip
        return [(int(at), json.loads(p)) for at, p in rows]


def attachments(raw: bytes) -> dict[str, bytes]:
    message: Message = email.message_from_bytes(raw)
    found = {}
    for part in message.walk():
        name = part.get_filename()
        if name:
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[part.get_content_type()] = payload
    return found


async def assert_equals_compare(runtime: Runtime, account: Account, document: dict[str, Any]) -> None:
    """The report's table is what compare (the dashboard's and the API's) shows for the same range and zone."""
    period = document["period"]
    _, results = await reports.compare(
        runtime, account, tracker_ids=[t["id"] for t in document["trackers"]], tag=None, start=period["start"],
        end=period["end"], interval="day", tz=period["tz"],
    )  # fmt: skip
    assert [t.alias for t, _ in results] == [t["alias"] for t in document["trackers"]]
    for (_, growth), row in zip(results, document["trackers"], strict=True):
        for metric, total in growth.totals.items():
            got = row["metrics"][metric]
            assert (got["start"], got["end"], got["change"]) == (total.start, total.end, total.absolute), metric
            assert got["beganLater"] == total.began_later
        assert row["metrics"]["followers"]["change"] is not None


async def test_a_weekly_report_goes_out_once_a_period_across_a_dst_change(database_url: str) -> None:
    async with rig(database_url, start=utc(10, 18, 12) + 120) as r:  # the first report is due 19 Oct 07:00 UTC
        ids = await r.track(NAMES)
        runtime, account = await runtime_of(r, database_url)
        with webhook_receiver(free_port()) as receiver, smtp_server(smtp_port := free_port()) as mailbox:
            hook = await alerts.add_channel(runtime, account, url=receiver.url, name="team hook")
            receiver.secret = hook.secret or ""
            mail = await alerts.add_channel(
                runtime, account, url=f"mailto://127.0.0.1:{smtp_port}?from=roost@example.com&to=team@example.com"
                "&mode=insecure",
            )  # fmt: skip
            made = []
            for channel in (hook, mail):
                view = await alert_reports.add_report(
                    runtime, account, every="week", at="09:00", tz="Europe/Madrid", weekday="mon",
                    trackers=["tole68", "@GAB521"], channel=channel.id,
                )  # fmt: skip
                made.append(view)
            assert made[0].schedule == "every Mon at 09:00 (Europe/Madrid)" and made[0].next_at == utc(10, 19, 7)
            collector = r.collector(timeline=True, backfill_depth=100, base_url=BASE)
            await collector.run(until=utc(11, 2, 9))  # the last one is due 2 Nov 08:00 UTC
            await deliver_all(r)

            events = await report_events(r)
            # 09:00 in Madrid: 07:00 UTC under summer time, 08:00 UTC after it ended on 25 Oct; each report once.
            dues = [utc(10, 19, 7), utc(10, 26, 8), utc(11, 2, 8)]
            assert [at - at % 3600 for at, _ in events] == [d for d in dues for _ in range(2)]
            periods = [(utc(10, 12, 7), dues[0]), (dues[0], dues[1]), (dues[1], dues[2])]
            for (_, payload), period in zip(events, [p for p in periods for _ in range(2)], strict=True):
                document = payload["data"]["report"]
                assert (document["period"]["start"], document["period"]["end"]) == period
                assert sorted(t["id"] for t in document["trackers"]) == sorted(ids)
                await assert_equals_compare(runtime, account, document)
            assert any(p["data"]["report"]["topPosts"] for _, p in events[2:])
            async with r.engine.connect() as conn:
                assert await conn.scalar(select(func.count()).select_from(alert_report_runs)) == 6

            # The webhook: signed (the receiver verified it), the report document, links to its files.
            assert receiver.bad_signatures == 0 and len(receiver.accepted) == 3
            for payload in receiver.accepted.values():
                data = payload["data"]
                assert payload["type"] == "report.scheduled" and data["title"].startswith("Roost weekly report")
                start = data["report"]["period"]["start"]
                assert data["links"] == [f"{BASE}/dashboard/alerts/reports/{made[0].id}/{start}.csv",
                                         f"{BASE}/dashboard/alerts/reports/{made[0].id}/{start}.png"]  # fmt: skip
            # The mail: the table in the text, the chart and the CSV attached.
            assert len(mailbox.messages) == 3
            for _, recipients, raw in mailbox.messages:
                assert recipients == ["team@example.com"]
                files = attachments(raw)
                assert files["image/png"].startswith(b"\x89PNG\r\n\x1a\n")
                table = files["text/csv"].decode("utf-8-sig")
                assert "tracker,metric,start,end,change" in table and "tole68,followers," in table
            # The linked files are served for the report's account: the CSV matches the sent document.
            last = events[-2][1]["data"]["report"]
            name, content = await alert_reports.report_file(
                runtime, account, made[0].id, last["period"]["start"], "csv"
            )
            assert name == "roost-report-2026-11-02.csv"
            tole = next(t for t in last["trackers"] if t["alias"] == "tole68")["metrics"]["followers"]
            assert f"tole68,followers,{tole['start']},{tole['end']},{tole['change']}," in content.decode("utf-8-sig")
            listed = await alert_reports.list_reports(runtime, account)
            assert [v.last_sent for v in listed] == [dues[2], dues[2]] and listed[0].next_at == utc(11, 9, 8)


async def test_two_workers_on_postgresql_send_a_report_once(postgres_url: str) -> None:
    async with rig(postgres_url, start=utc(10, 25, 12) + 120) as r:
        await r.track(NAMES)
        runtime, account = await runtime_of(r, postgres_url)
        with webhook_receiver(free_port()) as receiver:
            hook = await alerts.add_channel(runtime, account, url=receiver.url)
            receiver.secret = hook.secret or ""
            await alert_reports.add_report(runtime, account, every="week", at="09:00", tz="Europe/Madrid",
                                           weekday="mon", trackers=NAMES, channel=hook.id)  # fmt: skip
            until = utc(10, 26, 10)
            await asyncio.gather(r.collector("w1").run(until=until), r.collector("w2").run(until=until))
            workers = [Deliverer(r.engine, r.clock, f"d{k}") for k in (1, 2)]
            await asyncio.gather(*(w.run_once() for w in workers))
            for w in workers:
                await w.http.aclose()
            events = await report_events(r)
            assert [p["data"]["report"]["period"]["end"] for _, p in events] == [utc(10, 26, 8)]
            assert len(receiver.requests) == 1 and len(receiver.accepted) == 1


async def test_bad_reports_are_refused_naming_the_field(database_url: str) -> None:
    async with rig(database_url, start=utc(10, 17) + 120) as r:
        await r.track(["tole68"])
        runtime, account = await runtime_of(r, database_url)
        board = await alerts.add_channel(runtime, account, url="dashboard")
        good = {"every": "week", "at": "09:00", "tz": "Europe/Madrid", "trackers": ["tole68"], "channel": board.id}
        for change, field in (({"tz": "Mars/Olympus"}, "tz"), ({"tz": "../etc/passwd"}, "tz"), ({"at": "25:00"}, "at"),
                              ({"at": "9am"}, "at"), ({"every": "day"}, "every"), ({"weekday": "someday"}, "weekday"),
                              ({"day": 3}, "day"), ({"every": "month", "day": 32}, "day"),
                              ({"trackers": ["nobody"]}, "trackers"), ({"trackers": []}, "trackers"),
                              ({"channel": "nope"}, "channel")):  # fmt: skip
            with pytest.raises(Invalid) as refused:
                await alert_reports.add_report(runtime, account, **{**good, **change})  # type: ignore[arg-type]
            assert refused.value.field == field, (change, refused.value)
        monthly = await alert_reports.add_report(runtime, account, **{**good, "every": "month", "day": 31})  # type: ignore[arg-type]
        assert monthly.schedule == "monthly on day 31 at 09:00 (Europe/Madrid)" and monthly.next_at == utc(10, 31, 8)
        with pytest.raises(ServiceError):
            await alert_reports.remove_report(runtime, account, "no-such-report")
        await alert_reports.remove_report(runtime, account, monthly.id)
        assert await alert_reports.list_reports(runtime, account) == []


# ---- budget rules ---------------------------------------------------------------------------------------------------


async def charge(r: Rig, *, users: range, posts: range = range(0), at: float) -> None:
    """Resources the meter charged (as the collector's X client records each answer)."""
    items = tuple(Billable("user", u, u) for u in users) + tuple(Billable("post", p, 1) for p in posts)
    async with transaction(r.engine) as conn:
        await usage.record_reads(conn, receipt=Receipt("users", "snapshots", at, items))


async def budget_events(r: Rig) -> list[tuple[int, str]]:
    async with r.engine.connect() as conn:
        rows = await conn.execute(
            select(alert_events.c.at, alert_events.c.title).where(alert_events.c.kind == "budget")
            .order_by(alert_events.c.at, alert_events.c.title)
        )  # fmt: skip
        return [(int(a), t) for a, t in rows]


async def test_a_budget_rule_fires_once_when_the_share_is_passed_and_rearms_next_month(database_url: str) -> None:
    async with rig(database_url, start=utc(11, 3)) as r:
        runtime, account = await runtime_of(r, database_url, operators="collector@example.com")
        other = Runtime(Settings(database_url=database_url, _env_file=None), r.clock, r.engine)  # type: ignore[call-arg]
        with pytest.raises(ServiceError) as refused:  # not an operator: the whole bill is not theirs to watch
            await alerts.add_rule(other, account, kind="budget", tracker=None, tag=None, options={"share": "80%"})
        assert refused.value.status == 403 and refused.value.field == "scope"
        with pytest.raises(Invalid) as bad:
            await alerts.add_rule(runtime, account, kind="budget", tracker=None, tag=None, options={"share": "180%"})
        assert bad.value.field == "share"
        await alerts.add_channel(runtime, account, url="dashboard")
        rule = await alerts.add_rule(runtime, account, kind="budget", tracker=None, tag=None, options={"share": "80%"})
        assert rule.description == "the X budget passes 80%"
        cap_rule = await alerts.add_rule(runtime, account, kind="budget", tracker=None, tag=None,
                                         options={"share": "50", "limit": "cap"})  # fmt: skip
        gate = SpendingGate(r.engine, r.clock, PriceTable(user=Decimal("0.01"), post=Decimal("0.005")),
                            budget=Decimal("1.00"), billing_day=1, post_cap=1000)  # fmt: skip

        async def check(at: float) -> int:
            r.clock.set(at)
            async with transaction(r.engine) as conn:
                return await budget_alerts.check(conn, now=int(at), gate=gate)

        await charge(r, users=range(1, 51), at=utc(11, 3))  # $0.50
        assert await check(utc(11, 3, 1)) == 0
        await charge(r, users=range(51, 81), at=utc(11, 10))  # $0.80: the share is reached
        assert await check(utc(11, 10, 1)) == 1
        await charge(r, users=range(81, 96), posts=range(1, 400), at=utc(11, 20))  # more spend, 399 posts
        assert await check(utc(11, 20, 1)) == 0 and await check(utc(11, 28)) == 0  # once a billing month
        assert await check(utc(12, 1, 1)) == 0  # a new billing month: nothing spent yet
        await charge(r, users=range(1, 40), posts=range(1, 521), at=utc(12, 2))  # $0.39 + $2.60; 520 posts
        # The budget rule re-armed with the month and the cap passed half its 1,000 posts: two events, though two
        # workers judge the month at once (each transition is claimed in the database).
        assert sum(await asyncio.gather(check(utc(12, 2, 1)), check(utc(12, 2, 1)))) == 2
        assert await check(utc(12, 3)) == 0
        got = await budget_events(r)
        assert [
            (datetime.fromtimestamp(t, UTC).strftime("%m-%d %H"), title.split(" passed")[0]) for t, title in got
        ] == [
            ("11-10 01", "X budget: the month's X spend $0.80"),
            ("12-02 01", "X budget: the month's X spend $2.99"),
            ("12-02 01", "X budget: the month's post reads 520"),
        ]
        async with r.engine.connect() as conn:
            delivered = await conn.scalar(select(func.count()).select_from(alert_deliveries))
        assert delivered == 3  # each to the dashboard channel
        notes = await alerts.notifications(runtime, account)
        assert {n.rule_id for n in notes} == {rule.id, cap_rule.id}
