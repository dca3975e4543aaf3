"""The account room: the signed-in account's login sessions (where each came from, revoke one or all others) and
the change-password form. The rules and throttling are the API's (services/accounts.py): a wrong current
password counts as a failed login, and changing it logs out every other session."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from roost.core import analytics
from roost.services import accounts as account_service
from roost.services.errors import ServiceError, TooMany
from roost.services.runtime import Runtime
from roost.web import actions
from roost.web.errors import dashboard_router
from roost.web.forms import form_of
from roost.web.render import render
from roost.web.session import SESSION_COOKIE, RuntimeDep, Session, SessionDep

router = dashboard_router()
PAGE = "/dashboard/account"


@router.get("/account")
async def account_page(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    return await _page(request, rt, session)


async def _page(
    request: Request,
    rt: Runtime,
    session: Session,
    *,
    error: str | None = None,
    status: int = 200,
    password_error: bool = False,
) -> Response:
    """The page; an `error` is shown above the sessions, or above the password form when `password_error`."""
    found = await account_service.sessions(rt, session.account, current=session.token)
    context = {
        "session": session,
        "sessions": found,
        "error": error,
        "password_error": password_error,
        "utc": analytics.parse_tz(None),
    }
    return render(request, "account.html", context, status)


@router.post("/account")
async def account_post(request: Request, rt: RuntimeDep, session: SessionDep) -> Response:
    form = await form_of(request, session)
    if form is None:
        return actions.back(request, PAGE, "The form had expired; please try again.")
    action = form.get("action")
    try:
        if action == "revoke":
            raw = form.get("session")
            session_id = int(raw) if isinstance(raw, str) and raw.isdigit() and len(raw) < 19 else -1
            current = [
                s.id for s, mine in await account_service.sessions(rt, session.account, current=session.token) if mine
            ]
            await account_service.revoke_session(rt, session.account, session_id)
            if session_id in current:  # this browser's own session: it is signed out now
                gone = RedirectResponse("/dashboard/login", 303)
                gone.delete_cookie(SESSION_COOKIE, path="/")
                return gone
            return actions.back(request, PAGE, "Logged out that session.")
        if action == "revoke_others":
            count = await account_service.revoke_other_sessions(rt, session.account, keep_token=session.token)
            return actions.back(request, PAGE, f"Logged out {count} other session{'s' if count != 1 else ''}.")
        if action == "password":
            current_pw, new, again = (form.get(k) for k in ("current", "new", "confirm"))
            if not all(isinstance(v, str) and v for v in (current_pw, new, again)):
                return await _page(
                    request, rt, session, error="Fill in all three password fields.", status=400, password_error=True
                )
            if new != again:
                return await _page(
                    request,
                    rt,
                    session,
                    error="The new password and its confirmation differ.",
                    status=400,
                    password_error=True,
                )
            address = request.client.host if request.client else None
            count = await account_service.change_password(
                rt, session.account, current=str(current_pw), new=str(new), keep_token=session.token, address=address
            )
            return actions.back(
                request, PAGE, f"Password changed; {count} other session{'s' if count != 1 else ''} logged out."
            )
    except TooMany as exc:
        response = await _page(request, rt, session, error=exc.message, status=429, password_error=True)
        if exc.retry_after is not None:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response
    except ServiceError as exc:
        is_password = action == "password"
        return await _page(request, rt, session, error=exc.message, status=exc.status, password_error=is_password)
    return actions.back(request, PAGE, "Unknown action.")
