"""What operators ask of a running Roost: is the database reachable, is a collector alive, which X is upstream."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import text

from roost.services.demo import HISTORY_WORKER
from roost.services.runtime import Runtime
from roost.store import heartbeats


@dataclass(frozen=True)
class Health:
    ok: bool
    time: int
    database: str  # "ok" or "unreachable: <error type>"
    heartbeat_age: int | None  # seconds since the newest collector heartbeat
    worker: str | None
    upstream: str
    emulated: bool
    background: dict[str, str]  # e.g. {"demo": "building 12/30 days"}


async def health(rt: Runtime) -> Health:
    now = rt.now()
    beat = None
    try:
        async with rt.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
            # The demo's history builder beats in simulated time a month back: its age would mean nothing.
            beat = await heartbeats.latest_heartbeat(conn, exclude=(HISTORY_WORKER,))
        database = "ok"
    except Exception as exc:  # the point of a health check is to report this, not raise it
        database = f"unreachable: {type(exc).__name__}"
    return Health(
        ok=database == "ok",
        time=now,
        database=database,
        heartbeat_age=int(now - beat.beat_at) if beat else None,
        worker=beat.worker_id if beat else None,
        upstream=rt.settings.x_base_url,
        emulated=rt.settings.uses_embedded_emulator,
        background=dict(rt.status),
    )
