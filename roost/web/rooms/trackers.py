"""The trackers list: every tracker of the account with its figures, tags and balance, and the list's form
actions (add, stop, tag, untag; tags), handed to `web.actions`."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from roost.core import analytics
from roost.services import accounts as account_service
from roost.services import tags as tag_service
from roost.services import tracker_views
from roost.web import actions, cost, data
from roost.web.errors import dashboard_router
from roost.web.forms import form_of
from roost.web.render import render
from roost.web.session import RuntimeDep, SessionDep

router = dashboard_router()


@router.get("")
async def trackers_page(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    every = [data.tracker_row(summary) for summary in await tracker_views.summaries(rt, session.account)]
    show_stopped = request.query_params.get("show") == "all"
    rows = [r for r in every if show_stopped or r.view.tracker.status == "active"]
    tags = await tag_service.every(rt, session.account)
    balance = await account_service.balance(rt, session.account)
    aliases = {r.view.tracker.id: "@" + r.view.username for r in every}
    updated = max((r.view.last_snapshot.updated_at for r in every if r.view.last_snapshot), default=None)
    return render(
        request,
        "trackers.html",
        {
            "session": session,
            "rows": rows,
            "tags": tags,
            "balance": balance,
            "now": rt.now(),
            "show_stopped": show_stopped,
            "stopped_count": sum(1 for r in every if r.view.tracker.status != "active"),
            "aliases": aliases,
            "updated": updated,
            "utc": analytics.parse_tz(None),
            "add_cost": cost.add_cost(rt),
        },
    )


@router.post("/trackers")
async def trackers_post(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    form = await form_of(request, session)
    if form is None:
        return actions.back(request, "/dashboard", "The form had expired; please try again.")
    return await actions.dispatch(request, rt, session, form)
