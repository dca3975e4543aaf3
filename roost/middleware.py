"""The app's own guards and bookkeeping, around the API and the dashboard alike: the request body limit (413),
the path and query check for text no database can store (400), the security headers with the page's CSP nonce,
and the request metrics. `roost.main` stacks them on the app it builds (a layer between it and the faces)."""

from __future__ import annotations

import secrets
import time

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from roost.api.errors import error_body
from roost.api.responses import JSONResponse
from roost.core.text import unstorable
from roost.metrics import HTTP_LATENCY, HTTP_REQUESTS


async def _refuse(send: Send, status: int, code: str, message: str, field: str | None = None) -> None:
    """An error answer in the API's body format, given before the app saw the request."""
    details = {"field": field} if field else None
    body = error_body(status, code, message, details)
    response = JSONResponse(body, status_code=status, headers={"Connection": "close"})
    await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


class _HttpOnly:
    """A middleware of HTTP requests (`http`); anything else (the lifespan) passes through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        await self.http(scope, receive, send)

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        raise NotImplementedError


class _BodyTooLarge(Exception):
    pass


class BodyLimit(_HttpOnly):
    """Refuses request bodies over `max_bytes` with 413 before anything parses them: at once when Content-Length
    says so, else as soon as the streamed bytes pass the limit (the app then sees an error and its answer is
    dropped). Unauthenticated requests are refused the same way, so a large body costs the server nothing."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        super().__init__(app)
        self.max_bytes = max_bytes

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        message = f"The request body is larger than {self.max_bytes} bytes."
        length = Headers(scope=scope).get("content-length")
        if length is not None and (not length.strip().isdigit() or int(length) > self.max_bytes):
            await _refuse(send, 413, "body_too_large", message)
            return
        received = 0
        refused = False
        started = False

        async def counted() -> Message:
            nonlocal received, refused
            if refused:
                raise _BodyTooLarge
            event = await receive()
            if event["type"] == "http.request":
                received += len(event.get("body", b""))
                if received > self.max_bytes:
                    refused = True
                    if not started:
                        await _refuse(send, 413, "body_too_large", message)
                    raise _BodyTooLarge
            return event

        async def guarded(event: Message) -> None:
            nonlocal started
            if refused:
                return  # the 413 was the answer
            if event["type"] == "http.response.start":
                started = True
            await send(event)

        try:
            await self.app(scope, counted, guarded)
        except Exception:
            if not refused:
                raise


class UnstorableInput(_HttpOnly):
    """Refuses a path or query parameter holding text no database can store (NUL, lone surrogates, see
    core.text) with a 400 naming the parameter, before routing: one check for every operation and page. Bodies
    are checked by the wire models (schemas.Input) and the dashboard's form reader."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        problem = _unstorable_url(scope)
        if problem is not None:
            field, what = problem
            await _refuse(send, 400, "invalid_request", f"Invalid value for '{field}': {what}.", field)
            return
        await self.app(scope, receive, send)


def _unstorable_url(scope: Scope) -> tuple[str, str] | None:
    from urllib.parse import parse_qsl

    what = unstorable(scope["path"])
    if what is not None:
        return "path", what
    raw = scope.get("query_string", b"")
    if not raw:
        return None
    for name, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True, encoding="utf-8", errors="replace"):
        what = unstorable(name) or unstorable(value)
        if what is not None:
            return (name if unstorable(name) is None else "query"), what
    return None


CSP = (
    "default-src 'self'; script-src 'self'{nonce}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data: https://pbs.twimg.com; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
_FIXED_HEADERS = [
    (b"x-frame-options", b"DENY"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]
_CSP_PLAIN = CSP.format(nonce="").encode()


class CspNonce:
    """A per-request script nonce, made on first use (`str(request.state.csp_nonce)` in a template): pages with
    inline scripts mark them with it and the Content-Security-Policy names it; other answers never make one."""

    def __init__(self) -> None:
        self._value: str | None = None

    def __str__(self) -> str:
        if self._value is None:
            self._value = secrets.token_urlsafe(16)
        return self._value

    @property
    def used(self) -> str | None:
        return self._value


class SecurityHeaders(_HttpOnly):
    """Content-Security-Policy (scripts only from this origin or with the request's nonce; never framed),
    X-Frame-Options, X-Content-Type-Options and Referrer-Policy on every answer, API and dashboard alike."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        nonce = CspNonce()
        scope.setdefault("state", {})["csp_nonce"] = nonce

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                used = nonce.used
                csp = CSP.format(nonce=f" 'nonce-{used}'").encode() if used else _CSP_PLAIN
                message["headers"] = [*message.get("headers", ()), (b"content-security-policy", csp), *_FIXED_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


class RequestMetrics(_HttpOnly):
    """Counts requests by method, route template and status, and their latency by route, for /metrics."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            HTTP_REQUESTS.labels(scope["method"], template, str(status)).inc()
            HTTP_LATENCY.labels(template).observe(time.perf_counter() - started)
