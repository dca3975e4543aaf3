"""Liveness for operators: /healthz (no auth) and Prometheus /metrics."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy import text
from starlette.responses import Response

from roost.api.deps import ServicesDep
from roost.api.responses import JSONResponse
from roost.metrics import REGISTRY
from roost.store import heartbeats

router = APIRouter(tags=["operations"])


@router.get("/healthz", summary="Database, collector and upstream state")
async def healthz(services: ServicesDep) -> Response:
    now = services.clock.now()
    body: dict[str, Any] = {"status": "ok", "time": int(now)}
    try:
        async with services.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            beat = await heartbeats.latest_heartbeat(conn)
        body["database"] = "ok"
    except Exception as exc:  # the point of a health check is to report this, not raise it
        body.update(status="degraded", database=f"unreachable: {type(exc).__name__}")
        beat = None
    body["collector"] = (
        {"heartbeatAge": int(now - beat.beat_at), "worker": beat.worker_id} if beat else {"heartbeatAge": None}
    )
    body["upstream"] = {
        "baseUrl": services.settings.x_base_url,
        "emulated": services.settings.uses_embedded_emulator,
    }
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)


@router.get("/metrics", summary="Prometheus metrics", response_class=Response)
async def metrics() -> Response:
    return Response(generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
