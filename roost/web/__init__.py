"""The dashboard face: server-rendered pages and their static files. `install(app)` adds them to the app the
composition root (`roost.main`) built; it reads the `Runtime` from app state, like the API, and imports no API
module."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.responses import RedirectResponse

from roost.web import alerts
from roost.web.errors import install_handlers
from roost.web.render import HERE
from roost.web.rooms import router


def install(app: FastAPI) -> None:
    app.include_router(router)
    app.include_router(alerts.router)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")

    @app.get("/", include_in_schema=False)
    async def home() -> RedirectResponse:
        return RedirectResponse("/dashboard", 307)

    @app.get("/favicon.ico", include_in_schema=False)
    async def favicon() -> RedirectResponse:
        """Browsers and feed readers ask for it without reading the page's <link rel="icon">."""
        return RedirectResponse("/static/favicon.svg", 301)

    install_handlers(app)
