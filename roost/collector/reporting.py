"""Scheduled reports: the collector sends each due report once per period through the alert outbox.

After each snapshot pass, in the pass's closing transaction, `emit_due` looks at every report definition: the
latest due time at or before now (roost.core.schedule, in the report's zone) gives the period [previous due time,
due time]. A period not sent yet is claimed (`alert_report_runs`, primary key (report, period start): one insert
wins even with several workers on PostgreSQL), and its event is written with one outbox row for the report's
channel in the same transaction, so delivery gets the outbox's retries, idempotency key and log. A report is due
at the first pass at or after its time (passes run every snapshot interval); a collector that was down sends the
latest period only, not each one it missed. Periods before the report was defined are never sent.

The document (`build`) reads what the dashboard's compare reads for that range, in the report's zone with daily
periods: each tracker's snapshots inside its life from LOOKBACK before the start (roost.store.snapshots.series_range)
through `analytics.growth`, so its start, end and change are the one change rule's, the numbers compare shows;
the top posts of the period by engagement (likes + reposts + replies + quotes); the daily followers for the chart.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncConnection

from roost.core import analytics, reportfiles
from roost.core import schedule as sched
from roost.core.alerts import engagement_of
from roost.store import alert_reports as report_store
from roost.store import alerts as alert_store
from roost.store import snapshots as snapshot_store
from roost.store import tweets as tweet_store
from roost.store.trackers import get_owned_trackers

TOP_POSTS = 5


def schedule_of(r: report_store.ReportRow) -> sched.Schedule:
    return sched.Schedule(r.every, r.at, r.tz, weekday=r.weekday, day=r.day)  # type: ignore[arg-type]


def links(base_url: str, report_id: str, period_start: int) -> list[str]:
    """The dashboard URLs of a period's CSV and chart (behind the dashboard's login)."""
    base = base_url.rstrip("/")
    return [f"{base}/dashboard/alerts/reports/{report_id}/{period_start}.csv",
            f"{base}/dashboard/alerts/reports/{report_id}/{period_start}.png"]  # fmt: skip


async def build(
    conn: AsyncConnection, r: report_store.ReportRow, *, start: int, end: int, interval: int
) -> dict[str, Any]:
    """The report's document for [start, end] (see the module docstring)."""
    zone = ZoneInfo(r.tz)
    found = {t.id: t for t in await get_owned_trackers(conn, account_id=r.account_id, ids=r.tracker_ids)}
    picked = sorted((found[i] for i in r.tracker_ids if i in found), key=lambda t: (t.alias.lower(), t.id))
    trackers: list[dict[str, Any]] = []
    chart: list[dict[str, Any]] = []
    posts: list[dict[str, Any]] = []
    for t in picked:
        lo, hi = t.life(interval)
        series = await snapshot_store.series_range(
            conn, x_user_id=t.x_user_id, start=start - analytics.LOOKBACK, end=end, lo=lo, hi=hi
        )
        growth = analytics.growth(series, start=start, end=end, interval="day", tz=zone)
        metrics = {
            m: {"start": c.start, "end": c.end, "change": c.absolute, "percent": c.percent, "beganLater": c.began_later}
            for m, c in growth.totals.items()
        }
        trackers.append({"id": t.id, "alias": t.alias, "metrics": metrics})
        # The followers as of the start (the change rule's start value), then at each local day's end (the last
        # partial day at the period's end), as compare draws daily points.
        first = growth.totals["followers"]
        points = [[start, first.start]] if first.start is not None and not first.began_later else []
        points += [[min(row.end, end), row.values["followers"]] for row in growth.rows
                   if row.values["followers"] is not None]  # fmt: skip
        chart.append({"alias": t.alias, "points": points})
        window = t.clip(start, end, interval)
        if window is not None:
            for p in await tweet_store.posts_in_range(conn, author_id=t.x_user_id, start=window[0], end=window[1]):
                if p.kind == "retweet" or p.deleted_at is not None:
                    continue
                posts.append({"id": str(p.id), "alias": t.alias, "engagement": engagement_of(p.metrics),
                              "createdAt": p.created_at, "text": p.text[:280],
                              "url": f"https://x.com/{t.alias}/status/{p.id}"})  # fmt: skip
    posts.sort(key=lambda p: (-p["engagement"], p["createdAt"], p["id"]))
    return {
        "id": r.id, "every": r.every, "schedule": schedule_of(r).describe(),
        "period": {"start": start, "end": end, "tz": r.tz},
        "trackers": trackers, "topPosts": posts[:TOP_POSTS], "chart": chart,
    }  # fmt: skip


def payload(document: dict[str, Any], *, at: int, link_list: list[str]) -> tuple[str, dict[str, Any]]:
    """(title, the event's payload): Standard Webhooks' shape, the report document and the links to its files."""
    period = reportfiles.period_text(document)
    title = f"Roost {'weekly' if document['every'] == 'week' else 'monthly'} report: {period}"
    data = {"title": title, "summary": title, "text": reportfiles.text(document), "at": at, "report": document,
            "links": link_list}  # fmt: skip
    stamp = datetime.fromtimestamp(at, UTC).isoformat().replace("+00:00", "Z")
    return title, {"type": "report.scheduled", "timestamp": stamp, "data": data}


async def write(
    conn: AsyncConnection, r: report_store.ReportRow, *, start: int, end: int, now: int, interval: int,
    base_url: str, event_id: str | None = None,
) -> str:  # fmt: skip
    """Build the report for [start, end] and write its event and outbox row (the report's channel only)."""
    document = await build(conn, r, start=start, end=end, interval=interval)
    title, body = payload(document, at=now, link_list=links(base_url, r.id, start))
    return await alert_store.add_event(
        conn, account_id=r.account_id, rule_id=None, kind="report", x_user_id=None, tracker_id=None, at=now,
        title=title, payload=body, now=now, channel_ids=[r.channel_id], event_id=event_id,
    )  # fmt: skip


async def emit_due(conn: AsyncConnection, *, now: int, interval: int, base_url: str) -> int:
    """Send every report whose latest period has not gone out; how many were written."""
    sent = 0
    for r in await report_store.list_for(conn, account_id=None):
        s = schedule_of(r)
        due = sched.last_due(s, now)
        if due < r.created_at:
            continue  # no period has ended since the report was defined
        start, end = sched.period(s, due)
        if await report_store.was_sent(conn, report_id=r.id, period_start=start):
            continue
        event_id = alert_store.new_event_id()
        if not await report_store.claim_period(
            conn, report_id=r.id, period_start=start, period_end=end, event_id=event_id, now=now
        ):
            continue
        await write(conn, r, start=start, end=end, now=now, interval=interval, base_url=base_url, event_id=event_id)
        sent += 1
    return sent
