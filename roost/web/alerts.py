"""The dashboard's alert pages: notifications (unread marked), rules, channels (with a test button) and the
delivery log. A router of its own over services.alerts; forms are POST with the session's CSRF token."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from starlette.responses import Response

from roost.core import analytics
from roost.services import alerts
from roost.services.errors import ServiceError
from roost.web import actions
from roost.web.errors import dashboard_router
from roost.web.forms import form_of
from roost.web.render import render
from roost.web.session import RuntimeDep, Session, SessionDep

router = dashboard_router("/dashboard/alerts")
TABS = (("", "Notifications"), ("/rules", "Rules"), ("/channels", "Channels"), ("/reports", "Reports"),
        ("/deliveries", "Delivery log"))  # fmt: skip
KINDS = (
    ("change", "Change over a window"),
    ("threshold", "Threshold crossed"),
    ("unusual", "Unusual movement"),
    ("engagement", "Post engagement"),
    ("state", "Account state"),
    ("stale", "No snapshot for hours"),
    ("budget", "X budget or post cap share (operators)"),
)
FIELDS = ("metric", "change", "window", "value", "direction", "z", "granularity", "multiple", "hours", "share", "limit")


async def page(request: Request, rt: Any, session: Session, name: str, tab: str, **context: Any) -> Response:
    unread = await alerts.notifications(rt, session.account, unread=True, limit=1000)
    base = {"session": session, "tabs": TABS, "tab": tab, "unread": len(unread), "utc": analytics.parse_tz(None)}
    return render(request, name, {**base, **context})


@router.get("")
async def notifications_page(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    shown = await alerts.notifications(rt, session.account, limit=200)
    channels = await alerts.list_channels(rt, session.account)
    board = any(c.kind == "dashboard" for c in channels)
    return await page(request, rt, session, "alerts/notifications.html", "", events=shown, board=board)


@router.get("/rules")
async def rules_page(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    rules = await alerts.list_rules(rt, session.account)
    aliases, tags = await alerts.scope_choices(rt, session.account)
    return await page(request, rt, session, "alerts/rules.html", "/rules", rules=rules, kinds=KINDS, aliases=aliases,
                       tags=tags)  # fmt: skip


@router.get("/channels")
async def channels_page(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    channels = await alerts.list_channels(rt, session.account)
    return await page(request, rt, session, "alerts/channels.html", "/channels", channels=channels)


@router.get("/deliveries")
async def deliveries_page(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    found = await alerts.deliveries(rt, session.account, limit=200)
    return await page(request, rt, session, "alerts/deliveries.html", "/deliveries", deliveries=found)


def _text(form: Any, name: str) -> str | None:
    value = form.get(name)
    return value.strip() if isinstance(value, str) and value.strip() else None


@router.post("")
async def alerts_post(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    """Every alert form: mark read, add/remove/test a channel, add/remove a rule. Refusals come back as a message
    on the page they came from; nothing is written then."""
    form = await form_of(request, session)
    back = {"read": "", "channel-add": "/channels", "channel-remove": "/channels", "channel-test": "/channels",
            "rule-add": "/rules", "rule-remove": "/rules"}  # fmt: skip
    action = _text(form, "action") if form is not None else None
    page = "/dashboard/alerts" + back.get(action or "", "")
    if form is None:
        return actions.back(request, page, "The form had expired; please try again.")
    account = session.account
    try:
        match action:
            case "read":
                await alerts.mark_read(rt, account, None)
                return actions.back(request, page, "Marked every notification read.")
            case "channel-add":
                channel = await alerts.add_channel(rt, account, url=_text(form, "url") or "", name=_text(form, "name"))
                extra = " Its signing secret is in the list below." if channel.secret else ""
                return actions.back(request, page, f"Added the {channel.kind} channel {channel.name}.{extra}")
            case "channel-remove":
                await alerts.remove_channel(rt, account, _text(form, "channel") or "")
                return actions.back(request, page, "Removed the channel.")
            case "channel-test":
                result = await alerts.test_channel(rt, account, _text(form, "channel") or "")
                if result.status == "delivered":
                    return actions.back(request, page, f"Test alert delivered through {result.channel_name}.")
                why = result.last_error or "no answer"
                return actions.back(request, page, f"The test alert was not delivered: {why}. It will be retried.")
            case "rule-add":
                options = {k: _text(form, k) for k in FIELDS}
                states = [s for s in form.getlist("states") if isinstance(s, str)]
                if states:
                    options["states"] = ",".join(states)
                scope = _text(form, "scope") or ""
                tracker = scope[2:] if scope.startswith("t:") else None
                tag = scope[2:] if scope.startswith("g:") else None
                view = await alerts.add_rule(rt, account, kind=_text(form, "kind") or "", tracker=tracker, tag=tag,
                                             options=options)  # fmt: skip
                return actions.back(request, page, f"Added the rule: {view.description}.")
            case "rule-remove":
                await alerts.remove_rule(rt, account, _text(form, "rule") or "")
                return actions.back(request, page, "Removed the rule.")
    except ServiceError as exc:
        return actions.back(request, page, exc.message)
    return actions.back(request, page, "Unknown action.")
