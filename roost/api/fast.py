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

**Fair turns.** The event loop runs each ready callback once per turn, first come first served. A stats request
of the lean lane is served in one or two turns; a tracker creation or a login needs tens of them (each database
statement on SQLite is a hop to aiosqlite's thread and back, two turns; the upstream call a few more).
Under a flood of lane requests every turn serves the whole flood, so a request that needs 30 turns waits 30 times
for it: measured with 32 connections on the stats, tracker creation fell from 141/s to 3.7/s while the stats
lost nothing (bench/bench_api.py). That is starvation by turn count, not a lack of CPU.

So while any other request is in flight, the lane admits at most `per_turn` requests per loop turn; the others
wait, holding nothing, in arrival order, and are let in over the next turns. Turns stay short, the other requests
advance at the loop's pace, and the lane keeps every bit of CPU they leave. With no other request in flight the
lane is not touched (one counter read per request). Nothing is refused and nothing times out here.

What a lane request is has one rule, `parse_stats`: the same decides what the lane serves and what it meters (a
CSV or tag stats request goes on to its route and is metered as any other request).
"""

from __future__ import annotations

import asyncio
import re
from collections import deque
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
LANE_PER_TURN = 2  # lane requests let in per loop turn while another request is in flight (bench_api: 2 kept
# creations near a fifth of their alone rate under the flood with the stats at ~0.7 of theirs; 4: ~0.12 and ~0.9)


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


class Turns:
    """The lane's share of the event loop: while any other request is in flight, at most `per_turn` lane requests
    are let in per loop turn; the rest wait, holding nothing, in arrival order. With no other request in flight a
    lane request is let in at once (one counter read). Nothing is refused and nothing times out here."""

    def __init__(self, per_turn: int) -> None:
        self.per_turn = per_turn
        self.others = 0  # requests in flight that are not the lane's
        self._budget = per_turn  # lane requests still let in this turn
        self._waiting: deque[asyncio.Future[None]] = deque()
        self._turn_scheduled = False

    async def admit(self) -> None:
        if not self.others and not self._waiting:
            return
        if self._budget > 0 and not self._waiting:
            self._budget -= 1
            self._next_turn_later()  # the budget comes back next turn
            return
        waiter = asyncio.get_running_loop().create_future()
        self._waiting.append(waiter)
        self._next_turn_later()
        await waiter

    def _next_turn_later(self) -> None:
        if not self._turn_scheduled:
            self._turn_scheduled = True
            asyncio.get_running_loop().call_soon(self._next_turn)

    def _next_turn(self) -> None:
        """Once per turn while lane requests are metered: refill the budget, let the first waiters in. Scheduled
        only after an admission, so an idle loop stays idle."""
        self._turn_scheduled = False
        budget = self.per_turn if self.others else len(self._waiting)
        while self._waiting and budget > 0:
            waiter = self._waiting.popleft()
            if not waiter.done():  # a cancelled request's place is skipped
                waiter.set_result(None)
                budget -= 1
        self._budget = max(budget, 0) if self.others else self.per_turn
        if self._waiting:
            self._next_turn_later()


class FastLane:
    """ASGI middleware: serves the well-formed stats requests in their turns, passes everything else on (counted,
    so the lane gives way while it is in flight)."""

    def __init__(self, app: ASGIApp, *, per_turn: int = LANE_PER_TURN) -> None:
        self.app = app
        self.turns = Turns(per_turn)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        q = parse_stats(scope) if scope["method"] == "GET" else None
        if q is not None:
            await self.turns.admit()
            scope["route"] = _STATS_ROUTE
            await self._stats(scope["app"].state.runtime, q, scope, receive, send)
            return
        self.turns.others += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.turns.others -= 1

    async def _stats(self, rt: Runtime, q: StatsQuery, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            account = await account_service.authenticate(rt, q.token)
            found = await reports.owned_stats(
                rt, account.id, q.tracker_id, start=q.start, end=q.end, timeline=q.timeline
            )
        except ServiceError as exc:
            await service_error_response(exc)(scope, receive, send)
            return
        body = stats_json(found.names, found.rows, timeline=q.timeline)
        headers = [(b"content-length", str(len(body)).encode()), *_JSON_HEADERS]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})
