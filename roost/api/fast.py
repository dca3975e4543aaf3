"""The lean lane of the hottest route, `GET /user-trackers/{resourceId}/stats` as JSON.

FastAPI's per-request work (declared parameters, dependency solving, response-model validation) costs more than
the stats read itself: measured, it alone holds a route under half of a bare route's rate. This ASGI middleware
answers the common, well-formed stats request itself: it parses the bearer token, the path and the query with
the same rules the FastAPI route declares, calls the same services, and encodes the documents straight to JSON.
Anything else (a missing or malformed parameter, `format=csv`, another scheme, percent-encoded query) goes on to
the FastAPI route, which stays the documented operation in /openapi.json and the one source of every validation
message. So the lane changes speed only, never an answer: tests/integration/test_fast_lane.py sends the same
requests both ways.

Refusals of the services (401, 404, 400 for startDate after endDate) are rendered by the API's one error
renderer; other exceptions propagate to the app's error handling like any route's. The request metrics see the
route template, as for a routed request.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.types import ASGIApp, Receive, Scope, Send

from roost.api.errors import service_error_response
from roost.schemas import stats_json
from roost.services import accounts as account_service
from roost.services import reports
from roost.services.errors import ServiceError
from roost.services.runtime import Runtime

STATS_TEMPLATE = "/user-trackers/{resourceId}/stats"
_PREFIX, _SUFFIX = "/user-trackers/", "/stats"
_MAX_ID = 64  # as the route declares resourceId
_INT = re.compile(r"-?[0-9]{1,12}")  # a subset of what the route's int parameters accept, parsed alike
_BOOLS = {"true": True, "false": False}
_JSON_HEADERS = [(b"content-type", b"application/json")]


@dataclass(frozen=True, slots=True)
class _Template:
    path: str  # what RequestMetrics reads from scope["route"]


_STATS_ROUTE = _Template(STATS_TEMPLATE)


@dataclass(frozen=True, slots=True)
class StatsQuery:
    token: str
    tracker_id: str
    start: int
    end: int
    timeline: bool


def _bearer(scope: Scope) -> str | None:
    """The credentials of the first Authorization header when its scheme is Bearer (as fastapi's HTTPBearer)."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, param = value.decode("latin-1").partition(" ")
            param = param.strip()
            return param if scheme.lower() == "bearer" and param else None
    return None


def _query(raw: bytes) -> dict[str, str] | None:
    """Plain `k=v&k=v` query strings only; None (let the route parse it) for encodings and repeated keys."""
    if b"%" in raw or b"+" in raw:
        return None
    out: dict[str, str] = {}
    for part in raw.split(b"&"):
        if not part:
            continue
        key, _, value = part.decode("latin-1").partition("=")
        if key in out:
            return None
        out[key] = value
    return out


def _time(value: str | None) -> int | None:
    if value is None or not _INT.fullmatch(value):
        return None
    number = int(value)
    return number if reports.MIN_TIME <= number <= reports.MAX_TIME else None


def parse_stats(scope: Scope) -> StatsQuery | None:
    """The stats request's inputs when it is a well-formed JSON request this lane serves, else None."""
    path: str = scope["path"]
    if scope.get("root_path") or not (path.startswith(_PREFIX) and path.endswith(_SUFFIX)):
        return None
    tracker_id = path[len(_PREFIX) : -len(_SUFFIX)]
    if not tracker_id or "/" in tracker_id or len(tracker_id) > _MAX_ID:
        return None
    query = _query(scope["query_string"])
    if query is None or query.get("format", "json") != "json":
        return None
    start, end = _time(query.get("startDate")), _time(query.get("endDate"))
    timeline = _BOOLS.get(query.get("isTimeline", "false"))
    token = _bearer(scope)
    if start is None or end is None or timeline is None or token is None:
        return None
    return StatsQuery(token, tracker_id, start, end, timeline)


class FastLane:
    """ASGI middleware: serves the well-formed stats requests, passes everything else on."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET":
            q = parse_stats(scope)
            if q is not None:
                scope["route"] = _STATS_ROUTE
                await self._stats(scope["app"].state.runtime, q, scope, receive, send)
                return
        await self.app(scope, receive, send)

    async def _stats(self, rt: Runtime, q: StatsQuery, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            account = await account_service.authenticate(rt, q.token)
            rows = await reports.owned_stats(rt, account, q.tracker_id, start=q.start, end=q.end, timeline=q.timeline)
        except ServiceError as exc:
            await service_error_response(exc)(scope, receive, send)
            return
        body = stats_json(rows, timeline=q.timeline)
        headers = [(b"content-length", str(len(body)).encode()), *_JSON_HEADERS]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
