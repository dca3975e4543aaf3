"""The composition root: settings -> runtime (engine, clock, X client) -> the API and the dashboard mounted side by
side on one app, and the lifespan that owns the collector and the first run's demo.

`roost serve` runs `create_app()`; tests call it with a virtual clock and the emulator as transport. The API and
the dashboard never import each other: each installs itself on the app this module builds.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import Headers
from starlette.responses import HTMLResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path

from roost import __version__, api, web
from roost.api.errors import error_body
from roost.api.responses import JSONResponse
from roost.collector.runner import Collector
from roost.config import Settings
from roost.core.clock import Clock, SystemClock
from roost.core.text import unstorable
from roost.metrics import HTTP_LATENCY, HTTP_REQUESTS
from roost.services.backupschedule import run_schedule
from roost.services.demo import DemoBuild, banner, create_demo, demo_still_default, print_progress
from roost.services.runtime import Runtime, open_runtime

log = logging.getLogger("roost")


DEMO_BUILDING = (
    "  The demo's 30 days of history are being collected in the background; the charts fill in as it goes.\n"
)


async def _background(rt: Runtime, build: DemoBuild | None, worker: list[Collector] | None) -> None:
    """First the demo's history (when a first run just made it), then the live collector (when asked): the
    collector must not claim the demo's users for the current hour while their past hours are still collected."""
    if build is not None:
        rt.status["demo"] = "building"

        def progress(done: int, days: int) -> None:
            rt.status["demo"] = f"building {done}/{days} days"
            print_progress(done, days)

        await build.history(progress)
        rt.status["demo"] = "ready"
    if worker is not None:
        collector = Collector.for_settings(rt.settings, engine=rt.engine, xclient=rt.worker_xclient(), clock=rt.clock)
        worker.append(collector)
        await collector.run()


def create_app(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
    migrate: bool = True,
    collector: bool = False,
) -> FastAPI:
    """The whole web app. With `collector`, a collector worker runs in the same process (what `roost serve` does)."""
    settings = settings or Settings()
    clock = clock or SystemClock()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with open_runtime(settings, clock=clock, transport=transport, migrate=migrate) as rt:
            app.state.runtime = rt
            build = None
            if settings.demo and settings.uses_embedded_emulator and transport is None:
                build = await create_demo(settings, rt.engine, now=clock.now())
                login = build.login if build is not None else await demo_still_default(rt.engine)
                if login is not None:
                    note = DEMO_BUILDING if build is not None else ""
                    print(banner(login, host=settings.host, port=settings.port) + note, flush=True)
            worker: list[Collector] = []
            background = asyncio.create_task(_background(rt, build, worker if collector else None))
            stop_backups = asyncio.Event()  # scheduled backups run where the collector runs (ROOST_BACKUP_DIR)
            backups = asyncio.create_task(run_schedule(settings, clock=clock, stop=stop_backups)) if collector else None
            try:
                yield
            finally:
                stop_backups.set()
                if backups is not None:
                    await backups
                if worker:
                    worker[0].stop.set()
                if not background.done() and not worker:
                    background.cancel()  # still building the demo: it starts over on the next run
                with contextlib.suppress(asyncio.CancelledError):
                    await background
                if worker:
                    await worker[0].xclient.aclose()

    app = FastAPI(
        title="Roost",
        version=__version__,
        description="Tweet Binder-compatible User Trackers API, with Roost's extensions.",
        default_response_class=JSONResponse,
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    api.install(app)
    web.install(app)
    _offline_docs(app)
    # Outermost last: metrics see every answer, including the 413s and 400s the guards give.
    app.add_middleware(UnstorableInput)
    app.add_middleware(BodyLimit, max_bytes=settings.max_body_bytes)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(RequestMetrics)
    return app


async def _refuse(send: Send, status: int, code: str, message: str, field: str | None = None) -> None:
    """An error answer in the API's body format, given before the app saw the request."""
    details = {"field": field} if field else None
    body = error_body(status, code, message, details)
    response = JSONResponse(body, status_code=status, headers={"Connection": "close"})
    await send({"type": "http.response.start", "status": response.status_code, "headers": response.raw_headers})
    await send({"type": "http.response.body", "body": response.body})


class _BodyTooLarge(Exception):
    pass


class BodyLimit:
    """Refuses request bodies over `max_bytes` with 413 before anything parses them: at once when Content-Length
    says so, else as soon as the streamed bytes pass the limit (the app then sees an error and its answer is
    dropped). Unauthenticated requests are refused the same way, so a large body costs the server nothing."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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


class UnstorableInput:
    """Refuses a path or query parameter holding text no database can store (NUL, lone surrogates, see
    core.text) with a 400 naming the parameter, before routing: one check for every operation and page. Bodies
    are checked by the wire models (schemas.Input) and the dashboard's form reader."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
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


class SecurityHeaders:
    """Content-Security-Policy (scripts only from this origin or with the request's nonce; never framed),
    X-Frame-Options, X-Content-Type-Options and Referrer-Policy on every answer, API and dashboard alike."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = CspNonce()
        scope.setdefault("state", {})["csp_nonce"] = nonce

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                used = nonce.used
                csp = CSP.format(nonce=f" 'nonce-{used}'").encode() if used else _CSP_PLAIN
                message["headers"] = [*message.get("headers", ()), (b"content-security-policy", csp), *_FIXED_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


class RequestMetrics:
    """Counts requests by method, route template and status, and their latency by route, for /metrics."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
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


def serve_app() -> FastAPI:
    """The app `roost serve` runs (uvicorn's factory, imported by each worker process): settings from the
    environment, the collector in this process when ROOST_COLLECTOR says so."""
    settings = Settings()
    return create_app(settings, collector=settings.collector)


def _offline_docs(app: FastAPI) -> None:
    """`/docs` with Swagger UI served from the installed package: it renders with no network."""
    app.mount("/docs-assets", StaticFiles(directory=str(swagger_ui_path)), name="docs-assets")

    @app.get("/docs", include_in_schema=False)
    async def docs(request: Request) -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="Roost API",
            swagger_js_url="/docs-assets/swagger-ui-bundle.js",
            swagger_css_url="/docs-assets/swagger-ui.css",
            swagger_favicon_url="/docs-assets/favicon-32x32.png",
        )
        # The page's one inline script (it starts Swagger UI) carries the nonce the CSP allows.
        html = bytes(page.body).decode().replace("<script>", f'<script nonce="{request.state.csp_nonce}">')
        return HTMLResponse(html)
