"""The dashboard's scheduled reports page (a tab of Alerts): list, add, remove and send now, and the files a
report links to (its CSV and chart, behind the dashboard's login: the links webhook and chat channels get)."""

from __future__ import annotations

from typing import Literal

from fastapi import Request
from starlette.datastructures import FormData
from starlette.responses import Response

from roost.core.schedule import WEEKDAYS
from roost.services import alert_reports, alerts
from roost.services.errors import ServiceError
from roost.web import actions
from roost.web.alerts import page
from roost.web.errors import dashboard_router
from roost.web.forms import form_of
from roost.web.session import RuntimeDep, SessionDep

router = dashboard_router("/dashboard/alerts/reports")
PAGE = "/dashboard/alerts/reports"
ZONES = ("UTC", "Europe/Madrid", "Europe/London", "Europe/Berlin", "America/New_York", "America/Los_Angeles",
         "America/Mexico_City", "America/Sao_Paulo", "Asia/Tokyo", "Australia/Sydney")  # fmt: skip


@router.get("")
async def reports_page(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    found = await alert_reports.list_reports(rt, session.account)
    channels = await alerts.list_channels(rt, session.account)
    aliases = await alert_reports.tracker_choices(rt, session.account)
    return await page(request, rt, session, "alerts/reports.html", "/reports", reports=found, channels=channels,
                      aliases=aliases, weekdays=WEEKDAYS, zones=ZONES)  # fmt: skip


@router.get("/{report_id}/{period_start}.{ext}")
async def report_file(
    report_id: str, period_start: int, ext: Literal["csv", "png"], rt: RuntimeDep, session: SessionDep
) -> Response:
    name, content = await alert_reports.report_file(rt, session.account, report_id[:64], period_start, ext)
    media = "text/csv; charset=utf-8" if ext == "csv" else "image/png"
    disposition = "attachment" if ext == "csv" else "inline"
    return Response(content, media_type=media, headers={"content-disposition": f'{disposition}; filename="{name}"'})


def _text(form: FormData, name: str) -> str:
    value = form.get(name)
    return value.strip() if isinstance(value, str) else ""


@router.post("")
async def reports_post(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    """Add, remove or send a report; a refusal comes back as a message naming what to fix, nothing written."""
    form = await form_of(request, session)
    if form is None:
        return actions.back(request, PAGE, "The form had expired; please try again.")
    account = session.account
    try:
        match _text(form, "action"):
            case "report-add":
                every = _text(form, "every")
                day_text = _text(form, "day")
                if every == "month" and day_text and not day_text.isdigit():
                    return actions.back(request, PAGE, f"day must be a number between 1 and 31, not {day_text!r}")
                trackers = [t for t in form.getlist("trackers") if isinstance(t, str)]
                view = await alert_reports.add_report(
                    rt, account, every=every, at=_text(form, "at"), tz=_text(form, "tz"),
                    weekday=(_text(form, "weekday") or None) if every == "week" else None,
                    day=(int(day_text) if day_text else None) if every == "month" else None,
                    trackers=trackers, channel=_text(form, "channel"),
                )  # fmt: skip
                return actions.back(request, PAGE, f"Added the report: {view.schedule}.")
            case "report-remove":
                await alert_reports.remove_report(rt, account, _text(form, "report"))
                return actions.back(request, PAGE, "Removed the report.")
            case "report-send":
                result = await alert_reports.send_now(rt, account, _text(form, "report"))
                if result.status == "delivered":
                    return actions.back(request, PAGE, f"Report sent through {result.channel_name}.")
                why = result.last_error or "no answer"
                return actions.back(request, PAGE, f"The report was not delivered: {why}. It will be retried.")
    except ServiceError as exc:
        return actions.back(request, PAGE, exc.message)
    return actions.back(request, PAGE, "Unknown action.")
