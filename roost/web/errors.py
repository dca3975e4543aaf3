"""The dashboard's one error mapping. Rooms raise, handlers answer: bad input (`data.InputError`, 400), what a page
cannot show (`PageError`, its status) and a use case's refusal (`ServiceError`, its status; on the dashboard's
routes it becomes a `PageError`, so the API's handler keeps its JSON body for the API) become the error page, or
`{"available": false, "error": ...}` for the JSON a page loads; no session means the login page."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import orjson
from fastapi import APIRouter, FastAPI, Request
from fastapi.routing import APIRoute
from starlette.responses import RedirectResponse, Response

from roost.services.errors import ServiceError
from roost.web.data import InputError
from roost.web.render import error_page
from roost.web.session import LoginRequired


class PageError(Exception):
    """What a dashboard page cannot show, with the status it is answered with and the sentence shown."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class DashboardRoute(APIRoute):
    """A dashboard route: a use case's refusal raised in it (or in its dependencies) is a `PageError`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            try:
                return await handler(request)
            except ServiceError as exc:
                raise PageError(exc.status, exc.message) from exc

        return guarded


def dashboard_router(prefix: str = "/dashboard") -> APIRouter:
    """A room's router: its routes under `prefix`, out of the OpenAPI description, their errors mapped here."""
    return APIRouter(prefix=prefix, include_in_schema=False, route_class=DashboardRoute)


def _answer(request: Request, status: int, message: str) -> Response:
    if request.url.path.endswith(".json"):  # the data a page loads: its script says what is not available
        return Response(orjson.dumps({"available": False, "error": message}), status, media_type="application/json")
    return error_page(request, getattr(request.state, "session", None), status, message)


def install_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse("/dashboard/login", 303)

    @app.exception_handler(InputError)
    async def _input(request: Request, exc: InputError) -> Response:
        return _answer(request, 400, str(exc))

    @app.exception_handler(PageError)
    async def _page(request: Request, exc: PageError) -> Response:
        return _answer(request, exc.status, exc.message)
