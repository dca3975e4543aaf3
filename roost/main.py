"""The composition root: settings -> runtime (engine, clock, X clients, collector: `services.runtime.open_runtime`
builds them) -> the API and the dashboard mounted side by side on one app behind the middlewares of
`roost.middleware`, and the lifespan that owns the collector and the first run's demo.

`roost serve` runs `serve_app()` with the settings it resolved; tests call `create_app()` with a virtual clock and
the emulator as transport. The API and the dashboard never import each other: each installs itself on the app this
module builds.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.staticfiles import StaticFiles
from starlette.responses import HTMLResponse
from swagger_ui_bundle import swagger_ui_path

from roost import __version__, api, web
from roost.api.responses import JSONResponse
from roost.collector.runner import Collector
from roost.config import Settings
from roost.core.clock import Clock, SystemClock
from roost.middleware import BodyLimit, RequestMetrics, SecurityHeaders, UnstorableInput
from roost.services.backupschedule import run_schedule
from roost.services.demo import DemoBuild, banner, build_in_background, create_demo, demo_still_default
from roost.services.runtime import Runtime, open_runtime

log = logging.getLogger("roost")


DEMO_BUILDING = (
    "  The demo's 30 days of history are being collected in the background; the charts fill in as it goes.\n"
)


async def _background(
    rt: Runtime, build: DemoBuild | None, worker: Collector | None, collecting: asyncio.Event
) -> None:
    """First the demo's history (when a first run just made it), then the live collector (when asked): the
    collector must not claim the demo's users for the current hour while their past hours are still collected."""
    if build is not None:
        await build_in_background(build, rt.status)
    if worker is not None:
        collecting.set()
        await worker.run()


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
            worker = rt.collector() if collector else None
            collecting = asyncio.Event()  # set once the live collector runs (the demo's history is built)
            background = asyncio.create_task(_background(rt, build, worker, collecting))
            stop_backups = asyncio.Event()  # scheduled backups run where the collector runs (ROOST_BACKUP_DIR)
            backups = asyncio.create_task(run_schedule(settings, clock=clock, stop=stop_backups)) if collector else None
            # What the process built to start (modules, routes, tables, the OpenAPI schema) lives as long as it
            # does: out of the cyclic collector's sight, a full collection under load walks only what requests
            # made (30-day timelines at 175 million snapshots, wrk -c32, alternated in one sitting: p99 214 ms
            # with it, 310 ms without). Given back to the collector when the app stops.
            gc.freeze()
            try:
                yield
            finally:
                gc.unfreeze()
                stop_backups.set()
                if backups is not None:
                    await backups
                if worker is not None and collecting.is_set():
                    worker.stop.set()
                elif not background.done():
                    background.cancel()  # still building the demo: it starts over on the next run
                with contextlib.suppress(asyncio.CancelledError):
                    await background

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


def serve_app() -> FastAPI:
    """The app of each worker process of `roost serve --workers N` (uvicorn imports this factory): the settings
    `roost serve` resolved, handed over as one serialized value (config.SERVED_SETTINGS)."""
    settings = Settings.served()
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
