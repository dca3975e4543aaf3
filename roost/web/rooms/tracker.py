"""One tracker's room: its page, the printable report, the CSV export and the activity JSON the page loads."""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from starlette.responses import Response

from roost.core import analytics
from roost.schemas import (
    GROWTH_CSV,
    ActivityDocument,
    ActivityPage,
    Pagination,
    csv_text,
    growth_csv_row,
    stats_csv,
)
from roost.services import history, reports, tracker_views
from roost.services.errors import ServiceError
from roost.services.runtime import Runtime
from roost.web import data
from roost.web.forms import owned, query_interval, query_range
from roost.web.render import csv_download, error_page, render
from roost.web.session import RuntimeDep, Session, SessionDep

router = APIRouter(prefix="/dashboard", include_in_schema=False)


async def _tracker_context(
    request: Request, rt: Runtime, session: Session, tracker_id: str
) -> dict[str, Any] | Response:
    """What the tracker page and its printable report show: one range report and one post report."""
    tracker = await owned(rt, session, tracker_id)
    if tracker is None:
        return error_page(request, session, 404, "No such tracker.")
    now = rt.now()
    try:
        choice = query_range(request, now)
        period = query_interval(request, choice)
        reports.check_period_count(choice.start, choice.end, period)
    except data.InputError as exc:
        return error_page(request, session, 400, str(exc))
    except ServiceError as exc:
        return error_page(request, session, 400, exc.message)
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
    context = await _tracker_context(request, rt, session, tracker_id)
    if isinstance(context, Response):
        return context
    return render(request, "tracker.html", context)


@router.get("/trackers/{tracker_id}/report")
async def tracker_report(request: Request, rt: RuntimeDep, session: SessionDep, tracker_id: str) -> Response:
    """A printable one-page report of the range: profile, figures, charts, top posts and best times."""
    context = await _tracker_context(request, rt, session, tracker_id)
    if isinstance(context, Response):
        return context
    return render(request, "report.html", context)


@router.get("/trackers/{tracker_id}/export.csv")
async def tracker_csv(request: Request, rt: RuntimeDep, session: SessionDep, tracker_id: str) -> Response:
    """The range as CSV: every snapshot (kind=snapshots, like stats?isTimeline=true) or the growth rows."""
    tracker = await owned(rt, session, tracker_id)
    if tracker is None:
        return error_page(request, session, 404, "No such tracker.")
    try:
        choice = query_range(request, rt.now())
        period = query_interval(request, choice)
        zone = choice.tz
        if request.query_params.get("kind") == "growth":  # the API's growth, with every check of its query
            g = await reports.growth(rt, tracker, start=choice.start, end=choice.end, interval=period, tz=zone.key)
    except data.InputError as exc:
        return error_page(request, session, 400, str(exc))
    except ServiceError as exc:
        return error_page(request, session, 400, exc.message)
    if request.query_params.get("kind") == "growth":
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
    """Posting activity for the page's range, as the API's `/activity` document (from the account's whole archive:
    a new tracker's page shows what the account posts; the API's `/activity` is clipped to the tracker's life)."""
    tracker = await owned(rt, session, tracker_id)
    if tracker is None:
        return Response(b'{"available": false}', 404, media_type="application/json")
    try:
        choice = query_range(request, rt.now())
        period = query_interval(request, choice)
        found = await reports.account_activity(
            rt, tracker, start=choice.start, end=choice.end, interval=period, tz=choice.tz
        )
    except data.InputError as exc:
        return Response(orjson.dumps({"available": False, "error": str(exc)}), 400, media_type="application/json")
    except ServiceError as exc:
        return Response(orjson.dumps({"available": False, "error": exc.message}), 400, media_type="application/json")
    total = len(found.rows)
    doc = ActivityPage(
        pagination=Pagination(offset=0, limit=total, total=total, nextResults=None),
        data=[ActivityDocument.of(r) for r in found.rows],
        interval=found.periods.interval,
        tz=found.periods.tz.key,
        startDate=found.window[0] if found.window else None,
        endDate=found.window[1] if found.window else None,
        totals=ActivityDocument.of(found.total),
    )
    return Response(orjson.dumps(doc.dump()), media_type="application/json")
