"""The JSON API face: Tweet Binder's User Trackers surface and Roost's extensions. `install(app)` adds its routes
and error handlers to an app the composition root (`roost.main`) built; it reads the `Runtime` from app state."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from roost.api.errors import documented_error, install_error_handlers
from roost.api.fast import FastLane
from roost.api.routes import accounts, alert_reports, alerts, growth, health, profiles, tags, timeline, trackers, usage


def install(app: FastAPI) -> None:
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(accounts.router)
    app.include_router(usage.router)
    app.include_router(profiles.router)
    app.include_router(tags.router)  # before trackers: /user-trackers/tags must not match /{resourceId}
    app.include_router(growth.router)  # before trackers too: /user-trackers/compare is not a resourceId
    app.include_router(timeline.router)
    app.include_router(trackers.router)
    app.include_router(alert_reports.router)
    app.include_router(alerts.router)
    app.openapi = lambda: _openapi(app)  # type: ignore[method-assign]
    app.add_middleware(FastLane)  # the hot stats reads skip FastAPI's per-request work, in fair turns (api/fast.py)


def _openapi(app: FastAPI) -> dict[str, Any]:
    """FastAPI's description, less the 422 it documents for every operation with parameters: Roost answers bad
    input with 400 and its own error body (documented on each operation)."""
    if app.openapi_schema is None:
        doc = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        limits = {str(status): documented_error(status) for status in (408, 413, 431)}
        for operations in doc.get("paths", {}).values():
            for operation in operations.values():
                answers = operation.setdefault("responses", {})
                answers.pop("422", None)
                # The server's own limits apply to every request (roost.middleware, roost.cli.guard).
                for status, documented in limits.items():
                    if status != "413" or "requestBody" in operation:
                        answers.setdefault(status, documented)
        schemas = doc.get("components", {}).get("schemas", {})
        for name in ("HTTPValidationError", "ValidationError"):
            schemas.pop(name, None)
        app.openapi_schema = doc
    return app.openapi_schema
