"""The sign-in room: the login form (its own CSRF cookie, throttled attempts) and logout."""

from __future__ import annotations

from fastapi import Request
from starlette.responses import RedirectResponse, Response

from roost.core import auth
from roost.services import accounts as account_service
from roost.services.errors import ServiceError, TooMany
from roost.web.errors import dashboard_router
from roost.web.forms import unstorable_field
from roost.web.render import render
from roost.web.session import (
    LOGIN_CSRF_COOKIE,
    SESSION_COOKIE,
    OptionalSessionDep,
    RuntimeDep,
    csrf_ok,
    new_login_csrf,
    set_cookie,
)

router = dashboard_router()


@router.get("/login")
async def login_page(request: Request, session: OptionalSessionDep, error: str | None = None) -> Response:
    if session is not None:
        return RedirectResponse("/dashboard", 303)
    return _login_form(request, error)


def _login_form(request: Request, error: str | None, status: int = 200, wait: int | None = None) -> Response:
    token = new_login_csrf()
    context = {"session": None, "csrf": token, "error": error, "wait": wait}
    response = render(request, "login.html", context, status)
    set_cookie(response, request, LOGIN_CSRF_COOKIE, token, max_age=3600)
    if wait is not None:
        response.headers["Retry-After"] = str(wait)
    return response


@router.post("/login")
async def login(request: Request, rt: RuntimeDep) -> Response:
    form = await request.form()
    email, password, given = form.get("email"), form.get("password"), form.get("csrf")
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not isinstance(given, str) or not expected or not csrf_ok(expected, given):
        return RedirectResponse("/dashboard/login?error=expired", 303)
    if not isinstance(email, str) or not isinstance(password, str) or not email.strip() or not password:
        return RedirectResponse("/dashboard/login?error=missing", 303)
    if unstorable_field(form) is not None:
        return _login_form(request, "unstorable", 400)
    address = request.client.host if request.client else None
    try:
        issued = await account_service.log_in(
            rt, email=email, password=password, address=address, user_agent=request.headers.get("user-agent")
        )
    except TooMany as exc:
        return _login_form(request, "throttled", 429, exc.retry_after)
    except ServiceError:
        return RedirectResponse("/dashboard/login?error=wrong", 303)
    response = RedirectResponse("/dashboard", 303)
    set_cookie(response, request, SESSION_COOKIE, issued.token, max_age=auth.LOGIN_TTL)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/")
    return response


@router.post("/logout")
async def logout(request: Request, rt: RuntimeDep) -> Response:
    """Always ends the cookie's session, CSRF value or not: a forged logout can do no harm, while keeping the
    token alive after the cookie is cleared would leave a session the user believes is gone."""
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        await account_service.log_out(rt, token)
    response = RedirectResponse("/dashboard/login", 303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response
