"""Scheduled reports (issue 22): an account's weekly or monthly reports, each at a local time in an IANA zone, on
chosen trackers, to one channel. The collector sends them (roost.collector.reporting); here every face adds,
lists, removes and tries them, and the dashboard serves their files behind its login."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncConnection

from roost.collector import reporting
from roost.core import reportfiles
from roost.core import schedule as sched
from roost.core.domain import AliasError, normalize_alias
from roost.services import alerts
from roost.services.errors import Invalid, NotFound
from roost.services.runtime import Runtime
from roost.store import alert_reports as store
from roost.store import alerts as alert_store
from roost.store import outbox
from roost.store.accounts import Account
from roost.store.db import transaction

MAX_REPORTS = 20
MAX_TRACKERS = 20
MAX_PERIOD_START = 253_000_000_000  # the year 9987: the next period's end still fits the calendar


@dataclass(frozen=True, slots=True)
class ReportView:
    id: str
    every: str
    at: str
    tz: str
    weekday: str | None  # weekly: mon..sun
    day: int | None  # monthly: 1..31
    schedule: str  # "every Mon at 09:00 (Europe/Madrid)"
    tracker_ids: list[str]
    trackers: list[str]  # aliases, in the order given
    channel_id: str
    channel: str
    created_at: int
    next_at: int  # the next due time
    last_sent: int | None  # the end of the last period sent
    last_start: int | None  # and its start (the key of its files' links)


def _schedule(every: str, at: str, tz: str, weekday: str | int | None, day: int | None) -> sched.Schedule:
    try:
        return sched.make(every, at, tz, weekday=weekday, day=day)
    except sched.ScheduleError as exc:
        raise Invalid(exc.field, str(exc)) from None


async def _tracker_ids(conn: AsyncConnection, account: Account, refs: Sequence[str]) -> list[str]:
    cleaned = list(dict.fromkeys(r.strip().lstrip("@") for r in refs if r.strip()))
    if not cleaned:
        raise Invalid("trackers", "A report needs at least one tracker (alias or resourceId).")
    if len(cleaned) > MAX_TRACKERS:
        raise Invalid("trackers", f"A report covers at most {MAX_TRACKERS} trackers.")
    ids = []
    for ref in cleaned:
        try:
            key = normalize_alias(ref) if ref.count("-") != 4 else ref
        except AliasError:
            raise Invalid("trackers", f"No tracker {ref!r} in this account.") from None
        found = await alert_store.find_tracker(conn, account_id=account.id, ref=key)
        if found is None:
            raise Invalid("trackers", f"No active tracker {ref!r} in this account.")
        ids.append(found)
    return list(dict.fromkeys(ids))


async def add_report(
    rt: Runtime, account: Account, *, every: str, at: str, tz: str, trackers: Sequence[str], channel: str,
    weekday: str | int | None = None, day: int | None = None,
) -> ReportView:  # fmt: skip
    """A report; Invalid naming the field at fault (every, at, tz, weekday, day, trackers, channel)."""
    s = _schedule(every, at, tz, weekday, day)
    async with transaction(rt.engine) as conn:
        if len(await store.list_for(conn, account_id=account.id)) >= MAX_REPORTS:
            raise Invalid("every", f"An account has at most {MAX_REPORTS} reports; remove one first.")
        ids = await _tracker_ids(conn, account, trackers)
        found = await alert_store.get_channel(conn, channel_id=channel.strip(), account_id=account.id)
        if found is None:
            raise Invalid("channel", f"No channel {channel!r} in this account (see `roost alerts channel list`).")
        row = await store.add(
            conn, account_id=account.id, every=s.every, at=s.at, tz=s.tz, weekday=s.weekday, day=s.day,
            tracker_ids=ids, channel_id=found.id, now=rt.now(),
        )  # fmt: skip
    return (await _views(rt, account, [row]))[0]


async def _views(rt: Runtime, account: Account, rows: list[store.ReportRow]) -> list[ReportView]:
    now = rt.now()
    async with rt.engine.connect() as conn:
        aliases = await alert_store.tracker_aliases(conn, account_id=account.id)
        channels = {c.id: c.name for c in await alert_store.list_channels(conn, account_id=account.id)}
        last = {r.id: await store.runs(conn, report_id=r.id, limit=1) for r in rows}
    out = []
    for r in rows:
        s = reporting.schedule_of(r)
        out.append(ReportView(
            r.id, r.every, r.at, r.tz, sched.WEEKDAYS[r.weekday] if r.every == "week" else None,
            r.day if r.every == "month" else None, s.describe(), r.tracker_ids,
            [aliases.get(t, "?") for t in r.tracker_ids], r.channel_id, channels.get(r.channel_id, "?"),
            r.created_at, sched.next_due(s, now), last[r.id][0].period_end if last[r.id] else None,
            last[r.id][0].period_start if last[r.id] else None,
        ))  # fmt: skip
    return out


async def list_reports(rt: Runtime, account: Account) -> list[ReportView]:
    async with rt.engine.connect() as conn:
        rows = await store.list_for(conn, account_id=account.id)
    return await _views(rt, account, rows)


async def tracker_choices(rt: Runtime, account: Account) -> list[str]:
    """The trackers a report can cover: the account's active trackers' aliases."""
    async with rt.engine.connect() as conn:
        return await store.active_aliases(conn, account_id=account.id)


async def remove_report(rt: Runtime, account: Account, report_id: str) -> None:
    async with transaction(rt.engine) as conn:
        if not await store.remove(conn, report_id=report_id.strip(), account_id=account.id):
            raise NotFound("report")


async def send_now(rt: Runtime, account: Account, report_id: str) -> outbox.DeliveryRow:
    """Send the report of its latest complete period now, for trying (the scheduled send still happens), and
    make a first delivery attempt; the delivery as it stands then."""
    now = rt.now()
    async with transaction(rt.engine) as conn:
        r = await store.get(conn, report_id=report_id.strip(), account_id=account.id)
        if r is None:
            raise NotFound("report")
        start, end = sched.period(reporting.schedule_of(r), sched.last_due(reporting.schedule_of(r), now))
        event_id = await reporting.write(conn, r, start=start, end=end, now=now, interval=rt.interval,
                                         base_url=rt.settings.base_url)  # fmt: skip
    return await alerts.deliver_now(rt, account, f"report:{r.id[:8]}", lambda d: d.event_id == event_id)


async def report_file(rt: Runtime, account: Account, report_id: str, period_start: int, ext: str) -> tuple[str, bytes]:
    """(file name, bytes) of a report period's CSV or PNG: the document that was sent, or, for a period that was
    not sent by the schedule (a try), the same document made now. NotFound for an unknown report or period."""
    async with rt.engine.connect() as conn:
        r = await store.get(conn, report_id=report_id, account_id=account.id)
        if r is None:
            raise NotFound("report")
        if not 0 <= period_start <= MAX_PERIOD_START:
            raise NotFound("report period", message="No such period of this report.")
        sent = await store.run_payload(conn, report_id=r.id, period_start=period_start, account_id=account.id)
        if sent is not None:
            document = sent["data"]["report"]
        else:
            s = reporting.schedule_of(r)
            end = sched.next_due(s, period_start)
            if sched.last_due(s, period_start) != period_start or end > rt.now():
                raise NotFound("report period", message="No such period of this report.")
            document = await reporting.build(conn, r, start=period_start, end=end, interval=rt.interval)
    if ext == "csv":
        return reportfiles.file_name(document, "csv"), reportfiles.csv_text(document).encode()
    return reportfiles.file_name(document, "png"), reportfiles.png_bytes(document)
