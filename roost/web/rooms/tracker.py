"""One tracker's room: its page, the printable report, the CSV export and the activity JSON the page loads."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import Request
from starlette.responses import Response

from roost.core import analytics
from roost.schemas import (
    GROWTH_CSV,
    ActivityPage,
    csv_text,
    growth_csv_row,
    stats_csv,
)
from roost.services import history, reports, tracker_views
from roost.services.runtime import Runtime
from roost.web import data
from roost.web.errors import dashboard_router
from roost.web.forms import owned, query_interval, query_range
from roost.web.render import csv_download, render
from roost.web.session import RuntimeDep, Session, SessionDep

router = dashboard_router()


async def _tracker_context(request: Request, rt: Runtime, session: Session, tracker_id: str) -> dict[str, Any]:
    """What the tracker page and its printable report show: one range report and one post report."""
    tracker = await owned(rt, session, tracker_id)
    now = rt.now()
    choice = query_range(request, now)
    period = query_interval(request, choice)
    reports.check_period_count(choice.start, choice.end, period)
    report = await reports.range_report(rt, tracker, start=choice.start, end=choice.end, interval=period, tz=choice.tz)
    view = await tracker_views.view(rt, session.account, tracker)
    last = view.last_snapshot if view else None
    posted = await reports.post_report(
        rt, tracker, start=choice.start, end=choice.end, tz=choice.tz, followers=last.followers if last else None
    )
    first = report.points[0].bucket if report.points else None
    activity_url = f"/dashboard/trackers/{tracker.id}/activity.json?{request.url.query}"
    return {
        "session": session,
        "tracker": tracker,
        "view": view,
        "profile": data.profile(view, pictures=not rt.settings.uses_embedded_emulator),
        "choice": choice,
        "interval": period,
        "presets": data.PRESETS,
        "growth": report.growth,
        "rows": data.with_data(report.growth.rows),
        "windows": report.windows,
        "posts": posted,
        "weekdays": data.WEEKDAYS,
        "min_sample": reports.MIN_SLOT_POSTS,
        "tracked_for": (tracker.stopped_at or now) - tracker.created_at,
        "first_point": first,
        "imported": await history.imported_history(rt, tracker),  # history not collected here: the page says so
        "chart": data.chart_payload(report.points, report.growth.glitches),
        "page_data": {
            "kind": "tracker",
            "tz": choice.tz.key,
            "chart": data.chart_payload(report.points, report.growth.glitches),
            "activity": activity_url,
            "range": [choice.start, choice.end],
        },
        "query": request.url.query,
        "now": now,
    }


@router.get("/trackers/{tracker_id}")
async def tracker_page(request: Request, rt: RuntimeDep, session: SessionDep, tracker_id: str) -> Response:
    return render(request, "tracker.html", await _tracker_context(request, rt, session, tracker_id))


@router.get("/trackers/{tracker_id}/report")
async def tracker_report(request: Request, rt: RuntimeDep, session: SessionDep, tracker_id: str) -> Response:
    """A printable one-page report of the range: profile, figures, charts, top posts and best times."""
    return render(request, "report.html", await _tracker_context(request, rt, session, tracker_id))


@router.get("/trackers/{tracker_id}/export.csv")
async def tracker_csv(request: Request, rt: RuntimeDep, session: SessionDep, tracker_id: str) -> Response:
    """The range as CSV: every snapshot (kind=snapshots, like stats?isTimeline=true) or the growth rows."""
    tracker = await owned(rt, session, tracker_id)
    choice = query_range(request, rt.now())
    period = query_interval(request, choice)
    zone = choice.tz
    if request.query_params.get("kind") == "growth":  # the API's growth, with every check of its query
        g = await reports.growth(rt, tracker, start=choice.start, end=choice.end, interval=period, tz=zone.key)
        rows = [data.with_date(growth_csv_row(r), r.start, zone) for r in data.with_data(g.rows)]
        return csv_download(f"growth-{tracker.alias}.csv", csv_text(data.dated(GROWTH_CSV, zone), rows))
    every = await tracker_views.series(rt, tracker, start=choice.start - analytics.LOOKBACK, end=choice.end)
    found = await reports.owned_stats(
        rt, tracker.account_id, tracker.id, start=choice.start, end=choice.end, timeline=True, with_activity=False
    )
    header, rows = stats_csv(found.names, found.rows)
    marked = await history.imported_buckets(rt, tracker, start=choice.start, end=choice.end)
    header, rows = history.mark_imported(header, rows, [row[0] for row in rows], marked)
    glitched = data.glitches_by_bucket(analytics.flag_glitches(every))
    dated = [data.with_date(row, row[0], zone, glitched.get(row[0], [])) for row in rows]
    return csv_download(f"stats-{tracker.alias}.csv", csv_text(data.dated(header, zone, flagged=True), dated))


@router.get("/trackers/{tracker_id}/activity.json")
async def tracker_activity(request: Request, rt: RuntimeDep, session: SessionDep, tracker_id: str) -> Response:
    """Posting activity for the page's range: the API's `/activity` document from the same use case, clipped to
    the tracker's life, every period in one page."""
    tracker = await owned(rt, session, tracker_id)
    choice = query_range(request, rt.now())
    period = query_interval(request, choice)
    found = await reports.posting_activity(
        rt, tracker, start=choice.start, end=choice.end, interval=period, tz=choice.tz.key
    )
    doc = ActivityPage.of_activity(
        found.rows, found.total, interval=found.periods.interval, tz=found.periods.tz.key, window=found.window
    )
    return Response(orjson.dumps(doc.dump()), media_type="application/json")
