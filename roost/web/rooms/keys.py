"""The API keys room: the account's keys, created (shown once) and revoked."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import Response

from roost.core import analytics
from roost.services import keys as key_service
from roost.services.errors import ServiceError
from roost.services.runtime import Runtime
from roost.web import actions
from roost.web.errors import dashboard_router
from roost.web.forms import form_of
from roost.web.render import render
from roost.web.session import RuntimeDep, Session, SessionDep

router = dashboard_router()


@router.get("/keys")
async def keys_page(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    return await _keys(request, rt, session)


async def _keys(
    request: Request, rt: Runtime, session: Session, *, created: str | None = None, error: str | None = None
) -> Response:
    keys = await key_service.own_keys(rt, session.account)
    now = rt.now()
    return render(
        request,
        "keys.html",
        {
            "session": session,
            "keys": keys,
            "created": created,
            "error": error,
            "now": now,
            "utc": analytics.parse_tz(None),
        },
        400 if error else 200,
    )


@router.post("/keys")
async def keys_post(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    """Create (the key is shown on this response only, never stored in plain) or revoke one of the account's keys."""
    form = await form_of(request, session)
    if form is None:
        return actions.back(request, "/dashboard/keys", "The form had expired; please try again.")
    action = form.get("action")
    try:
        if action == "create":
            name, days = form.get("name"), form.get("expires_days")
            expires = int(days) if isinstance(days, str) and days.strip().isdigit() else None
            plaintext, _ = await key_service.create_own_key(
                rt, session.account, name=name if isinstance(name, str) else "", expires_days=expires
            )
            return await _keys(request, rt, session, created=plaintext)
        if action == "revoke":
            raw = form.get("key")
            key_id = int(raw) if isinstance(raw, str) and raw.isdigit() else -1
            await key_service.revoke_own_key(rt, session.account, key_id)
            return actions.back(request, "/dashboard/keys", "Revoked the key: requests with it now get 401.")
    except ServiceError as exc:
        return await _keys(request, rt, session, error=exc.message)
    return actions.back(request, "/dashboard/keys", "Unknown action.")
