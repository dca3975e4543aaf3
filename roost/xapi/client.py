"""The X API v2 client: batch user lookups over httpx, inside the rate-limit budget, with bounded retries.

httpx's transport is the only network boundary: tests and the embedded demo pass the emulator's in-process
transport, production uses the default one. Waiting goes through the injected clock.
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Sequence
from typing import Any, TypedDict, Unpack

import httpx
import orjson

from roost.core.clock import Clock, SystemClock
from roost.core.metering import Receipt, billables, refusal_of
from roost.metrics import RATE_LIMIT_WAITS, UPSTREAM_REQUESTS
from roost.xapi.budget import Budget
from roost.xapi.errors import XApiPaused, XApiRateLimited, XApiRejected, XApiUnavailable
from roost.xapi.metering import Meter, current_purpose
from roost.xapi.models import USER_FIELDS, LookupProblem, LookupResult, XUser, parse_lookup
from roost.xapi.posts import (
    PAGE_MAX,
    TWEET_FIELDS,
    PostLookup,
    TimelineHead,
    TimelinePage,
    XPost,
    parse_post_lookup,
    timeline_head,
)

BATCH = 100  # X's maximum ids or usernames per lookup


def chunks(items: Sequence[str], size: int = BATCH) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class TimelineOptions(TypedDict, total=False):
    """The parameters of a timeline request (see `XClient.user_timeline_head`)."""

    since_id: int | None
    pagination_token: str | None
    max_results: int
    exclude: Sequence[str]
    max_wait: float | None


class XClient:
    def __init__(
        self,
        *,
        base_url: str,
        tokens: list[str],
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        timeout: float = 20.0,
        max_attempts: int = 5,
        backoff_base: float = 1.0,
        backoff_cap: float = 30.0,
        max_wait: float = float("inf"),
        limits: dict[str, int] | None = None,
        rng: random.Random | None = None,
        meter: Meter | None = None,
    ) -> None:
        """`max_wait` caps how long a call waits for a rate-limit reset before raising XApiRateLimited:
        an API request resolving aliases should fail fast, the collector can wait for the window. It is the
        default: every call takes a `max_wait` of its own, so users of one client sharing it never change each
        other's (the collector passes how long its lease or bucket still lasts).

        `meter` is told every successful answer's billable resources and every cap or credit refusal, and asked
        before each request whether its kind is paused (roost.xapi.metering)."""
        self.clock = clock or SystemClock()
        self.budget = Budget(tokens, self.clock, limits)
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self.backoff_cap = backoff_cap
        self.max_wait = max_wait
        self.rng = rng or random.Random()
        self.meter = meter
        self._http = httpx.AsyncClient(base_url=base_url, transport=transport, timeout=timeout)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> XClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    # ---- public calls -------------------------------------------------------------------------

    async def users_by_usernames(self, usernames: Sequence[str], *, max_wait: float | None = None) -> LookupResult:
        """Resolve screen names, 100 per request."""
        return await self._lookup("GET /2/users/by", "/2/users/by", "usernames", usernames, max_wait)

    async def users_by_ids(self, ids: Sequence[int], *, max_wait: float | None = None) -> LookupResult:
        """Current counts for users by id, 100 per request."""
        return await self._lookup("GET /2/users", "/2/users", "ids", [str(i) for i in ids], max_wait)

    async def _lookup(
        self, endpoint: str, path: str, param: str, values: Sequence[str], max_wait: float | None
    ) -> LookupResult:
        users: list[XUser] = []
        problems: list[LookupProblem] = []
        for batch in chunks(list(values)):
            query = {param: ",".join(batch), "user.fields": USER_FIELDS}
            body = await self.get_json(endpoint, path, query, max_wait=max_wait)
            result = parse_lookup(body)
            users.extend(result.users)
            problems.extend(result.problems)
        return LookupResult(users=users, problems=problems)

    async def user_timeline_page(self, user_id: int, **options: Unpack[TimelineOptions]) -> TimelinePage:
        """One page of a user's posts, newest first, with every field the archive keeps. The author rides along
        (`expansions=author_id`) so the page also says the author's `tweet_count` at the moment it was read."""
        return (await self.user_timeline_head(user_id, **options)).page()

    async def user_timeline_head(
        self,
        user_id: int,
        *,
        since_id: int | None = None,
        pagination_token: str | None = None,
        max_results: int = PAGE_MAX,
        exclude: Sequence[str] = (),
        max_wait: float | None = None,
    ) -> TimelineHead:
        """The same request as `user_timeline_page`, its posts left unparsed (`TimelineHead.page()` parses them):
        a reader can send the next request before it spends time on this page."""
        params = {
            "max_results": str(max(5, min(PAGE_MAX, max_results))),
            "tweet.fields": TWEET_FIELDS,
            "expansions": "author_id",
            "user.fields": "public_metrics",
        }
        if since_id is not None:
            params["since_id"] = str(since_id)
        if pagination_token is not None:
            params["pagination_token"] = pagination_token  # opaque: sent back exactly as received
        if exclude:
            params["exclude"] = ",".join(exclude)
        body = await self.get_json("GET /2/users/:id/tweets", f"/2/users/{user_id}/tweets", params, max_wait=max_wait)
        return timeline_head(body)

    async def posts_by_ids(self, ids: Sequence[int], *, max_wait: float | None = None) -> PostLookup:
        """Posts by id, 100 per request (`GET /2/tweets?ids=`); ids X cannot give back come as problems."""
        posts: list[XPost] = []
        problems: list[LookupProblem] = []
        for batch in chunks([str(i) for i in ids]):
            query = {"ids": ",".join(batch), "tweet.fields": TWEET_FIELDS}
            body = await self.get_json("GET /2/tweets", "/2/tweets", query, max_wait=max_wait)
            result = parse_post_lookup(body)
            posts.extend(result.posts)
            problems.extend(result.problems)
        return PostLookup(posts=posts, problems=problems)

    # ---- the request loop ---------------------------------------------------------------------

    async def get_json(
        self, endpoint: str, path: str, params: dict[str, str], *, max_wait: float | None = None
    ) -> dict[str, Any]:
        """GET within the budget. Retries 5xx, 429 and transport failures a bounded number of times. Waits for a
        rate-limit reset at most `max_wait` seconds at a time (None: the client's default).

        A reached usage cap (429 with X's `UsageCapExceeded` problem, whatever the headers say) and spent credits
        (402) are never retried: the meter pauses that kind of request and XApiPaused is raised; a paused kind is
        refused by the meter before anything is sent."""
        last_failure = "no attempt made"
        limit = self.max_wait if max_wait is None else max_wait
        purpose = current_purpose()
        for attempt in range(self.max_attempts):
            if self.meter is not None:
                await self.meter.admit(endpoint, purpose)
            token = await self._reserve(endpoint, limit)
            response: httpx.Response | None = None
            try:
                response = await self._http.get(path, params=params, headers={"Authorization": f"Bearer {token}"})
            except httpx.TransportError as exc:  # timeouts, refused and dropped connections
                UPSTREAM_REQUESTS.labels(endpoint, "error").inc()
                last_failure = f"{type(exc).__name__}: {exc}"
            finally:
                self.budget.settle(token, endpoint, response)
            if response is not None:
                UPSTREAM_REQUESTS.labels(endpoint, str(response.status_code)).inc()
                status = response.status_code
                if status == 200:
                    body = self._decode(response)
                    if self.meter is not None:
                        await self.meter.charge(Receipt(endpoint, purpose, self.clock.now(), billables(endpoint, body)))
                    return body
                if status in (402, 429):
                    refusal = refusal_of(status, self._json(response), endpoint, self.clock.now())
                    if refusal is not None:
                        if self.meter is not None:
                            await self.meter.refuse(refusal)
                        raise XApiPaused(refusal.pauses, refusal.reason, refusal.detail)
                if status == 429:
                    last_failure = "429 Too Many Requests"
                    if self._header_int(response, "x-rate-limit-remaining") == 0:
                        reset = self._header_float(response, "x-rate-limit-reset")
                        self.budget.exhaust(token, endpoint, reset or self.clock.now() + 60)
                        continue  # the next _reserve waits for the reset (or another token)
                    # X's undocumented per-second limit: the window is fine, so back off briefly.
                elif status >= 500:
                    last_failure = f"{status} {response.reason_phrase}"
                else:
                    raise XApiRejected(status, self._problem_detail(response))
            await self.clock.sleep(self._backoff(attempt))
        raise XApiUnavailable(f"{endpoint} failed after {self.max_attempts} attempts: {last_failure}")

    async def _reserve(self, endpoint: str, max_wait: float) -> str:
        token = self.budget.reserve(endpoint)
        while token is None:
            reset = self.budget.next_reset(endpoint)
            wait = max(0.0, reset - self.clock.now()) + 1.0  # X's reset is rounded to the second
            if wait > max_wait:
                raise XApiRateLimited(endpoint, reset)
            RATE_LIMIT_WAITS.labels(endpoint).inc(wait)
            await self.clock.sleep(wait)
            token = self.budget.reserve(endpoint)
        return token

    def _backoff(self, attempt: int) -> float:
        """Full-jitter exponential backoff."""
        return self.rng.uniform(0, min(self.backoff_cap, self.backoff_base * 2**attempt))

    @staticmethod
    def _decode(response: httpx.Response) -> dict[str, Any]:
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError as exc:
            raise XApiUnavailable(f"upstream sent a body that is not JSON: {exc}") from exc
        if not isinstance(body, dict):
            raise XApiUnavailable("upstream sent JSON that is not an object")
        return body

    @staticmethod
    def _json(response: httpx.Response) -> Any:
        try:
            return orjson.loads(response.content)
        except orjson.JSONDecodeError:
            return None

    @staticmethod
    def _problem_detail(response: httpx.Response) -> str:
        try:
            body = orjson.loads(response.content)
        except orjson.JSONDecodeError:
            return response.text[:200]
        if isinstance(body, dict):
            errors = body.get("errors")
            if isinstance(errors, list) and errors and isinstance(errors[0], dict):
                return str(errors[0].get("message") or errors[0].get("detail") or body.get("detail"))
            return str(body.get("detail") or body.get("title") or "")
        return ""

    @staticmethod
    def _header_int(response: httpx.Response, name: str) -> int | None:
        try:
            return int(response.headers[name])
        except (KeyError, ValueError):
            return None

    @staticmethod
    def _header_float(response: httpx.Response, name: str) -> float | None:
        try:
            return float(response.headers[name])
        except (KeyError, ValueError):
            return None
