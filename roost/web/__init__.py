"""The dashboard face: server-rendered pages and their static files. `install(app)` adds them to the app the
composition root (`roost.main`) built; it reads the `Runtime` from app state, like the API, and imports no API
module."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse, Response

from roost.web import alert_reports, alerts
from roost.web.errors import install_handlers
from roost.web.render import HERE, error_page
from roost.web.rooms import router
from roost.web.session import OptionalSessionDep


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.include_router(alert_reports.router)  # before alerts: /dashboard/alerts/reports is its own router
    app.include_router(alerts.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/dashboard", 307)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> RedirectResponse:
        """Browsers and feed readers ask for it without reading the page's <link rel="icon">."""
        return RedirectResponse("/static/favicon.svg", 301)

    @app.get("/dashboard/{rest:path}", include_in_schema=False)
    async def missing(request: Request, session: OptionalSessionDep, rest: str) -> Response:
        """A dashboard address that leads nowhere (a mistyped or old link): the dashboard's own page, not the
        API's JSON body. Registered after every dashboard room, so it only answers what none of them does."""
        return error_page(request, session, 404, "There is no such page in the dashboard.")

    install_handlers(app)
