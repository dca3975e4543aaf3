"""Tweet Binder's User Trackers surface: create, list, stop, stats."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Body, Query
from pydantic import BaseModel, Field, StrictStr

from roost import domain, tracking
from roost.api.csvout import Format, csv_response
from roost.api.deps import AccountDep, ReadConnDep, ServicesDep, TrackerDep
from roost.api.errors import ApiError, bad_request
from roost.api.pagination import PageDep
from roost.store import snapshots as snapshot_store
from roost.store import trackers as tracker_store
from roost.store.db import write_transaction
from roost.store.trackers import TrackerView
from roost.xapi import XApiRateLimited, XApiUnavailable

router = APIRouter(prefix="/user-trackers", tags=["user trackers"])
STATS_CSV = ["_id", "tweets", "followers", "following", "lists", "followersFollowing", "createdAt", "updatedAt"]


class AliasItem(BaseModel):
    alias: StrictStr = Field(description="X screen name, with or without '@'")


class StopBody(BaseModel):
    userTrackers: list[StrictStr] = Field(min_length=1, max_length=1000)


def tracker_document(view: TrackerView) -> dict[str, Any]:
    t = view.tracker
    return {
        "_id": t.id,
        "alias": t.alias,
        "userId": str(t.x_user_id),
        "username": view.username,
        "name": view.name,
        "status": t.status,
        "createdAt": t.created_at,
        "updatedAt": t.updated_at,
        "stoppedAt": t.stopped_at,
        "lastSnapshot": domain.stats_document(view.last_snapshot) if view.last_snapshot else None,
        "tags": list(view.tag_ids),
        "lastError": view.last_error,
    }


@router.post("/multi", summary="Create one or more trackers")
async def create(
    services: ServicesDep,
    account: AccountDep,
    items: Annotated[list[AliasItem], Body(min_length=1, max_length=tracking.MAX_ALIASES)],
) -> dict[str, Any]:
    try:
        outcome = await tracking.create_trackers(
            services.engine,
            services.xclient,
            account_id=account.id,
            aliases=[item.alias for item in items],
            now=services.clock.now(),
            interval=services.settings.snapshot_interval,
        )
    except (XApiUnavailable, XApiRateLimited) as exc:
        raise ApiError(
            503,
            "upstream_unavailable",
            "X API could not be reached; no tracker was created. Try again.",
            {"reason": str(exc)},
        ) from exc
    return {"errors": outcome.errors, "ok": outcome.ok}


@router.get("/me", summary="The account's trackers, newest first")
async def list_mine(
    services: ServicesDep,
    account: AccountDep,
    page: PageDep,
    status: Literal["active", "stopped"] | None = None,
    alias: Annotated[str | None, Query(max_length=16)] = None,
) -> dict[str, Any]:
    async with services.engine.connect() as conn:
        views, total = await tracker_store.list_trackers(
            conn,
            account_id=account.id,
            interval=services.settings.snapshot_interval,
            status=status,
            alias=alias,
            offset=page.offset,
            limit=page.limit,
        )
    return page.envelope([tracker_document(v) for v in views], total)


@router.put("/delete", summary="Stop trackers (their data stays readable)")
async def stop(services: ServicesDep, account: AccountDep, body: StopBody) -> dict[str, Any]:
    async with write_transaction(services.engine) as conn:
        outcomes = await tracker_store.stop_trackers(
            conn, account_id=account.id, ids=body.userTrackers, now=int(services.clock.now())
        )
    ok, errors = [], []
    for tracker_id, result in outcomes:
        if result == "ok":
            ok.append(tracker_id)
        else:
            errors.append({"resourceId": tracker_id, "code": result, "message": tracker_store.STOP_PROBLEMS[result]})
    return {"errors": errors, "ok": ok}


@router.get("/{resourceId}/stats", summary="Snapshots of a tracker between two dates")
async def stats(
    services: ServicesDep,
    conn: ReadConnDep,
    tracker: TrackerDep,
    startDate: Annotated[int, Query(description="unix seconds, inclusive")],
    endDate: Annotated[int, Query(description="unix seconds, inclusive")],
    isTimeline: bool = False,
    format: Format = "json",
) -> Any:
    if startDate > endDate:
        raise bad_request("startDate", "startDate must not be after endDate.")
    lo, hi = tracker.life(services.settings.snapshot_interval)
    read = snapshot_store.stats_range if isTimeline else snapshot_store.stats_two_point
    rows = await read(conn, x_user_id=tracker.x_user_id, start=startDate, end=endDate, lo=lo, hi=hi)
    documents = [domain.stats_document(row) for row in rows]
    if format == "csv":
        return csv_response(f"stats-{tracker.alias}.csv", STATS_CSV, [[d[k] for k in STATS_CSV] for d in documents])
    return documents
