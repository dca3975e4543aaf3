"""`roost xsim`: the X API v2 emulator as a Starlette app.

Every X route runs the same pipeline: bearer token (401) -> rate-limit window (429, counted per token and route
template) -> injected fault (drop, 503, hidden 429, slow) -> parameter validation (400) -> credits (402) and the
Project's post cap (429 UsageCapExceeded, quota left) -> the handler -> the bill (`roost.xsim.billing`; a
delivered 200 only). Every answer carries the x-rate-limit-* headers, 429s and errors included. Admin routes under
/xsim/admin need no token; they are for tests and demos (clock, faults, limits, billing, stats, deleting posts,
scripted events).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import orjson
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from roost.core.clock import Clock, SystemClock, VirtualClock
from roost.xsim import config as ep
from roost.xsim import errors as problems
from roost.xsim.admin_billing import billing_routes
from roost.xsim.billing import Ledger, Receipt, numeric_id
from roost.xsim.config import XsimConfig
from roost.xsim.errors import InvalidRequest, Json
from roost.xsim.faults import DroppedConnection, FaultInjector
from roost.xsim.handlers import Handlers
from roost.xsim.pagination import TokenCodec
from roost.xsim.params import Query, Spec, build_specs, parse
from roost.xsim.ratelimit import RateLimiter, Verdict
from roost.xsim.script import EVENT_KINDS, ScriptedEvent
from roost.xsim.usage import parse_usage, usage_tweets
from roost.xsim.world import World

Handler = Callable[[Query, float, Receipt], Json]


class JSONResponse(Response):
    media_type = "application/json"

    def __init__(self, body: Any, status_code: int = 200, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(orjson.dumps(body), status_code, headers)


class DroppedResponse(Response):
    """Headers and half the body, then the connection breaks (the content-length promises more)."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status_code, "headers": self.raw_headers})
        await send({"type": "http.response.body", "body": self.body[: len(self.body) // 2], "more_body": True})
        raise DroppedConnection("xsim dropped the connection on purpose")


class Emulator:
    """The state behind the routes; `app.state.emulator`."""

    def __init__(self, config: XsimConfig, clock: Clock, world: World) -> None:
        self.config = config
        self.clock = clock
        self.world = world
        self.codec = TokenCodec(config.seed)
        self.specs: dict[str, Spec] = build_specs(self.codec)
        self.limiter = RateLimiter(config, clock)
        self.faults = FaultInjector(config.faults)
        self.handlers = Handlers(world, self.codec)
        self.stats: Counter[str] = Counter()
        self.ledger = Ledger(config.billing)
        self.account_id = numeric_id(f"xsim-account-{config.seed}", 19)

    def token(self, scope: Scope) -> str | None:
        """The accepted bearer token of the request, or None (-> 401)."""
        for name, value in scope["headers"]:
            if name == b"authorization":
                header: str = value.decode("latin-1")
                scheme, _, token = header.partition(" ")
                token = token.strip()
                if scheme.lower() != "bearer" or not token:
                    return None
                if self.config.accept_any_token or token in self.config.tokens:
                    return token
                return None
        return None

    def _answer(self, endpoint: str, status: int, body: Any, verdict: Verdict) -> Response:
        self.stats[f"{endpoint} {status}"] += 1
        return JSONResponse(body, status, verdict.headers())

    def _refusal(self, endpoint: str, token: str, now: float, verdict: Verdict) -> Response | None:
        """402 once the credits are spent; 429 UsageCapExceeded (quota left) once the Project's post cap is."""
        if endpoint not in ep.BILLABLE:
            return None
        if self.ledger.out_of_credits():
            self.stats["credits_402"] += 1
            return self._answer(endpoint, 402, problems.credits_depleted(self.account_id), verdict)
        if endpoint in ep.POST_CAPPED and self.ledger.capped(token, now):
            self.stats["usage_capped_429"] += 1
            return self._answer(endpoint, 429, problems.usage_capped(self.account_id), verdict)
        return None

    def route(self, endpoint: str, handler: Handler, path_param: str | None = None) -> Callable[..., Any]:
        spec = self.specs[endpoint]

        async def serve(request: Request) -> Response:
            self.stats["requests"] += 1
            scope = request.scope
            token = self.token(scope)
            if token is None:
                self.stats["unauthorized"] += 1
                return self._answer(endpoint, 401, problems.UNAUTHORIZED, self.limiter.peek("", endpoint))
            verdict = self.limiter.hit(token, endpoint)
            if not verdict.allowed:
                self.stats["budget_429"] += 1
                return self._answer(endpoint, 429, problems.TOO_MANY_REQUESTS, verdict)
            draw = self.faults.draw()
            if draw.slow:
                self.stats["slow"] += 1
                await self.clock.sleep(self.config.faults.slow_seconds)
            if draw.kind == "error_503":
                self.stats["error_503"] += 1
                return self._answer(endpoint, 503, problems.SERVICE_UNAVAILABLE, verdict)
            if draw.kind == "hidden_429" and verdict.remaining > 0:
                self.stats["hidden_429"] += 1
                return self._answer(endpoint, 429, problems.TOO_MANY_REQUESTS, verdict)
            path_value = request.path_params.get(path_param) if path_param else None
            now = self.clock.now()
            receipt = Receipt()
            try:
                query = parse(spec, scope["query_string"].decode("latin-1"), path_value)
                refusal = self._refusal(endpoint, token, now, verdict)
                if refusal is not None:
                    return refusal
                body = handler(query, now, receipt)
            except InvalidRequest as exc:
                return self._answer(endpoint, 400, exc.body(), verdict)
            if draw.kind == "drop":
                self.stats["drop"] += 1
                self.stats[f"{endpoint} dropped"] += 1
                return DroppedResponse(orjson.dumps(body), 200, verdict.headers(), "application/json")
            self.ledger.charge(token, now, receipt)
            return self._answer(endpoint, 200, body, verdict)

        return serve


def create_app(
    config: XsimConfig | None = None, *, clock: Clock | None = None, world: World | None = None
) -> Starlette:
    """The emulator. `clock` defaults to the system clock; pass a VirtualClock in tests."""
    config = config or XsimConfig()
    clock = clock or SystemClock()
    world = world or World(config.seed)
    emu = Emulator(config, clock, world)
    h = emu.handlers

    async def usage(request: Request) -> Response:
        """`GET /2/usage/tweets`: its own rate limit, no faults, never billed."""
        emu.stats["requests"] += 1
        token = emu.token(request.scope)
        if token is None:
            emu.stats["unauthorized"] += 1
            return emu._answer(ep.USAGE, 401, problems.UNAUTHORIZED, emu.limiter.peek("", ep.USAGE))
        verdict = emu.limiter.hit(token, ep.USAGE)
        if not verdict.allowed:
            emu.stats["budget_429"] += 1
            return emu._answer(ep.USAGE, 429, problems.TOO_MANY_REQUESTS, verdict)
        try:
            query = parse_usage(request.scope["query_string"].decode("latin-1"))
        except InvalidRequest as exc:
            return emu._answer(ep.USAGE, 400, exc.body(), verdict)
        return emu._answer(ep.USAGE, 200, usage_tweets(emu.ledger, token, emu.clock.now(), query), verdict)

    async def users_me(request: Request) -> Response:
        token = emu.token(request.scope)
        status, body = (403, problems.UNSUPPORTED_AUTHENTICATION) if token else (401, problems.UNAUTHORIZED)
        return emu._answer("GET /2/users/me", status, body, emu.limiter.peek(token or "", "GET /2/users/me"))

    routes = [
        Route("/2/users", emu.route(ep.USERS, h.users)),
        Route("/2/users/by", emu.route(ep.USERS_BY, h.users_by)),
        Route("/2/users/me", users_me),
        Route("/2/users/by/username/{username}", emu.route(ep.USER_BY_USERNAME, h.user_by_username, "username")),
        Route("/2/users/{id}/tweets", emu.route(ep.TIMELINE, h.timeline, "id")),
        Route("/2/users/{id}", emu.route(ep.USER, h.user, "id")),
        Route("/2/tweets", emu.route(ep.TWEETS, h.tweets)),
        Route("/2/usage/tweets", usage),
        *admin_routes(emu),
        *billing_routes(emu.ledger, emu.config.billing),
    ]

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        emu.stats[f"unrouted {status}"] += 1
        verdict = emu.limiter.peek(emu.token(request.scope) or "", "unrouted")
        body = problems.ROUTE_NOT_FOUND if status == 404 else problems.method_not_allowed(request.method)
        return JSONResponse(body, status, verdict.headers())

    app = Starlette(routes=routes, exception_handlers={404: not_found, 405: not_found})
    app.router.redirect_slashes = False  # X does not redirect /2/users/ to /2/users
    app.state.emulator = emu
    app.state.config = config
    app.state.clock = clock
    app.state.world = world
    app.state.stats = emu.stats
    return app


# ---- admin --------------------------------------------------------------------------------------


def admin_routes(emu: Emulator) -> list[Route]:
    def problem(status: int, title: str, detail: str) -> Response:
        return JSONResponse(problems.admin_problem(status, title, detail), status)

    async def json_body(request: Request) -> dict[str, Any] | None:
        try:
            body = orjson.loads(await request.body())
        except orjson.JSONDecodeError:
            return None
        return body if isinstance(body, dict) else None

    def clock_view() -> Json:
        return {"now": emu.clock.now(), "virtual": isinstance(emu.clock, VirtualClock)}

    async def clock(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(clock_view())
        if not isinstance(emu.clock, VirtualClock):
            return problem(409, "Conflict", "The clock is not virtual; start xsim with --virtual to move it.")
        body = await json_body(request)
        try:
            if body is not None and set(body) == {"advance"}:
                emu.clock.advance(float(body["advance"]))
            elif body is not None and set(body) == {"set"}:
                emu.clock.set(float(body["set"]))
            else:
                return problem(400, "Bad Request", 'Send {"advance": seconds} or {"set": unix_time}.')
        except (TypeError, ValueError) as exc:
            return problem(400, "Bad Request", str(exc))
        return JSONResponse(clock_view())

    async def faults(request: Request) -> Response:
        if request.method == "PUT":
            body = await json_body(request)
            if body is None:
                return problem(400, "Bad Request", "Send a JSON object of fault settings.")
            try:
                emu.config.faults.update(body)
            except ValueError as exc:
                return problem(400, "Bad Request", str(exc))
            emu.faults.restart()
        return JSONResponse(emu.config.faults.as_dict())

    async def limits(request: Request) -> Response:
        if request.method == "PUT":
            body = await json_body(request)
            if body is None:
                return problem(400, "Bad Request", 'Send {"limits": {endpoint: n}, "window_seconds": s}.')
            try:
                changes = {ep.endpoint_key(k): int(v) for k, v in dict(body.get("limits", {})).items()}
                window = float(body.get("window_seconds", emu.config.window_seconds))
                if window <= 0 or any(v < 0 for v in changes.values()):
                    raise ValueError("limits and window_seconds must be positive")
            except (TypeError, ValueError) as exc:
                return problem(400, "Bad Request", str(exc))
            emu.config.limits.update(changes)
            emu.config.window_seconds = window
        return JSONResponse({"limits": emu.config.limits, "window_seconds": emu.config.window_seconds})

    async def reset_limits(request: Request) -> Response:
        emu.limiter.reset()
        return JSONResponse({"reset": True})

    async def delete_posts(request: Request) -> Response:
        body = await json_body(request)
        ids = body.get("ids") if body is not None else None
        if not isinstance(ids, list) or not all(isinstance(i, str) and i.isdigit() for i in ids):
            return problem(400, "Bad Request", 'Send {"ids": ["<post id>", ...]}.')
        now = emu.clock.now()
        deleted = [i for i in ids if emu.handlers.delete_post(int(i), now)]
        return JSONResponse({"deleted": deleted, "not_found": [i for i in ids if i not in deleted]})

    async def events(request: Request) -> Response:
        script = emu.world.script
        if request.method == "DELETE":
            script.clear()
        elif request.method == "POST":
            body = await json_body(request)
            if body is None:
                return problem(400, "Bad Request", 'Send {"kind": ..., "username" or "id": ..., "at": unix_time, ...}.')
            try:
                event = _scripted(emu, body)
            except LookupError as exc:
                return problem(404, "Not Found", str(exc))
            except (TypeError, ValueError) as exc:
                return problem(400, "Bad Request", str(exc))
            return JSONResponse(event.as_dict(), 201)
        return JSONResponse({"events": [e.as_dict() for e in script.events()]})

    async def stats(request: Request) -> Response:
        by_endpoint: dict[str, dict[str, int]] = {}
        for key, count in emu.stats.items():
            endpoint, _, status = key.rpartition(" ")
            if endpoint and (endpoint.startswith("GET ") or endpoint == "unrouted"):
                by_endpoint.setdefault(endpoint, {})[status] = count
        flat = {k: v for k, v in emu.stats.items() if " " not in k}
        return JSONResponse({**flat, "by_endpoint": by_endpoint})

    return [
        Route("/xsim/admin/clock", clock, methods=["GET", "POST"]),
        Route("/xsim/admin/faults", faults, methods=["GET", "PUT"]),
        Route("/xsim/admin/limits", limits, methods=["GET", "PUT"]),
        Route("/xsim/admin/reset-limits", reset_limits, methods=["POST"]),
        Route("/xsim/admin/stats", stats, methods=["GET"]),
        Route("/xsim/admin/delete-posts", delete_posts, methods=["POST"]),
        Route("/xsim/admin/events", events, methods=["GET", "POST", "DELETE"]),
    ]


_EVENT_FIELDS = {"kind", "username", "id", "at", "until", "followers", "hours", "new_name"}


def _scripted(emu: Emulator, body: dict[str, Any]) -> ScriptedEvent:
    """Add the event a POST /xsim/admin/events body describes (ValueError: malformed; LookupError: no account)."""
    unknown = set(body) - _EVENT_FIELDS
    if unknown:
        raise ValueError(f"unknown fields: {', '.join(sorted(unknown))}")
    if body.get("kind") not in EVENT_KINDS:
        raise ValueError(f"kind must be one of {', '.join(EVENT_KINDS)}")
    now = emu.clock.now()
    at = body.get("at", now)
    if isinstance(at, bool) or not isinstance(at, int | float):
        raise ValueError("at must be a unix time in seconds")
    username, user_id = body.get("username"), body.get("id")
    if (username is None) == (user_id is None):
        raise ValueError("give exactly one of username or id")
    if username is not None:
        state = emu.world.user_by_username(str(username).lstrip("@"), min(at, now))
        if state is None:
            raise LookupError(f"no account is named {username} at that time")
        uid = state.id
    else:
        uid = int(str(user_id)) if str(user_id).isdigit() else 0
        if emu.world.user(uid, min(at, now)) is None:
            raise LookupError(f"no account has the id {user_id} at that time")
    until = body.get("until")
    followers, hours = body.get("followers", 0), body.get("hours", 1.0)
    if not isinstance(followers, int) or isinstance(followers, bool) or not isinstance(hours, int | float):
        raise ValueError("followers must be an integer and hours a number")
    if until is not None and (isinstance(until, bool) or not isinstance(until, int | float)):
        raise ValueError("until must be a unix time in seconds")
    new_name = body.get("new_name")
    return emu.world.script.add(
        str(body.get("kind")),
        user_id=uid,
        at=float(at),
        until=None if until is None else float(until),
        followers=followers,
        hours=float(hours),
        new_name=None if new_name is None else str(new_name).lstrip("@"),
    )


__all__ = ["DroppedConnection", "Emulator", "create_app"]
