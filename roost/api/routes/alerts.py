"""Alerts: channels (with a test send), rules, notifications with unread marks, and the delivery log."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query
from starlette.responses import Response

from roost.api.deps import AccountDep, RuntimeDep
from roost.api.errors import AUTHED, OWNED, responses
from roost.schemas import Ok
from roost.schemas.alerts import (
    AlertsOverview,
    ChannelBody,
    ChannelDocument,
    DeliveryDocument,
    NotificationDocument,
    ReadBody,
    RuleBody,
    RuleDocument,
)
from roost.services import alerts

router = APIRouter(prefix="/alerts", tags=["alerts"])
IdP = Annotated[str, Path(max_length=64)]
LimitQ = Annotated[int, Query(ge=1, le=500, description="At most this many, newest first")]


@router.get("", summary="Channels, rules and the latest notifications", response_model=AlertsOverview, responses=AUTHED)
async def overview(rt: RuntimeDep, account: AccountDep, limit: LimitQ = 50) -> AlertsOverview:
    return AlertsOverview.of(await alerts.overview(rt, account, limit=limit))


@router.post(
    "/channels",
    summary="Add a channel: a webhook URL (signed per Standard Webhooks), 'dashboard', or an apprise URL",
    response_model=ChannelDocument,
    status_code=201,
    responses=responses(400, 401),
)
async def add_channel(body: ChannelBody, rt: RuntimeDep, account: AccountDep) -> ChannelDocument:
    return ChannelDocument.of(await alerts.add_channel(rt, account, url=body.url, name=body.name))


@router.get("/channels", summary="The account's channels", response_model=list[ChannelDocument], responses=AUTHED)
async def list_channels(rt: RuntimeDep, account: AccountDep) -> list[ChannelDocument]:
    return [ChannelDocument.of(c) for c in await alerts.list_channels(rt, account)]


@router.delete(
    "/channels/{channelId}", summary="Remove a channel", status_code=204, response_class=Response, responses=OWNED
)
async def remove_channel(channelId: IdP, rt: RuntimeDep, account: AccountDep) -> Response:
    await alerts.remove_channel(rt, account, channelId)
    return Response(status_code=204)


@router.post(
    "/channels/{channelId}/test",
    summary="Send a test alert through one channel now; the delivery after its first attempt",
    response_model=DeliveryDocument,
    responses=OWNED,
)
async def test_channel(channelId: IdP, rt: RuntimeDep, account: AccountDep) -> DeliveryDocument:
    return DeliveryDocument.of(await alerts.test_channel(rt, account, channelId))


@router.post(
    "/rules",
    summary="Add a rule on a tracker, a tag or all trackers (kinds: change, threshold, unusual, engagement, "
    "state, stale; budget, operators only: the whole X bill)",
    response_model=RuleDocument,
    status_code=201,
    responses=responses(400, 401, 403, 404),
)
async def add_rule(body: RuleBody, rt: RuntimeDep, account: AccountDep) -> RuleDocument:
    view = await alerts.add_rule(
        rt, account, kind=body.kind, tracker=body.tracker, tag=body.tag, options=body.options()
    )
    return RuleDocument.of(view)


@router.get("/rules", summary="The account's rules", response_model=list[RuleDocument], responses=AUTHED)
async def list_rules(rt: RuntimeDep, account: AccountDep) -> list[RuleDocument]:
    return [RuleDocument.of(r) for r in await alerts.list_rules(rt, account)]


@router.delete("/rules/{ruleId}", summary="Remove a rule", status_code=204, response_class=Response, responses=OWNED)
async def remove_rule(ruleId: IdP, rt: RuntimeDep, account: AccountDep) -> Response:
    await alerts.remove_rule(rt, account, ruleId)
    return Response(status_code=204)


@router.get(
    "/notifications",
    summary="What the dashboard channel received, newest first",
    response_model=list[NotificationDocument],
    responses=AUTHED,
)
async def notifications(
    rt: RuntimeDep, account: AccountDep, limit: LimitQ = 100, unread: bool = False
) -> list[NotificationDocument]:
    found = await alerts.notifications(rt, account, unread=unread, limit=limit)
    return [NotificationDocument.of(e) for e in found]


@router.post("/notifications/read", summary="Mark notifications read (none named: all)", response_model=Ok,
             responses=AUTHED)  # fmt: skip
async def mark_read(body: ReadBody, rt: RuntimeDep, account: AccountDep) -> Ok:
    await alerts.mark_read(rt, account, body.ids)
    return Ok()


@router.get(
    "/deliveries",
    summary="The delivery log: each delivery with its status and every attempt",
    response_model=list[DeliveryDocument],
    responses=AUTHED,
)
async def deliveries(rt: RuntimeDep, account: AccountDep, limit: LimitQ = 100) -> list[DeliveryDocument]:
    return [DeliveryDocument.of(d) for d in await alerts.deliveries(rt, account, limit=limit)]
