"""The dashboard's cookie session and CSRF tokens.

The session cookie holds an ordinary login token (`store.tokens`), so logging in on the dashboard is the same as
`POST /authorize/email/login`: it expires, can be revoked, and is stored only as a hash. The cookie is HttpOnly and
SameSite=Lax; every form also carries a CSRF token derived from the session token (HMAC-free: a SHA-256 of a
secret the attacker cannot read is as unguessable as the secret). Before login there is no session, so the login
form uses a double-submit cookie instead.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, unquote

import orjson
from fastapi import Depends, Request
from starlette.responses import Response

from roost.services import accounts as account_service
from roost.services import spending
from roost.services.errors import Unauthorized
from roost.services.runtime import Runtime
from roost.store.accounts import Account

SESSION_COOKIE = "roost_session"
LOGIN_CSRF_COOKIE = "roost_login_csrf"
FLASH_COOKIE = "roost_flash"


class LoginRequired(Exception):
    """Raised by `require_session`; the app answers with a redirect to the login page."""


@dataclass(frozen=True)
class Session:
    account: Account
    token: str

    @property
    def csrf(self) -> str:
        return csrf_for(self.token)


def csrf_for(secret: str) -> str:
    return hashlib.sha256(b"roost-csrf:" + secret.encode()).hexdigest()[:32]


def csrf_ok(expected: str, given: str | None) -> bool:
    return bool(given) and hmac.compare_digest(expected, given or "")


def new_login_csrf() -> str:
    return secrets.token_urlsafe(24)


def _secure(request: Request) -> bool:
    rt: Runtime = request.app.state.runtime
    return rt.settings.secure_cookies or request.url.scheme == "https"


def set_cookie(response: Response, request: Request, name: str, value: str, max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, samesite="lax", secure=_secure(request), path="/")


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


async def optional_session(request: Request, rt: RuntimeDep) -> Session | None:
    """The logged-in account, or None (no cookie, or its token expired or was revoked)."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        return None
    try:
        account = await account_service.authenticate(rt, token)
    except Unauthorized:
        return None
    return Session(account=account, token=token)


async def require_session(
    request: Request, rt: RuntimeDep, session: Annotated[Session | None, Depends(optional_session)]
) -> Session:
    if session is None:
        raise LoginRequired
    request.state.session = session  # the error page shows the signed-in navigation too (web.errors)
    # Every signed-in page shows what X refuses or the budget holds back (the banner in base.html).
    request.state.upstream_notes = await spending.upstream_notes(rt)
    return session


OptionalSessionDep = Annotated[Session | None, Depends(optional_session)]
SessionDep = Annotated[Session, Depends(require_session)]


def flash(response: Response, request: Request, message: str) -> None:
    """A one-shot message for the next page (kept short; cookies are small)."""
    set_cookie(response, request, FLASH_COOKIE, quote(message[:600]), max_age=60)


def flash_items(response: Response, request: Request, items: list[dict[str, object]], keep: str = "") -> None:
    """Per-item results for the next page (`{"ok": bool, "alias": str, "message": str}`), and text to put back
    in the form. Kept under a cookie's size: the longest lists are cut with a count of what was left out."""
    shown = list(items)
    while True:
        payload = orjson.dumps({"items": shown, "keep": keep[:500], "more": len(items) - len(shown)}).decode()
        if len(quote(payload)) <= 3500 or not shown:
            break
        shown = shown[: max(0, len(shown) - max(1, len(shown) // 4))]
    response.set_cookie(
        FLASH_COOKIE, quote(payload), max_age=60, httponly=True, samesite="lax", secure=_secure(request), path="/"
    )


def read_flash(request: Request) -> str | None:
    """The message `flash` left for this page (the caller deletes the cookie on its response)."""
    message = request.cookies.get(FLASH_COOKIE)
    return unquote(message) if message else None
