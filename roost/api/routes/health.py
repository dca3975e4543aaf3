"""Liveness for operators: /healthz (no auth) and Prometheus /metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from roost.api.deps import RuntimeDep
from roost.api.responses import JSONResponse
from roost.metrics import REGISTRY
from roost.schemas import Health
from roost.services import operations, spending

router = APIRouter(tags=["operations"])


@router.get(
    "/healthz",
    summary="Database, collector and upstream state",
    response_model=Health,
    responses={503: {"model": Health, "description": "The database cannot be reached"}},
)
async def healthz(rt: RuntimeDep) -> Response:
    h = await operations.health(rt)
    upstream: dict[str, Any] = {"baseUrl": h.upstream, "emulated": h.emulated}
    spend_ok = True
    if h.ok:  # the database answers: say what X refused and what the budget holds back (200 while it lasts)
        state = await spending.upstream_status(rt)
        spend_ok = state.ok
        upstream.update(spending.upstream_document(state))
    body = Health(
        status="ok" if h.ok and spend_ok else "degraded",
        time=h.time,
        database=h.database,
        collector={"heartbeatAge": h.heartbeat_age, "worker": h.worker} if h.worker else {"heartbeatAge": None},
        upstream=upstream,
        demo=h.background.get("demo"),
    )
    return JSONResponse(body.dump(), status_code=200 if h.ok else 503)


@router.get(
    "/metrics",
    summary="Prometheus metrics",
    response_class=Response,
    responses={200: {"content": {CONTENT_TYPE_LATEST: {"schema": {"type": "string"}}}, "description": "Metrics"}},
)
async def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
