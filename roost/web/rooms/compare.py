"""The compare room: several trackers' growth on one chart, picked by hand or by tag."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from roost.core import analytics
from roost.services import reports, tracker_views
from roost.services import tags as tag_service
from roost.store.trackers import Tracker
from roost.web import data
from roost.web.errors import dashboard_router
from roost.web.forms import picked_trackers, query_interval, query_range
from roost.web.render import render
from roost.web.session import RuntimeDep, SessionDep

router = dashboard_router()


@router.get("/compare")
async def compare_page(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    tags = await tag_service.every(rt, session.account)
    everyone = await tracker_views.every(rt, session.account)
    q = request.query_params
    tag, listed = q.get("tag", "") or None, picked_trackers(request)
    results: list[tuple[Tracker, analytics.Growth]] = []
    choice = query_range(request, rt.now())
    period = query_interval(request, choice)
    if tag or listed:
        _, results = await reports.compare(
            rt,
            session.account,
            tracker_ids=None if tag else listed,
            tag=tag,
            start=choice.start,
            end=choice.end,
            interval=period,
            tz=choice.tz.key,
        )
    metric = q.get("metric", "followers")
    if metric not in analytics.METRICS:
        raise data.InputError("metric", f"Metric must be one of {', '.join(analytics.METRICS)}.")
    mode = q.get("mode") or data.default_compare_mode(results, metric)
    if mode not in data.COMPARE_MODES:
        mode = "absolute"
    chart = data.compare_chart(results, metric)
    picked = {t.id for t, _ in results}
    return render(
        request,
        "compare.html",
        {
            "session": session,
            "tags": tags,
            "trackers": everyone,
            "picked": picked,
            "choice": choice,
            "interval": period,
            "presets": data.PRESETS,
            "results": results,
            "metric": metric,
            "metrics": data.METRIC_NAMES,
            "modes": data.COMPARE_MODES,
            "mode": mode,
            "chart": chart,
            "tag": q.get("tag", ""),
            "trackers_param": "" if tag else ",".join(listed),
            "page_data": {"kind": "compare", "tz": choice.tz.key, "chart": chart, "mode": mode},
        },
    )
