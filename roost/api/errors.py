"""One error body for the whole API, Tweet Binder's `{"statusCode", "error", "message", "extra"}` (schemas.ErrorBody,
`extra` holding Roost's stable `code` and details such as the `field`), and the statuses each operation can answer,
declared so the OpenAPI description lists them.

Use-case refusals (services.errors) map to their status; request validation is a 400 that names the field;
nothing reaches the client as a stack trace.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from roost.api.responses import JSONResponse
from roost.schemas import ErrorBody
from roost.services.errors import ServiceError, TooMany

log = logging.getLogger("roost.api")

_DESCRIPTIONS = {
    400: "Bad input: the message names the field",
    401: "Missing, unknown, expired or revoked token",
    403: "Not allowed for this account",
    404: "No such resource for this account",
    409: "Conflicts with what exists",
    408: "The request's head or body did not arrive in time (the server's deadlines)",
    413: "Request body too large",
    429: "Too many requests; see Retry-After",
    431: "Request headers too large or too many (the server's limits)",
    503: "X could not be reached; nothing was written",
}


def responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses` for these error statuses, each with the error body's schema."""
    return {status: {"model": ErrorBody, "description": _DESCRIPTIONS[status]} for status in statuses}


def documented_error(status: int) -> dict[str, Any]:
    """The OpenAPI response object of an error status, for operations documented after the routes were built."""
    schema = {"$ref": "#/components/schemas/ErrorBody"}
    return {"description": _DESCRIPTIONS[status], "content": {"application/json": {"schema": schema}}}


AUTHED = responses(400, 401)  # every authenticated operation validates its input
OWNED = responses(400, 401, 404)  # operations on one of the account's trackers


def error_body(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    """Tweet Binder's error body: the status again, its reason phrase, the sentence, and Roost's code and details."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    return {"statusCode": status, "error": reason, "message": message, "extra": {"code": code, **(details or {})}}


def _field_name(loc: tuple[Any, ...]) -> str:
    # FastAPI locations look like ("query", "startDate") or ("body", 0, "alias").
    parts = [str(p) for p in loc if p not in ("query", "body", "path", "header")]
    return ".".join(parts) or "body"


def _validation_message(exc: RequestValidationError) -> tuple[str, list[dict[str, Any]]]:
    problems = []
    for err in exc.errors():
        field = _field_name(tuple(err.get("loc", ())))
        problems.append({"field": field, "problem": err.get("msg", "invalid")})
    first = problems[0] if problems else {"field": "body", "problem": "invalid"}
    return f"Invalid value for '{first['field']}': {first['problem']}.", problems


def service_error_response(exc: ServiceError) -> JSONResponse:
    details = dict(exc.details)
    if exc.field is not None:
        details["field"] = exc.field
    headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, TooMany) and exc.retry_after else None
    return JSONResponse(error_body(exc.status, exc.code, exc.message, details), status_code=exc.status, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    """Every method some route serves at this path (Starlette's 405 names only the first route's)."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        match, _ = route.matches({**request.scope, "method": "GET"})
        if match != Match.NONE:
            methods.update(getattr(route, "methods", None) or ())
    return sorted(methods)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(ServiceError)
    async def _service_error(request: Request, exc: ServiceError) -> JSONResponse:
        return service_error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        message, problems = _validation_message(exc)
        field = problems[0]["field"] if problems else "body"
        body = error_body(400, "invalid_request", message, {"field": field, "problems": problems})
        return JSONResponse(body, status_code=400)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        codes = {401: "unauthorized", 404: "not_found", 405: "method_not_allowed"}
        code = codes.get(exc.status_code, "http_error")
        message = str(exc.detail) if exc.detail else code.replace("_", " ")
        headers = dict(exc.headers or {})
        if exc.status_code == 404 and message == "Not Found":
            message = f"No route for {request.method} {request.url.path}."
        if exc.status_code == 405:
            allowed = _allowed_methods(request)
            headers["Allow"] = ", ".join(allowed)
            message = f"{request.method} is not allowed here; use {' or '.join(allowed)}."
        return JSONResponse(error_body(exc.status_code, code, message), status_code=exc.status_code, headers=headers)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return JSONResponse(
            error_body(500, "internal_error", "Something went wrong on our side; it has been logged."),
            status_code=500,
            headers={"Connection": "close"},
        )
