"""Scheduled reports under the alerts routes: add, list, remove, send now, and a sent period's CSV and chart."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path
from starlette.responses import Response

from roost.api.deps import AccountDep, RuntimeDep
from roost.api.errors import AUTHED, OWNED, responses
from roost.schemas.alert_reports import ReportBody, ReportDocument
from roost.schemas.alerts import DeliveryDocument
from roost.services import alert_reports

router = APIRouter(prefix="/alerts/reports", tags=["alerts"])
IdP = Annotated[str, Path(max_length=64)]


@router.post(
    "",
    summary="Add a scheduled report: weekly or monthly at a local time in an IANA zone, on trackers, to a channel",
    response_model=ReportDocument,
    status_code=201,
    responses=responses(400, 401),
)
async def add_report(body: ReportBody, rt: RuntimeDep, account: AccountDep) -> ReportDocument:
    view = await alert_reports.add_report(
        rt, account, every=body.every, at=body.at, tz=body.tz, weekday=body.weekday, day=body.day,
        trackers=body.trackers, channel=body.channel,
    )  # fmt: skip
    return ReportDocument.of(view)


@router.get("", summary="The account's scheduled reports", response_model=list[ReportDocument], responses=AUTHED)
async def list_reports(rt: RuntimeDep, account: AccountDep) -> list[ReportDocument]:
    return [ReportDocument.of(r) for r in await alert_reports.list_reports(rt, account)]


@router.delete("/{reportId}", summary="Remove a scheduled report", status_code=204, response_class=Response,
               responses=OWNED)  # fmt: skip
async def remove_report(reportId: IdP, rt: RuntimeDep, account: AccountDep) -> Response:
    await alert_reports.remove_report(rt, account, reportId)
    return Response(status_code=204)


@router.post(
    "/{reportId}/send",
    summary="Send the report of its latest complete period now (for trying); the delivery after its first attempt",
    response_model=DeliveryDocument,
    responses=OWNED,
)
async def send_report(reportId: IdP, rt: RuntimeDep, account: AccountDep) -> DeliveryDocument:
    return DeliveryDocument.of(await alert_reports.send_now(rt, account, reportId))


@router.get(
    "/{reportId}/{periodStart}.{ext}",
    summary="A report period's CSV or chart (PNG); periodStart is the period's start in unix seconds",
    response_class=Response,
    responses={**OWNED, 200: {"content": {"text/csv": {}, "image/png": {}}, "description": "The file"}},
)
async def report_file(
    reportId: IdP, periodStart: int, ext: Literal["csv", "png"], rt: RuntimeDep, account: AccountDep
) -> Response:
    name, content = await alert_reports.report_file(rt, account, reportId, periodStart, ext)
    media = "text/csv; charset=utf-8" if ext == "csv" else "image/png"
    return Response(content, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'})
